package storage

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// item is one queued image, with U when it carries a checkpoint. A
// checkpoint-only item carries the state of the image stored last, which
// is not stored again. A record (Do: a function, no frame) changes the
// sink between two images.
type item[S Sink] struct {
	frame          []float32
	u              []float32
	step           int64
	checkpointOnly bool
	do             func(S) error
}

func (it item[S]) record() bool { return it.frame == nil }

// WriterOptions shape a Writer.
type WriterOptions struct {
	// BufferLen bounds the queue between producer and writer goroutine.
	// 0 makes the Writer synchronous: Send writes on the caller's goroutine.
	BufferLen int
	// FlushEvery flushes the sink every so many frames; 0 only at Close.
	FlushEvery int
	// Workers encode chunks in parallel when the sink has an encoder
	// (Sink.NewEncoder) and BufferLen > 0; 0 leaves encoding to the sink
	// (HDF5's in-line filter).
	Workers int
	// PublishEvery, when positive, has the sink publish what it holds (visible to readers following it, not durable) once that long
	// has passed since the last flush or publish, checked after each image.
	PublishEvery time.Duration
	// OnFlush, when set, is called after each flush with the number of
	// images the sink holds, all of them durable now. It runs on the
	// goroutine that owns the sink (the writer's, with BufferLen > 0) and
	// must not block.
	OnFlush func(images int)
	// Checkpoints makes a second pool of PoolSize() frames for U, handed
	// out by StateFrame, so that images can carry checkpoints (SendState).
	Checkpoints bool
	// Snapshot, when set, receives a copy of a stored image when a viewer
	// asked for one (see Snapshot): one atomic load per image otherwise.
	Snapshot *Snapshot
}

// PoolSize returns how many frames a pipeline with these options uses:
// BufferLen queued or being filled by the producer, plus one being written
// (or one per encoding worker). With that many, Send never blocks: the
// producer waits in Frame instead, the one place backpressure acts.
func (o WriterOptions) PoolSize() int {
	if o.BufferLen == 0 {
		return 1
	}
	return o.BufferLen + max(1, o.Workers)
}

// Stats describe what a Writer did.
type Stats struct {
	Frames      int           // images stored
	Bytes       int64         // raw image bytes stored (4 per cell)
	StoredBytes int64         // bytes handed to the sink after encoding (= Bytes when raw)
	Flushes     int           // flushes during the run (not counting Close)
	Publishes   int           // publishes (see WriterOptions.PublishEvery)
	Checkpoints int           // checkpoints saved
	PoolWait    time.Duration // time the producer was blocked waiting for a free frame
	WriterIdle  time.Duration // time the writer goroutine waited for frames
	WriteTime   time.Duration // time spent in the sink's writes and flushes
	QueueMax    int           // most frames already waiting in the queue when one was sent
	QueueMean   float64       // mean frames already waiting in the queue when one was sent
}

// Live is what a Writer has done so far, for a viewer while it runs
// (Writer.Live). The durations include the wait in progress.
type Live struct {
	Frames     int           // images stored
	PoolWait   time.Duration // the producer blocked waiting for a free frame
	Blocked    bool          // the producer is blocked now (backpressure)
	WriterIdle time.Duration // the writer goroutine waiting for frames
	WriteTime  time.Duration // in the sink's writes and flushes
	Queued     int           // images waiting in the queue now
	QueueCap   int           // the queue's capacity
}

// DefaultPublishEvery is how often readers following a run see its new
// images (WriterOptions.PublishEvery): an HDF5 flush without fsync, a few
// milliseconds once a second.
const DefaultPublishEvery = time.Second

// ErrClosed is returned by Send and Frame after Close.
var ErrClosed = errors.New("storage: writer closed")

// Writer moves frames from a producer to a Sink of type S through a
// bounded queue, recycling them through a Pool. The producer loop is
//
//	frame, err := w.Frame(ctx) // blocks while every frame is in flight
//	... fill frame ...
//	err = w.Send(frame)        // frame now belongs to the Writer
//
// and ends with Close. Frame, Send and Close must be called from one
// goroutine. With BufferLen > 0 a goroutine locked to its OS thread makes
// every call on the sink, open and close included.
//
// The first error of the sink is sticky: every later Send and Frame returns
// it (promptly: a producer blocked in Frame is woken), frames still queued
// are returned to the pool unwritten, and Close returns it.
type Writer[S Sink] struct {
	opts      WriterOptions
	pool      *Pool
	statePool *Pool // U frames for checkpoints, or nil
	sink      S
	queue     chan item[S]

	mu     sync.Mutex
	err    error
	failed chan struct{} // closed at the first error

	done   chan struct{} // closed when the writer goroutine has ended
	closed bool

	completed  bool // set by Close before the queue closes
	reason     string
	sizeAtOpen int64 // the sink's StoredSize before this run's images

	// firstImage counts the images the sink held when opened (a resumed
	// file): flushes fall on images whose index+1 is a multiple of
	// FlushEvery, whatever run wrote them.
	firstImage int
	published  time.Time // the last flush or publish

	stats    Stats // the counts below excepted
	queueSum int
	sends    int
	backlog  atomic.Int32 // images waiting when the last image was sent

	// Written by the goroutine that owns the sink, read by Live from any.
	frames    atomic.Int64 // images stored (Stats.Frames)
	writeNs   atomic.Int64 // Stats.WriteTime
	idleNs    atomic.Int64 // Stats.WriterIdle, waits ended
	idleSince atomic.Int64 // when the wait in progress began (UnixNano), 0 when busy
}

// StartWriter opens the sink with open (on the writer goroutine when
// BufferLen > 0) and starts the writer. pool should hold opts.PoolSize()
// frames: fewer starve the writer, more make Send block on a full queue. When open fails, its error is returned and nothing runs.
func StartWriter[S Sink](open func() (S, error), pool *Pool, opts WriterOptions) (*Writer[S], error) {
	if opts.BufferLen < 0 || opts.FlushEvery < 0 || opts.Workers < 0 {
		return nil, fmt.Errorf("storage: writer options %+v: none may be negative", opts)
	}
	w := &Writer[S]{opts: opts, pool: pool, failed: make(chan struct{}), done: make(chan struct{})}
	if opts.Checkpoints {
		w.statePool = NewPool(pool.Size(), pool.Cells())
	}
	if opts.BufferLen == 0 {
		sink, err := open()
		if err != nil {
			return nil, err
		}
		w.setSink(sink)
		close(w.done)
		return w, nil
	}
	w.queue = make(chan item[S], opts.BufferLen)
	opened := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the sink's calls stay on one OS thread (HDF5 keeps per-thread state)
		defer runtime.UnlockOSThread()
		defer close(w.done)
		sink, err := open()
		if err != nil {
			opened <- err
			return
		}
		w.setSink(sink)
		opened <- nil
		w.drain()
	}()
	if err := <-opened; err != nil {
		<-w.done
		return nil, err
	}
	return w, nil
}

func (w *Writer[S]) setSink(s S) {
	w.sink = s
	w.published = time.Now()
	w.firstImage = s.Frames()
	w.sizeAtOpen = s.StoredSize()
}

// Err returns the first error, or nil.
func (w *Writer[S]) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *Writer[S]) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
		close(w.failed)
	}
}

// Frame returns a free frame from the pool, blocking while none is free
// (backpressure). It returns early with the writer's sticky error or ctx's
// error. The frame belongs to the caller until Send.
func (w *Writer[S]) Frame(ctx context.Context) ([]float32, error) { return w.frameFrom(ctx, w.pool) }

// StateFrame returns a free frame for U (for SendState), like Frame; it
// needs WriterOptions.Checkpoints.
func (w *Writer[S]) StateFrame(ctx context.Context) ([]float32, error) {
	if w.statePool == nil {
		return nil, errors.New("storage: StateFrame on a writer made without Checkpoints")
	}
	return w.frameFrom(ctx, w.statePool)
}

func (w *Writer[S]) frameFrom(ctx context.Context, pool *Pool) ([]float32, error) {
	if w.closed {
		return nil, ErrClosed
	}
	if err := w.Err(); err != nil {
		return nil, err
	}
	f, err := pool.get(ctx.Done(), w.failed)
	if err != nil {
		if werr := w.Err(); werr != nil {
			return nil, werr
		}
		return nil, ctx.Err()
	}
	return f, nil
}

// Send hands frame (from Frame) to the writer; the caller must not touch
// it afterwards. Synchronous writers store it before returning. Send returns
// the sticky error of an earlier failure, after which the frame is simply
// recycled.
func (w *Writer[S]) Send(frame []float32) error { return w.send(item[S]{frame: frame}) }

// SendState is Send for an image that carries a checkpoint: u (from
// StateFrame) is U after step steps, frame is V. After the image, the sink
// saves the checkpoint and flushes. Both
// frames belong to the writer afterwards.
func (w *Writer[S]) SendState(frame, u []float32, step int64) error {
	return w.send(item[S]{frame: frame, u: u, step: step})
}

// SendCheckpoint asks for a checkpoint of the image sent last, which went
// without one: v (from Frame) is that image's V again, u (from
// StateFrame) its U, after step steps. The image is not stored twice. Both
// frames belong to the writer afterwards.
func (w *Writer[S]) SendCheckpoint(v, u []float32, step int64) error {
	return w.send(item[S]{frame: v, u: u, step: step, checkpointOnly: true})
}

// Do runs f on the goroutine that owns the sink, in order with the
// images: after those sent before it, before those sent after it (a
// synchronous Writer runs it before Do returns). It is how a producer
// changes its sink between two images: attributes, the rates its
// checkpoints record. f's error becomes the writer's sticky error. Do may
// wait while the queue is full. Call it from the producer's goroutine.
func (w *Writer[S]) Do(f func(S) error) error {
	return w.send(item[S]{do: f})
}

// recycle returns an item's frames to their pools.
func (w *Writer[S]) recycle(it item[S]) {
	if it.record() {
		return
	}
	w.pool.Put(it.frame)
	if it.u != nil {
		w.statePool.Put(it.u)
	}
}

func (w *Writer[S]) send(it item[S]) error {
	if w.closed {
		w.recycle(it)
		return ErrClosed
	}
	if err := w.Err(); err != nil {
		w.recycle(it)
		return err
	}
	if w.queue == nil {
		w.store(it)
		w.recycle(it)
		return w.Err()
	}
	if !it.record() { // the queue's figures are about images
		n := len(w.queue)
		w.queueSum += n
		w.sends++
		w.stats.QueueMax = max(w.stats.QueueMax, n)
		w.backlog.Store(int32(n))
	}
	select {
	case w.queue <- it: // a frame never waits with a pool of opts.PoolSize() frames; a record may
		return nil
	case <-w.failed:
		w.recycle(it)
		return w.Err()
	}
}

// Recycle returns a frame from Frame that will not be sent (its producer
// failed to fill it).
func (w *Writer[S]) Recycle(frame []float32) { w.pool.Put(frame) }

// RecycleState returns a frame from StateFrame that will not be sent.
func (w *Writer[S]) RecycleState(u []float32) { w.statePool.Put(u) }

// Blocked reports whether the producer is blocked in Frame or StateFrame
// now, waiting for storage to give a frame back. It may be called from any
// goroutine.
func (w *Writer[S]) Blocked() bool {
	return w.pool.Waiting() > 0 || (w.statePool != nil && w.statePool.Waiting() > 0)
}

// QueueLen returns how many images wait in the queue now, and its capacity.
// It may be called from any goroutine.
func (w *Writer[S]) QueueLen() (int, int) { return len(w.queue), cap(w.queue) }

// Backlog returns how many images were already waiting in the queue when
// the last image was sent (what Stats.QueueMean and QueueMax sum up), and
// the queue's capacity. It may be called from any goroutine.
func (w *Writer[S]) Backlog() (int, int) { return int(w.backlog.Load()), cap(w.queue) }

// Live returns what the writer has done so far: the images stored, the
// time the producer waited for storage and the writer waited for images
// (each with the wait in progress), the time in the sink, the queue now.
// It may be called from any goroutine, during the run and after Close.
func (w *Writer[S]) Live() Live {
	idle := time.Duration(w.idleNs.Load())
	if since := w.idleSince.Load(); since != 0 {
		idle += max(0, time.Duration(time.Now().UnixNano()-since))
	}
	return Live{Frames: int(w.frames.Load()), PoolWait: w.pool.Waited(), Blocked: w.Blocked(),
		WriterIdle: idle, WriteTime: time.Duration(w.writeNs.Load()), Queued: len(w.queue), QueueCap: cap(w.queue)}
}

// wrote counts the time since start as time in the sink.
func (w *Writer[S]) wrote(start time.Time) { w.writeNs.Add(int64(time.Since(start))) }

// idle marks the start of a wait for images and returns its start; busy
// ends it. They run on the writer goroutine.
func (w *Writer[S]) idle() time.Time {
	start := time.Now()
	w.idleSince.Store(start.UnixNano())
	return start
}

func (w *Writer[S]) busy(start time.Time) {
	w.idleSince.Store(0) // first: Live may then miss this wait for a moment, never count it twice
	w.idleNs.Add(int64(time.Since(start)))
}

// store writes one image to the sink, then its checkpoint and flushes on
// schedule; errors become sticky. It runs on the goroutine that owns the sink.
func (w *Writer[S]) store(it item[S]) {
	if it.record() {
		w.storeRecord(it)
		return
	}
	if it.checkpointOnly {
		w.storeCheckpoint(it)
		return
	}
	start := time.Now()
	err := w.sink.WriteFrame(it.frame)
	if err == nil {
		w.stats.StoredBytes += int64(4 * len(it.frame))
		err = w.stored(it)
	}
	w.wrote(start)
	if err != nil {
		w.fail(err)
	}
}

// storeRecord runs a record's function on the sink (see Do).
func (w *Writer[S]) storeRecord(it item[S]) {
	start := time.Now()
	err := it.do(w.sink)
	w.wrote(start)
	if err != nil {
		w.fail(err)
	}
}

// storeCheckpoint saves a checkpoint-only item's state and flushes.
func (w *Writer[S]) storeCheckpoint(it item[S]) {
	if w.frames.Load() == 0 {
		return
	}
	start := time.Now()
	err := w.sink.WriteCheckpoint(it.u, it.frame, it.step)
	if err == nil {
		w.stats.Checkpoints++
		err = w.flush()
	}
	w.wrote(start)
	if err != nil {
		w.fail(err)
	}
}

// stored counts a stored image, saves its checkpoint and flushes when one
// is due: after every checkpoint, and every FlushEvery images.
func (w *Writer[S]) stored(it item[S]) error {
	frames := int(w.frames.Add(1))
	w.stats.Bytes += int64(4 * w.pool.Cells())
	if w.opts.Snapshot != nil {
		w.opts.Snapshot.offer(it.frame, w.firstImage+frames-1, it.u != nil)
	}
	due := w.opts.FlushEvery > 0 && (w.firstImage+frames)%w.opts.FlushEvery == 0
	if it.u != nil {
		if err := w.sink.WriteCheckpoint(it.u, it.frame, it.step); err != nil {
			return err
		}
		w.stats.Checkpoints++
		due = true
	}
	if due {
		return w.flush()
	}
	if w.opts.PublishEvery > 0 && time.Since(w.published) >= w.opts.PublishEvery {
		w.published = time.Now()
		w.stats.Publishes++
		return w.sink.Publish()
	}
	return nil
}

// flush flushes the sink and reports it (OnFlush).
func (w *Writer[S]) flush() error {
	w.stats.Flushes++
	w.published = time.Now()
	if err := w.sink.Flush(); err != nil {
		return err
	}
	if w.opts.OnFlush != nil {
		w.opts.OnFlush(w.firstImage + int(w.frames.Load()))
	}
	return nil
}

// drain is the writer goroutine's loop: it ends when the queue is closed
// and empty, then closes the sink.
func (w *Writer[S]) drain() {
	var enc Encoder
	if w.opts.Workers > 0 {
		enc = w.sink.NewEncoder()
	}
	if enc != nil {
		w.drainEncoded(enc)
	} else {
		for {
			start := w.idle()
			it, more := <-w.queue
			w.busy(start)
			if !more {
				break
			}
			if w.Err() == nil {
				w.store(it)
			}
			w.recycle(it)
		}
	}
	w.closeSink()
}

// encodeJob carries one image through a worker.
type encodeJob[S Sink] struct {
	item[S]
	enc   Encoder
	chunk []byte
	err   error
	done  chan struct{}
}

// drainEncoded encodes frames on opts.Workers goroutines and stores the
// chunks in order on this goroutine (the sink's). A feeder goroutine hands
// queued frames to the workers as jobs free up, so encoding goes on while
// the sink writes. At most Workers frames are in the writer's hands (being
// encoded, waiting in order, or being stored): with a pool of PoolSize()
// frames the producer then waits in Frame, never in Send.
func (w *Writer[S]) drainEncoded(first Encoder) {
	n := w.opts.Workers
	free := make(chan *encodeJob[S], n)
	for i := range n {
		enc := first
		if i > 0 {
			enc = w.sink.NewEncoder()
		}
		free <- &encodeJob[S]{enc: enc, done: make(chan struct{}, 1)}
	}
	work := make(chan *encodeJob[S], n)
	ordered := make(chan *encodeJob[S], n) // in frame order
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if !j.checkpointOnly && !j.record() && w.Err() == nil {
					j.chunk, j.err = j.enc.Encode(j.frame)
				}
				j.done <- struct{}{}
			}
		}()
	}
	go func() { // the feeder: a free job first, then the next frame for it
		defer close(ordered)
		defer close(work)
		for j := range free {
			it, more := <-w.queue
			if !more {
				return
			}
			j.item = it
			ordered <- j
			work <- j
		}
	}()
	for {
		start := w.idle()
		j, more := <-ordered
		w.busy(start)
		if !more {
			break
		}
		<-j.done
		if w.Err() == nil {
			if j.record() {
				w.storeRecord(j.item)
			} else if j.checkpointOnly {
				w.storeCheckpoint(j.item)
			} else {
				w.storeChunk(j)
			}
		}
		w.recycle(j.item)
		j.item, j.chunk, j.err = item[S]{}, nil, nil
		free <- j
	}
	wg.Wait()
}

func (w *Writer[S]) storeChunk(j *encodeJob[S]) {
	if j.err != nil {
		w.fail(j.err)
		return
	}
	start := time.Now()
	err := w.sink.WriteChunk(j.chunk)
	if err == nil {
		w.stats.StoredBytes += int64(len(j.chunk))
		err = w.stored(j.item)
	}
	w.wrote(start)
	if err != nil {
		w.fail(err)
	}
}

func (w *Writer[S]) closeSink() {
	// What the images take in the sink: the sink's own count where it has
	// one (it compresses in line: the writer saw only raw frames).
	if w.frames.Load() > 0 {
		if n := w.sink.StoredSize() - w.sizeAtOpen; n > 0 {
			w.stats.StoredBytes = n
		}
	}
	if err := w.sink.Close(w.completed, w.reason); err != nil {
		w.fail(err)
	}
}

// Close stops the writer: queued frames are stored (unless an error came
// first), the sink is closed with completed and reason (why it is not
// completed), and the first error is returned with the run's figures.
// Close waits for the writer goroutine; it is idempotent.
func (w *Writer[S]) Close(completed bool, reason string) (Stats, error) {
	if !w.closed {
		w.closed = true
		if err := w.Err(); err != nil && completed {
			completed, reason = false, err.Error()
		}
		w.completed, w.reason = completed, reason
		if w.queue == nil {
			w.closeSink()
		} else {
			close(w.queue) // the goroutine reads completed and reason after this
			<-w.done
		}
	}
	s := w.stats
	s.Frames, s.WriteTime, s.WriterIdle = int(w.frames.Load()), time.Duration(w.writeNs.Load()), time.Duration(w.idleNs.Load())
	s.PoolWait = w.pool.Waited()
	if w.sends > 0 {
		s.QueueMean = float64(w.queueSum) / float64(w.sends)
	}
	return s, w.Err()
}
