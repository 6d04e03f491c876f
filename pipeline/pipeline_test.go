package pipeline

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

func testParams(rows, cols, images, steps int, b sim.Boundary) sim.Params {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage, p.Boundary = rows, cols, images, steps, b
	return p
}

// expected returns V after (i+1)·e steps for each image i, stepped here
// with the reference model.
func expected(p sim.Params) [][]float32 {
	ref := sim.NewReference(p, sim.InitialState(p.Rows, p.Cols))
	out := make([][]float32, p.Images)
	for i := range out {
		ref.Step(p.StepsPerImage)
		out[i] = append([]float32(nil), ref.State().V...)
	}
	return out
}

// TestShapesGiveTheReferenceImages runs every shape of the data path
// (synchronous, queued, deep queues, one or many readback slots, flushes,
// compressed in line or on workers) and checks that image i of each file
// is V after (i+1)·e steps of the reference model, bit for bit.
func TestShapesGiveTheReferenceImages(t *testing.T) {
	p := testParams(19, 27, 9, 13, sim.Neumann)
	want := expected(p)
	for _, c := range []struct{ bufferLen, slots, level, workers, flush int }{
		{0, 1, 0, 0, 0}, {1, 2, 0, 0, 0}, {4, 3, 0, 0, 2}, {2, 16, 0, 0, 0},
		{0, 2, 5, 0, 0}, {3, 2, 5, 2, 1}, {1, 1, 1, 0, 4},
	} {
		name := fmt.Sprintf("%+v", c)
		path := filepath.Join(t.TempDir(), "run.h5")
		src := newRefSource(p, c.slots)
		var done []int
		sum, err := Run(context.Background(), src, Config{Params: p, Output: path, BufferLen: c.bufferLen,
			Compression: storage.Deflate(c.level), CompressWorkers: c.workers, FlushEvery: c.flush,
			OnImage: func(n int) { done = append(done, n) }})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !sum.Completed || sum.Images != p.Images || sum.Steps != int64(p.Images*p.StepsPerImage) || sum.ReadbackSlots != c.slots {
			t.Errorf("%s: summary %+v", name, sum)
		}
		if len(done) != p.Images || done[0] != 1 || done[len(done)-1] != p.Images {
			t.Errorf("%s: OnImage saw %v", name, done)
		}
		testutil.SameImages(t, name, h5test.ReadImages(t, path), want)
		// Stored bytes are what /matrix takes in the file, however it was
		// compressed (in line by HDF5, or on workers).
		r, err := h5.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		inFile := r.StoredBytes()
		r.Close()
		if sum.StoredBytes != inFile || (c.level > 0) != (sum.StoredBytes < sum.BytesWritten) {
			t.Errorf("%s: stored %d bytes of %d, the file's /matrix takes %d", name, sum.StoredBytes, sum.BytesWritten, inFile)
		}
		if h5test.Int(t, path, "completed") != 1 || h5test.Int(t, path, "frames_written") != int64(p.Images) ||
			h5test.Int(t, path, "flush_every") != int64(c.flush) {
			t.Errorf("%s: completed %d, frames_written %d, flush_every %d", name, h5test.Int(t, path, "completed"),
				h5test.Int(t, path, "frames_written"), h5test.Int(t, path, "flush_every"))
		}
	}
}

// gatedSink holds every write until the test opens the gate.
// wrapped opens the file with OpenHDF5, then wraps it (fault injection).
func wrapped(wrap func(File) File) Opener {
	return func(cfg Config) (File, *h5.Checkpoint, error) {
		f, ck, err := OpenHDF5(cfg)
		if err != nil {
			return nil, nil, err
		}
		return wrap(f), ck, nil
	}
}

// runWith is Run with the file opened by open.
func runWith(ctx context.Context, src Source, cfg Config, open Opener) (*Summary, error) {
	pl, err := New(src, cfg, open)
	if err != nil {
		return nil, err
	}
	pl.Run(ctx)
	return pl.Close(nil)
}

type gatedSink struct {
	File
	gate chan struct{}
}

func (s *gatedSink) WriteFrame(f []float32) error { <-s.gate; return s.File.WriteFrame(f) }
func (s *gatedSink) WriteChunk(c []byte) error    { <-s.gate; return s.File.WriteChunk(c) }

// TestBackpressureBoundsTheEngine stalls storage at the first image and
// waits until the engine is blocked waiting for a frame: it must then have
// computed exactly the images that fill the writer (one being stored, or
// one per encoding worker), the queue and the readback ring, and not one
// more. Opening the gate, the run completes with the reference images.
func TestBackpressureBoundsTheEngine(t *testing.T) {
	p := testParams(16, 16, 30, 2, sim.Periodic)
	want := expected(p)
	for _, c := range []struct{ bufferLen, slots, level, workers int }{
		{1, 1, 0, 0}, {1, 2, 0, 0}, {3, 2, 0, 0}, {2, 3, 1, 2}, {1, 1, 1, 3},
	} {
		name := fmt.Sprintf("%+v", c)
		path := filepath.Join(t.TempDir(), "bp.h5")
		src := newRefSource(p, c.slots)
		gate := make(chan struct{})
		pl, err := New(src, Config{Params: p, Output: path, BufferLen: c.bufferLen, Compression: storage.Deflate(c.level),
			CompressWorkers: c.workers}, wrapped(func(f File) File { return &gatedSink{File: f, gate: gate} }))
		if err != nil {
			t.Fatal(err)
		}
		ran := make(chan error)
		go func() { ran <- pl.Run(context.Background()) }()
		deadline := time.Now().Add(20 * time.Second)
		for !pl.WaitingForStorage() {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("%s: the engine never blocked on storage; %d images computed\n%s", name, src.queued.Load(), buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(time.Millisecond)
		}
		inWriter := 1
		if c.level > 0 && c.workers > 0 {
			inWriter = c.workers
		}
		if got, bound := int(src.queued.Load()), inWriter+c.bufferLen+c.slots; got != bound {
			t.Errorf("%s: %d images computed while storage was stalled, want exactly %d (%d in the writer + %d queued + %d readback slots)",
				name, got, bound, inWriter, c.bufferLen, c.slots)
		}
		close(gate)
		testutil.WithDeadline(t, 20*time.Second, func() {
			if err := <-ran; err != nil {
				t.Error(err)
			}
		})
		if _, err := pl.Close(nil); err != nil {
			t.Fatal(err)
		}
		testutil.SameImages(t, name, h5test.ReadImages(t, path), want)
	}
}

// failingSink fails the write of image failAt (0-based, in this run) as a
// dying disk would. It embeds the file so that the writer still finds its
// checkpoints and attributes.
type failingSink struct {
	File
	failAt, n int
}

func (s *failingSink) WriteFrame(f []float32) error {
	defer func() { s.n++ }()
	if s.n == s.failAt {
		return fmt.Errorf("test: writing image %d: %w", s.n, syscall.EIO)
	}
	return s.File.WriteFrame(f)
}

// TestFailingSinkStopsTheRun: a write error stops the run at once, with
// the error; the file is closed as incomplete holding exactly the images
// before the failing one, with the error as its stop reason.
func TestFailingSinkStopsTheRun(t *testing.T) {
	p := testParams(12, 14, 40, 3, sim.Zero)
	want := expected(p)
	for _, bufferLen := range []int{0, 1, 4} {
		path := filepath.Join(t.TempDir(), "fail.h5")
		src := newRefSource(p, 2)
		var sum *Summary
		var err error
		testutil.WithDeadline(t, 20*time.Second, func() {
			sum, err = runWith(context.Background(), src, Config{Params: p, Output: path, BufferLen: bufferLen},
				wrapped(func(f File) File { return &failingSink{File: f, failAt: 7} }))
		})
		if !errors.Is(err, syscall.EIO) {
			t.Fatalf("buffer %d: error %v, want EIO", bufferLen, err)
		}
		if sum.Completed || sum.Images != 7 || !strings.Contains(sum.StopReason, "writing image 7") {
			t.Errorf("buffer %d: summary %+v", bufferLen, sum)
		}
		// The engine stops within the frames in flight of the failure.
		if q := int(src.queued.Load()); q > 7+1+bufferLen+2+1 {
			t.Errorf("buffer %d: %d images computed after a failure at image 7", bufferLen, q)
		}
		testutil.SameImages(t, "failed run", h5test.ReadImages(t, path), want[:7])
		if h5test.Int(t, path, "completed") != 0 || h5test.Int(t, path, "frames_written") != 7 ||
			!strings.Contains(h5test.String(t, path, "stop_reason"), "writing image 7") {
			t.Errorf("buffer %d: completed %d, frames_written %d, stop_reason %q", bufferLen, h5test.Int(t, path, "completed"),
				h5test.Int(t, path, "frames_written"), h5test.String(t, path, "stop_reason"))
		}
	}
}

// TestCancelKeepsComputedImagesAndResumes cancels a run after image 5:
// every image computed by then is written, the last with a checkpoint, the
// file says why it stopped, and resuming it gives the images of an
// uninterrupted run, bit for bit.
func TestCancelKeepsComputedImagesAndResumes(t *testing.T) {
	p := testParams(21, 17, 14, 11, sim.Periodic)
	want := expected(p)
	for _, slots := range []int{1, 3} {
		path := filepath.Join(t.TempDir(), "stop.h5")
		ctx, cancel := context.WithCancelCause(context.Background())
		src := newRefSource(p, slots)
		cfg := Config{Params: p, Output: path, BufferLen: 1, FlushEvery: 4,
			OnImage: func(n int) {
				if n == 5 {
					cancel(errors.New("test stop"))
				}
			}}
		sum, err := Run(ctx, src, cfg)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("slots %d: error %v, want context.Canceled", slots, err)
		}
		held := 5 + slots - 1 // the images whose readbacks were queued when the stop came
		if sum.Completed || sum.Images != held || sum.StopReason != "interrupted: test stop" {
			t.Errorf("slots %d: summary %+v", slots, sum)
		}
		testutil.SameImages(t, "stopped run", h5test.ReadImages(t, path), want[:held])
		if s := h5test.String(t, path, "stop_reason"); s != "interrupted: test stop" {
			t.Errorf("slots %d: stop_reason %q", slots, s)
		}
		r, err := h5.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		step, images, ok := r.Checkpoint()
		r.Close()
		if !ok || images != held || step != int64(held*p.StepsPerImage) {
			t.Errorf("slots %d: checkpoint after image %d at step %d (%v), want image %d", slots, images, step, ok, held)
		}

		cfg.OnImage = nil
		cfg.Resume = true
		src2 := newRefSource(p, slots)
		pl, err := New(src2, cfg, OpenHDF5)
		if err != nil {
			t.Fatal(err)
		}
		if pl.FirstImage() != held || pl.StartStep() != int64(held*p.StepsPerImage) {
			t.Errorf("slots %d: resumed at image %d step %d", slots, pl.FirstImage(), pl.StartStep())
		}
		pl.Run(context.Background())
		sum, err = pl.Close(nil)
		if err != nil || !sum.Completed || sum.FirstImage != held || sum.Images != p.Images-held {
			t.Fatalf("slots %d: resume: %v, %+v", slots, err, sum)
		}
		testutil.SameImages(t, "resumed run", h5test.ReadImages(t, path), want)
		if s := h5test.String(t, path, "stop_reason"); s != "" {
			t.Errorf("a completed resume left stop_reason %q", s)
		}
	}
}

// TestStopInsideALongImage cancels in the middle of an image longer than
// a step chunk, when the last image's U was not copied and the state has
// moved on: that image is kept without a checkpoint, the older checkpoint
// stays, and the resume still ends bit-identical.
func TestStopInsideALongImage(t *testing.T) {
	p := testParams(8, 9, 5, 2*stepChunk+5, sim.Neumann)
	want := expected(p)
	path := filepath.Join(t.TempDir(), "long.h5")
	ctx, cancel := context.WithCancel(context.Background())
	src := newRefSource(p, 1)
	// Image 3 (the fourth) is cut short after its first chunk.
	src.onStep = func(steps int64) {
		if steps == int64(3*p.StepsPerImage+stepChunk) {
			cancel()
		}
	}
	cfg := Config{Params: p, Output: path, BufferLen: 1, FlushEvery: 2}
	sum, err := Run(ctx, src, cfg)
	if !errors.Is(err, context.Canceled) || sum.Images != 3 {
		t.Fatalf("%v, %+v", err, sum)
	}
	r, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	_, images, ok := r.Checkpoint()
	r.Close()
	if !ok || images != 2 {
		t.Errorf("checkpoint after image %d (%v), want the scheduled one after image 2", images, ok)
	}
	cfg.Resume = true
	if _, err := Run(context.Background(), newRefSource(p, 1), cfg); err != nil {
		t.Fatal(err)
	}
	testutil.SameImages(t, "resumed run", h5test.ReadImages(t, path), want)
}

// TestResumeAfterAFailureRecomputes: after a write failure the file keeps
// its scheduled checkpoint; the resume drops the images after it and
// computes them again.
func TestResumeAfterAFailureRecomputes(t *testing.T) {
	p := testParams(10, 10, 12, 7, sim.Zero)
	want := expected(p)
	path := filepath.Join(t.TempDir(), "r.h5")
	cfg := Config{Params: p, Output: path, BufferLen: 2, FlushEvery: 3}
	failing := wrapped(func(f File) File { return &failingSink{File: f, failAt: 8} })
	if _, err := runWith(context.Background(), newRefSource(p, 2), cfg, failing); !errors.Is(err, syscall.EIO) {
		t.Fatalf("error %v, want EIO", err)
	}
	cfg.Resume = true
	src := newRefSource(p, 2)
	pl, err := New(src, cfg, OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	if pl.FirstImage() != 6 {
		t.Errorf("resumed from image %d, want the checkpoint after image 6", pl.FirstImage())
	}
	pl.Run(context.Background())
	if _, err := pl.Close(nil); err != nil {
		t.Fatal(err)
	}
	testutil.SameImages(t, "resumed run", h5test.ReadImages(t, path), want)
}

// TestResumeRefusesOtherParameters: a file is continued only with its own
// model, compression and no fewer images than it holds.
func TestResumeRefusesOtherParameters(t *testing.T) {
	p := testParams(10, 12, 4, 5, sim.Zero)
	path := filepath.Join(t.TempDir(), "a.h5")
	if _, err := Run(context.Background(), newRefSource(p, 2), Config{Params: p, Output: path}); err != nil {
		t.Fatal(err)
	}
	other := p
	other.Kill = 0.06
	fewer := p
	fewer.Images = 2
	for _, c := range []struct {
		p     sim.Params
		level int
		want  string
	}{{other, 0, "--killrate 0.06 (file: 0.054)"}, {p, 3, "--compression deflate:3 (file: none)"}, {fewer, 0, "already holds 4 images"}} {
		_, err := New(newRefSource(c.p, 2), Config{Params: c.p, Output: path, Resume: true, Compression: storage.Deflate(c.level)}, OpenHDF5)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("resume with %+v level %d: %v, want %q", c.p, c.level, err, c.want)
		}
	}
	testutil.SameImages(t, "refused resumes", h5test.ReadImages(t, path), expected(p))
}

// TestAdvanceInSmallSteps drives the run as the preview window does, a few
// steps at a time across image boundaries, with a reset in the middle:
// images follow the reference, restarted at the reset.
func TestAdvanceInSmallSteps(t *testing.T) {
	p := testParams(13, 11, 6, 10, sim.Neumann)
	path := filepath.Join(t.TempDir(), "w.h5")
	src := newRefSource(p, 2)
	pl, err := New(src, Config{Params: p, Output: path, BufferLen: 1}, OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for pl.Queued() < 2 {
		if err := pl.Advance(ctx, 3); err != nil {
			t.Fatal(err)
		}
	}
	// 21 steps done: images 0 and 1, and 1 step of image 2.
	if err := pl.SetState(sim.InitialState(p.Rows, p.Cols), 0); err != nil {
		t.Fatal(err)
	}
	if pl.Delivered() != 2 || src.PendingReadbacks() != 0 {
		t.Errorf("after the reset: %d delivered, %d pending", pl.Delivered(), src.PendingReadbacks())
	}
	for !pl.Done() {
		if err := pl.Advance(ctx, 7); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := pl.Close(nil)
	if err != nil || !sum.Completed {
		t.Fatalf("%v %+v", err, sum)
	}
	ref := expected(p)
	want := append(append([][]float32{}, ref[:2]...), ref[:4]...) // the reset starts over
	testutil.SameImages(t, "small steps", h5test.ReadImages(t, path), want)
}

// TestCloseWithAStopOfTheCaller: a run the caller ends early (a closed
// window) is recorded as incomplete with the caller's reason, and Close
// returns no error for it.
func TestCloseWithAStopOfTheCaller(t *testing.T) {
	p := testParams(9, 9, 10, 4, sim.Zero)
	path := filepath.Join(t.TempDir(), "c.h5")
	pl, err := New(newRefSource(p, 2), Config{Params: p, Output: path, BufferLen: 1}, OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	for pl.Queued() < 4 {
		pl.Advance(context.Background(), 4)
	}
	sum, err := pl.Close(errors.New("the window was closed"))
	if err != nil || sum.Completed || sum.StopReason != "the window was closed" || sum.Images != 4 {
		t.Errorf("%v, %+v", err, sum)
	}
	if s := h5test.String(t, path, "stop_reason"); s != "the window was closed" {
		t.Errorf("stop_reason %q", s)
	}
	if _, err := pl.Close(nil); err == nil {
		t.Error("a second Close succeeded")
	}
}

// TestConcurrentObservers reads the run's progress from another goroutine
// while it goes (as a progress display and a web page do), under the race
// detector. Each image the snapshot gives is the file's image of its index,
// bit for bit, and the last one it holds is the run's last image.
func TestConcurrentObservers(t *testing.T) {
	p := testParams(16, 16, 40, 2, sim.Zero)
	want := expected(p)
	pl, err := New(newRefSource(p, 2), Config{Params: p, Output: filepath.Join(t.TempDir(), "o.h5"), BufferLen: 2}, OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seen []int
	wg.Add(1)
	go func() {
		defer wg.Done()
		snap := pl.Snapshot()
		var frame []float32
		for {
			select {
			case <-stop:
				return
			default:
				pl.QueueLen()
				pl.WaitingForStorage()
				if l := pl.Live(); l.Images != l.Frames || l.Images > p.Images {
					t.Errorf("Live: %d images in the file, %d stored by the run", l.Images, l.Frames)
				}
				snap.Request()
				var i int
				if frame, i = snap.Read(frame); i >= 0 && (len(seen) == 0 || seen[len(seen)-1] != i) {
					seen = append(seen, i)
					testutil.SameImages(t, fmt.Sprintf("snapshot of image %d", i), [][]float32{frame}, want[i:i+1])
				}
				runtime.Gosched()
			}
		}
	}()
	err = pl.Run(context.Background())
	sum, cerr := pl.Close(nil)
	close(stop)
	wg.Wait()
	if err != nil || cerr != nil {
		t.Fatal(err, cerr)
	}
	frame, last := pl.Snapshot().Read(nil)
	if last != p.Images-1 || pl.Live().Images != p.Images || pl.Live().WriteTime.Seconds() != sum.WriteS {
		t.Errorf("the snapshot showed images %v and holds image %d at the end; Live %+v, summary %+v", seen, last, pl.Live(), sum)
	} else {
		testutil.SameImages(t, "the last snapshot", [][]float32{frame}, want[last:])
	}
}
