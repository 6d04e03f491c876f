package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
)

// Config is what a run stores and how. The zero value of each field is
// meaningful as documented; Params and Output must be set.
type Config struct {
	// Params are the model and the run's length; Images counts every image
	// of the file, those of a resumed run included.
	Params sim.Params
	// Output is the HDF5 file to create (or to continue, with Resume).
	Output string
	// Resume continues Output from its last valid checkpoint: its
	// parameters must equal Params (Images aside, which may grow), images
	// after the checkpoint are computed again.
	Resume bool
	// Force overwrites an existing Output (not with Resume).
	Force bool
	// Compression is how images are stored (the zero value: raw). A
	// resumed file keeps its own, which this must equal.
	Compression storage.Compression
	// BufferLen bounds the queue between the engine and the writer
	// goroutine (the course's --storage-buffer-len); 0 writes
	// synchronously on the caller's goroutine.
	BufferLen int
	// FlushEvery flushes, fsyncs and checkpoints the file every so many
	// images; 0 only at the end.
	FlushEvery int
	// CompressWorkers encode chunks in parallel when compressing with
	// BufferLen ≥ 1; 0 encodes on the writer's goroutine (deflate in
	// HDF5's in-line filter).
	CompressWorkers int
	// Attrs are recorded as root attributes of the file (provenance: the
	// program, the engine); a resumed file gets them again.
	Attrs []storage.Attr
	// DropAttrs are root attributes removed from a resumed file before
	// Attrs are written (another engine's provenance).
	DropAttrs []string
	// OnImage, when set, is called on the caller's goroutine after each
	// image is handed to storage, with the number of images done (those of
	// a resumed file included).
	OnImage func(done int)
	// PublishEvery is how often the images written so far are made
	// visible to readers following the file (SWMR) between flushes: 0
	// means every second, a negative value never (then only flushes do).
	PublishEvery time.Duration
	// OnFlush, when set, is called after each flush of the file with the
	// number of images it holds, durable from then on (those of a resumed
	// file included). It runs on the writer's goroutine and must not block.
	OnFlush func(images int)
}

// File is a run's output as the pipeline writes it: a storage.Sink that
// also records attributes and the rates its checkpoints carry. *h5.File is
// the one grayscott writes (OpenHDF5); a test may wrap it to inject faults.
// Every call on it is made on the writer's goroutine.
type File interface {
	storage.Sink
	// SetAttrs writes root attributes.
	SetAttrs(attrs ...storage.Attr) error
	// SetRates sets the feed and kill rates that the checkpoints from now
	// on record (a resumed run continues with them).
	SetRates(feed, kill float32)
}

// Opener opens a run's file: created, or, with cfg.Resume, continued from
// its newest checkpoint, which it returns (nil for a new file). It runs on
// the writer's goroutine, which makes every later call on the file, and
// leaves the file ready for images (for HDF5: in SWMR mode).
type Opener func(cfg Config) (File, *h5.Checkpoint, error)

var _ Opener = OpenHDF5

// DefaultPublishEvery is how often readers following a run see its new
// images: an HDF5 flush without fsync, a few milliseconds once a second.
const DefaultPublishEvery = storage.DefaultPublishEvery

// stepChunk bounds the steps queued in one Source.Step call, so that a
// stop is seen between chunks even when an image takes millions of steps.
const stepChunk = 1024

// Pipeline is one run: an engine (the Source), the file and the writer
// goroutine between them. Make it with New, drive it with Run (or Advance
// and Drain, as the preview window does between draws), end it with Close.
// Its methods must be called from one goroutine.
type Pipeline struct {
	src    Source
	cfg    Config
	writer *storage.Writer[File]
	snap   *storage.Snapshot

	first     int   // images in the file when the run started
	startStep int64 // step count of the state the run started from

	next        int    // index of the next image to deliver
	queued      int    // images whose readback has been queued
	stepInImage int    // steps of the image in progress
	pendingU    []bool // per pending readback, oldest first: queued with U
	// lastCheckpointed says the image delivered last carried a checkpoint.
	lastCheckpointed bool
	// feed and kill are the rates in force (SetRates, a resumed checkpoint).
	feed, kill float32

	err        error  // the first error of Advance or Drain
	stopReason string // why the run stopped early, for the file
	start      time.Time
	closed     bool
}

// New opens the file with open (created, or continued from its checkpoint
// with Resume) on the writer goroutine and starts it, then, when resuming,
// puts the checkpoint's state into src. OpenHDF5 opens the HDF5 file a run
// writes. The engine comes first (its failures leave no file behind), then
// the file, then the writer; Close undoes the last two, and the caller
// releases the engine after Close. New does no step.
func New(src Source, cfg Config, open Opener) (*Pipeline, error) {
	p := cfg.Params
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	if cfg.Output == "" {
		return nil, errors.New("pipeline: no output file")
	}
	if cfg.Resume && cfg.Force {
		return nil, fmt.Errorf("pipeline: resuming %s appends to it; Force would overwrite it", cfg.Output)
	}
	publish := cfg.PublishEvery
	if publish == 0 {
		publish = DefaultPublishEvery
	}
	snap := storage.NewSnapshot()
	opts := storage.WriterOptions{BufferLen: cfg.BufferLen, FlushEvery: cfg.FlushEvery, Workers: cfg.CompressWorkers,
		Checkpoints: true, OnFlush: cfg.OnFlush, PublishEvery: max(publish, 0), Snapshot: snap}
	pool := storage.NewPool(opts.PoolSize(), p.Cells())
	var ck *h5.Checkpoint
	w, err := storage.StartWriter(func() (f File, err error) {
		f, ck, err = open(cfg)
		return f, err
	}, pool, opts)
	if err != nil {
		return nil, err
	}
	pl := &Pipeline{src: src, cfg: cfg, writer: w, snap: snap, feed: p.Feed, kill: p.Kill}
	if ck != nil {
		if err := src.SetState(ck.State, ck.Step); err != nil {
			w.Close(false, err.Error())
			return nil, err
		}
		pl.first, pl.startStep = ck.Images, ck.Step
		// A window changed the rates before this checkpoint: go on with them.
		if ck.Feed != p.Feed || ck.Kill != p.Kill {
			if err := pl.SetRates(ck.Feed, ck.Kill); err != nil {
				err = fmt.Errorf("pipeline: %s's checkpoint was taken with F %g and k %g: %w", cfg.Output, ck.Feed, ck.Kill, err)
				w.Close(false, err.Error())
				return nil, err
			}
		}
	}
	pl.next, pl.queued = pl.first, pl.first
	pl.start = time.Now()
	return pl, nil
}

// OpenHDF5 is the Opener of grayscott's HDF5 files (package storage/h5):
// it creates cfg.Output with the run's attributes (cfg.Attrs, the flush
// policy), or resumes it after checking that it was made with cfg's
// parameters (CheckResume) and bringing its attributes up to date; then
// it switches the file to SWMR, so that readers may follow the run. A file
// from before SWMR (HDF5 1.8's format) is continued without it.
func OpenHDF5(cfg Config) (File, *h5.Checkpoint, error) {
	p := cfg.Params
	attrs := append(append([]storage.Attr(nil), cfg.Attrs...), storage.Attr{Name: "flush_every", Value: cfg.FlushEvery})
	if !cfg.Resume {
		f, err := h5.Create(cfg.Output, p, attrs, h5.Options{Compression: cfg.Compression, Force: cfg.Force})
		if err != nil {
			return nil, nil, err
		}
		if err := f.StartSWMR(); err != nil {
			f.Close(false, "SWMR failed: "+err.Error())
			return nil, nil, err
		}
		return f, nil, nil
	}
	f, fp, ck, err := h5.Resume(cfg.Output)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckResume(cfg, fp, f.Compression(), ck.Images, nil); err != nil {
		err = fmt.Errorf("pipeline: %w", err)
		f.Close(false, "resume refused: "+err.Error())
		return nil, nil, err
	}
	if err := f.DeleteAttrs(cfg.DropAttrs...); err != nil {
		f.Close(false, "resume failed")
		return nil, nil, err
	}
	if err := f.SetAttrs(append(attrs, storage.Attr{Name: "nbimage", Value: p.Images})...); err != nil {
		f.Close(false, "resume failed")
		return nil, nil, err
	}
	f.StartSWMR() // an error leaves a file of HDF5 1.8's format, written without SWMR
	return f, ck, nil
}

// CheckResume refuses to continue a file made with other parameters than
// cfg's (file and comp: its model and compression) or holding more
// images (its checkpoint's) than cfg asks for. It names each difference by
// the flag that sets it. Only the flags for which given returns true are
// compared (a command compares those its user gave); given nil compares
// them all. The command line and OpenHDF5 check resumes with it alike.
func CheckResume(cfg Config, file sim.Params, comp storage.Compression, images int, given func(flag string) bool) error {
	var diffs []string
	for _, f := range sim.Fields {
		if f.Flag == "nbimage" || (given != nil && !given(f.Flag)) {
			continue
		}
		if a, b := f.Format(&cfg.Params), f.Format(&file); a != b {
			diffs = append(diffs, fmt.Sprintf("--%s %s (file: %s)", f.Flag, a, b))
		}
	}
	want, comp := cfg.Compression.Normal(), comp.Normal()
	if (given == nil || given("compression") || given("compression-level")) && want.String() != comp.String() {
		diffs = append(diffs, fmt.Sprintf("--compression %s (file: %s)", want, comp))
	}
	if (given == nil || given("keep-bits")) && want.KeepBits != comp.KeepBits {
		diffs = append(diffs, fmt.Sprintf("--keep-bits %d (file: %d)", want.KeepBits, comp.KeepBits))
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s was made with other parameters: %s", cfg.Output, strings.Join(diffs, ", "))
	}
	if images > cfg.Params.Images {
		return fmt.Errorf("--nbimage %d: %s already holds %d images", cfg.Params.Images, cfg.Output, images)
	}
	return nil
}

// Run advances image by image until every image is stored, ctx is
// cancelled or storage fails, then delivers the readbacks still queued.
// It returns the first error (ctx's error after a cancellation). Close
// must follow.
func (pl *Pipeline) Run(ctx context.Context) error {
	for !pl.Done() && pl.err == nil {
		pl.Advance(ctx, pl.cfg.Params.StepsPerImage)
	}
	return pl.Drain()
}

// Done reports whether the readback of every image has been queued.
func (pl *Pipeline) Done() bool { return pl.queued >= pl.cfg.Params.Images }

// Advance queues up to n steps, never past the last image: at each image
// boundary it queues the readback and, when the ring is full, delivers the
// oldest image to storage (blocking while storage is behind). When ctx is
// cancelled it stops between chunks of steps. It returns the first error
// of the run, which stays: later calls return it at once.
func (pl *Pipeline) Advance(ctx context.Context, n int) error {
	steps := pl.cfg.Params.StepsPerImage
	for n > 0 && !pl.Done() && pl.err == nil {
		if ctx.Err() != nil {
			return pl.cancelled(ctx)
		}
		k := min(n, steps-pl.stepInImage, stepChunk)
		if err := pl.src.Step(k); err != nil {
			return pl.fail(err)
		}
		n -= k
		pl.stepInImage += k
		if pl.stepInImage < steps {
			continue
		}
		pl.stepInImage = 0
		// U is copied only where a checkpoint may follow: on schedule, the
		// last image, and every image once a stop is under way.
		withU := pl.checkpointDue(pl.queued) || pl.queued == pl.cfg.Params.Images-1 || ctx.Err() != nil
		if err := pl.src.QueueReadback(withU); err != nil {
			return pl.fail(err)
		}
		pl.pendingU = append(pl.pendingU, withU)
		pl.queued++
		if pl.src.PendingReadbacks() >= pl.src.ReadbackSlots() {
			if err := pl.deliver(ctx, false); err != nil {
				if ctx.Err() != nil {
					return pl.cancelled(ctx)
				}
				return pl.fail(err)
			}
		}
	}
	return pl.err
}

// checkpointDue reports whether image index carries a scheduled checkpoint.
func (pl *Pipeline) checkpointDue(index int) bool {
	return pl.cfg.FlushEvery > 0 && (index+1)%pl.cfg.FlushEvery == 0
}

func (pl *Pipeline) fail(err error) error {
	if pl.err == nil {
		pl.err = err
	}
	return pl.err
}

// cancelled records a stop asked through ctx.
func (pl *Pipeline) cancelled(ctx context.Context) error {
	if pl.err == nil {
		pl.err = ctx.Err()
		pl.stopReason = "interrupted: " + context.Cause(ctx).Error()
	}
	return pl.err
}

// Drain delivers the readbacks still queued, the last with a checkpoint:
// images already computed are kept, even after a cancellation. A storage
// failure ends it at once. It returns the run's first error.
func (pl *Pipeline) Drain() error {
	for pl.src.PendingReadbacks() > 0 && pl.writer.Err() == nil {
		if err := pl.deliver(context.Background(), pl.src.PendingReadbacks() == 1); err != nil {
			return pl.fail(err)
		}
	}
	if err := pl.writer.Err(); err != nil {
		return pl.fail(err)
	}
	return pl.err
}

// deliver moves the oldest readback into a pooled frame and on to the
// writer, with U when a checkpoint is due or it is the last of a drain.
func (pl *Pipeline) deliver(ctx context.Context, last bool) error {
	index := pl.next
	withU := pl.pendingU[0]
	// Without a copy, U is still there when it is the current state: the
	// newest readback with no step queued after it.
	haveU := withU || (pl.src.PendingReadbacks() == 1 && pl.stepInImage == 0)
	checkpoint := (pl.checkpointDue(index) || last) && haveU
	frame, err := pl.writer.Frame(ctx)
	if err != nil {
		return err
	}
	if !checkpoint {
		if _, err := pl.src.CompleteReadback(frame, nil); err != nil {
			pl.writer.Recycle(frame)
			return err
		}
		err = pl.writer.Send(frame)
	} else {
		u, err := pl.writer.StateFrame(ctx)
		if err != nil {
			pl.writer.Recycle(frame)
			return err
		}
		step, err := pl.src.CompleteReadback(frame, u)
		if err != nil {
			pl.writer.Recycle(frame)
			pl.writer.RecycleState(u)
			return err
		}
		err = pl.writer.SendState(frame, u, step)
	}
	pl.pendingU = pl.pendingU[1:]
	pl.next++
	pl.lastCheckpointed = checkpoint
	if err != nil {
		return err
	}
	if pl.cfg.OnImage != nil {
		pl.cfg.OnImage(pl.next)
	}
	return nil
}

// SetRates delivers the readbacks in flight, then changes the engine's F
// and k for the steps from now on (a window's preset); the file's
// checkpoints from then on record them, so that a resumed run continues
// with them. The source must be a RateSetter. Call it from the goroutine
// that advances the pipeline.
func (pl *Pipeline) SetRates(feed, kill float32) error {
	rs, ok := pl.src.(RateSetter)
	if !ok {
		return fmt.Errorf("pipeline: this engine cannot change its rates")
	}
	if err := pl.Drain(); err != nil {
		return err
	}
	if err := rs.SetRates(feed, kill); err != nil {
		return err // rejected rates: nothing changed
	}
	pl.feed, pl.kill = feed, kill
	if err := pl.writer.Do(func(f File) error { f.SetRates(feed, kill); return nil }); err != nil {
		return pl.fail(err)
	}
	return nil
}

// Rates returns the F and k in force: the parameters', a resumed
// checkpoint's, or the last SetRates'.
func (pl *Pipeline) Rates() (feed, kill float32) { return pl.feed, pl.kill }

// Record writes attributes to the file in order with the images, flushed
// at once, so that a crash keeps them (a window's changes as they happen).
// An attribute the file did not have when the run began is written when
// the file closes (SWMR creates nothing). Call it from the goroutine that
// advances the pipeline.
func (pl *Pipeline) Record(attrs ...storage.Attr) error {
	if err := pl.writer.Do(func(f File) error {
		if err := f.SetAttrs(attrs...); err != nil {
			return err
		}
		return f.Flush()
	}); err != nil {
		return pl.fail(err)
	}
	return nil
}

// SetState delivers the readbacks in flight, then replaces the engine's
// state (the window's reset); the image in progress starts over.
func (pl *Pipeline) SetState(st *sim.State, step int64) error {
	if err := pl.Drain(); err != nil {
		return err
	}
	if err := pl.src.SetState(st, step); err != nil {
		return pl.fail(err)
	}
	pl.stepInImage = 0
	return nil
}

// Delivered returns how many images the file holds or has been sent:
// those of a resumed file, then each one handed to storage.
func (pl *Pipeline) Delivered() int { return pl.next }

// Queued returns how many images have been computed or queued (Delivered
// plus the readbacks in flight).
func (pl *Pipeline) Queued() int { return pl.queued }

// FirstImage returns the images the file held when the run started (its
// checkpoint's, when resuming).
func (pl *Pipeline) FirstImage() int { return pl.first }

// StartStep returns the step count of the state the run started from.
func (pl *Pipeline) StartStep() int64 { return pl.startStep }

// Images returns the images the run ends with.
func (pl *Pipeline) Images() int { return pl.cfg.Params.Images }

// QueueLen returns how many images wait in the storage queue now, and its
// capacity. It may be called from any goroutine.
func (pl *Pipeline) QueueLen() (int, int) { return pl.writer.QueueLen() }

// Backlog returns how many images already waited in the storage queue when
// the last image was handed to it (the summary's queue mean and max are
// over these), and the queue's capacity. It may be called from any
// goroutine.
func (pl *Pipeline) Backlog() (int, int) { return pl.writer.Backlog() }

// Live is a run's progress and the figures of its data path so far, for
// a viewer while it runs (Pipeline.Live).
type Live struct {
	storage.Live
	// Images counts the images in the file: those of a resumed file, then
	// each one stored (Live.Frames counts this run's).
	Images int
}

// Live returns the run's progress and its data path's figures so far.
// It may be called from any goroutine, during the run and after Close.
func (pl *Pipeline) Live() Live {
	l := pl.writer.Live()
	return Live{Live: l, Images: pl.first + l.Frames}
}

// Snapshot returns the run's Snapshot: a copy of a stored image, taken on
// the writer's goroutine only when a viewer asks for one, so that a viewer
// never reads the file. Its methods may be called from any goroutine.
func (pl *Pipeline) Snapshot() *storage.Snapshot { return pl.snap }

// WaitingForStorage reports whether the run is blocked now because every
// frame is in flight to storage (backpressure). It may be called from any
// goroutine.
func (pl *Pipeline) WaitingForStorage() bool { return pl.writer.Blocked() }

// Close delivers the readbacks still queued (see Drain), stops the writer,
// which stores what is queued, records the final state and closes the file. The file is completed when every image was
// stored without error and stop is nil; otherwise its stop reason is stop
// (the caller's reason to end early, e.g. a closed window), else the
// cancellation's cause, else the run's error. Close returns the run's
// figures and its error: the run's first error (ctx's after a
// cancellation), else the writer's; a stop of the caller's is not an
// error. The engine is the caller's to release afterwards.
func (pl *Pipeline) Close(stop error) (*Summary, error) {
	if pl.closed {
		return nil, errors.New("pipeline: closed twice")
	}
	pl.closed = true
	pl.Drain() // images already computed are kept; its error is the run's
	runErr := pl.err
	reason := pl.stopReason
	switch {
	case stop != nil:
		reason = stop.Error()
	case reason == "" && runErr != nil:
		reason = runErr.Error()
	}
	completed := stop == nil && runErr == nil && pl.next == pl.cfg.Params.Images
	if !completed && reason == "" {
		reason = fmt.Sprintf("stopped after %d of %d images", pl.next, pl.cfg.Params.Images)
	}
	isCtx := errors.Is(runErr, context.Canceled) || errors.Is(runErr, context.DeadlineExceeded)
	if stop != nil || isCtx {
		pl.checkpointLast()
	}
	st, werr := pl.writer.Close(completed, reason)
	if stop != nil {
		runErr = werr
	} else if runErr == nil || (isCtx && werr != nil) {
		runErr = werr
	}
	s := pl.summary(st, runErr == nil && completed)
	if !s.Completed {
		s.StopReason = reason
		if werr != nil && stop == nil && !isCtx {
			s.StopReason = runErr.Error()
		}
	}
	return s, runErr
}

// checkpointLast saves a checkpoint of the image delivered last when it
// went without one (a stop right after a delivery, as with one readback
// slot) and the engine still holds its state (no step since): a resume
// then starts right there instead of at the previous checkpoint. It is
// best effort: on any failure the older checkpoint stays.
func (pl *Pipeline) checkpointLast() {
	if pl.lastCheckpointed || pl.next == pl.first || pl.stepInImage != 0 || pl.src.PendingReadbacks() > 0 || pl.writer.Err() != nil {
		return
	}
	ctx := context.Background()
	v, err := pl.writer.Frame(ctx)
	if err != nil {
		return
	}
	u, err := pl.writer.StateFrame(ctx)
	if err != nil {
		pl.writer.Recycle(v)
		return
	}
	var step int64
	if err = pl.src.QueueReadback(true); err == nil {
		step, err = pl.src.CompleteReadback(v, u)
	}
	if err != nil {
		pl.writer.Recycle(v)
		pl.writer.RecycleState(u)
		return
	}
	if pl.writer.SendCheckpoint(v, u, step) == nil {
		pl.lastCheckpointed = true
	}
}

// Run is the convenience for a whole run into an HDF5 file: New with
// OpenHDF5, Run, Close. The engine is the caller's.
func Run(ctx context.Context, src Source, cfg Config) (*Summary, error) {
	pl, err := New(src, cfg, OpenHDF5)
	if err != nil {
		return nil, err
	}
	pl.Run(ctx)
	return pl.Close(nil)
}
