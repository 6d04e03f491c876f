package storage

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"grayscott/internal/testutil"
)

// nopSink is the part of a Sink the fakes below leave alone: it stores
// frames raw, takes no checkpoints and holds nothing when opened.
type nopSink struct{}

func (nopSink) NewEncoder() Encoder                              { return nil }
func (nopSink) WriteChunk([]byte) error                          { panic("a raw sink got a chunk") }
func (nopSink) WriteCheckpoint(u, v []float32, step int64) error { return nil }
func (nopSink) Publish() error                                   { return nil }
func (nopSink) Frames() int                                      { return 0 }
func (nopSink) StoredSize() int64                                { return 0 }

// memSink records what it is given; failAt is the fault seam.
type memSink struct {
	nopSink
	mu        sync.Mutex
	firsts    []float32 // frame[0] of each stored frame, in order
	failAt    int       // fail the failAt-th write (1-based); 0 never
	flushes   int
	closed    bool
	completed bool
	reason    string
}

var errDiskFull = errors.New("no space left on device")

func (s *memSink) WriteFrame(f []float32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && len(s.firsts)+1 == s.failAt {
		return errDiskFull
	}
	s.firsts = append(s.firsts, f[0])
	return nil
}

func (s *memSink) Flush() error { s.mu.Lock(); s.flushes++; s.mu.Unlock(); return nil }

func (s *memSink) Close(completed bool, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed, s.completed, s.reason = true, completed, reason
	return nil
}

func TestPoolBlocksAndRecycles(t *testing.T) {
	p := NewPool(2, 8)
	ctx := context.Background()
	a, _ := p.Get(ctx)
	b, _ := p.Get(ctx)
	got := make(chan []float32)
	go func() { f, _ := p.Get(ctx); got <- f }()
	testutil.WaitUntil(t, "Get blocks on an empty pool", func() bool { return p.Waiting() == 1 })
	select {
	case <-got:
		t.Fatal("Get on an empty pool returned a frame")
	default:
	}
	p.Put(a)
	select {
	case f := <-got:
		if &f[0] != &a[0] {
			t.Error("Get returned a new frame instead of the recycled one")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Put did not wake the blocked Get")
	}
	if p.Waited() <= 0 || p.Waiting() != 0 {
		t.Errorf("after a blocked Get: Waited %v, Waiting %d", p.Waited(), p.Waiting())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Get(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled context on an empty pool: %v", err)
	}
	p.Put(b)
	if p.MaxOut() != 2 || p.Size() != 2 {
		t.Errorf("MaxOut %d Size %d, want 2 2", p.MaxOut(), p.Size())
	}
}

func TestPoolPutTooManyPanics(t *testing.T) {
	p := NewPool(1, 4)
	defer func() {
		if recover() == nil {
			t.Error("Put of a frame the pool never gave out did not panic")
		}
	}()
	p.Put(make([]float32, 4))
}

func TestSteadyStateDoesNotAllocate(t *testing.T) {
	p := NewPool(3, 64)
	ctx := context.Background()
	if n := testing.AllocsPerRun(1000, func() {
		f, _ := p.Get(ctx)
		p.Put(f)
	}); n != 0 {
		t.Errorf("Pool Get+Put: %v allocations per frame", n)
	}
	for _, bufferLen := range []int{0, 1, 4} {
		opts := WriterOptions{BufferLen: bufferLen}
		pool := NewPool(opts.PoolSize(), 64)
		sink := &discardSink{}
		w, err := StartWriter(func() (Sink, error) { return sink, nil }, pool, opts)
		if err != nil {
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(1000, func() {
			f, err := w.Frame(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Send(f); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := w.Close(true, ""); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("buffer len %d: Frame+Send: %v allocations per frame", bufferLen, n)
		}
	}
}

type discardSink struct {
	nopSink
	n atomic.Int64
}

func (s *discardSink) WriteFrame([]float32) error { s.n.Add(1); return nil }
func (s *discardSink) Flush() error               { return nil }
func (s *discardSink) Close(bool, string) error   { return nil }

// produce runs the producer side: n frames numbered 1..n in frame[0].
func produce[S Sink](w *Writer[S], n int) error {
	for i := 1; i <= n; i++ {
		f, err := w.Frame(context.Background())
		if err != nil {
			return err
		}
		f[0] = float32(i)
		if err := w.Send(f); err != nil {
			return err
		}
	}
	return nil
}

// gate holds a sink's writes until it is opened, and counts them.
type gate struct {
	open   chan struct{}
	writes atomic.Int32
}

func (g *gate) pass() { g.writes.Add(1); <-g.open }

type gatedMemSink struct {
	memSink
	g *gate
}

func (s *gatedMemSink) WriteFrame(f []float32) error { s.g.pass(); return s.memSink.WriteFrame(f) }

type gatedChunkSink struct {
	chunkSink
	g *gate
}

func (s *gatedChunkSink) WriteChunk(c []byte) error { s.g.pass(); return s.chunkSink.WriteChunk(c) }

// TestBackpressureBoundsFramesInFlight stalls the sink at its first write
// and waits until the producer is blocked: it must then hold exactly the
// pool's frames (one being written, or one per encoding worker, plus the
// queue's), blocked in Frame, never in Send, and Live shows it; opened,
// the writer stores every frame in order, and Live agrees with the Stats.
func TestBackpressureBoundsFramesInFlight(t *testing.T) {
	for _, c := range []struct{ bufferLen, workers int }{{1, 0}, {2, 0}, {4, 0}, {1, 1}, {2, 3}} {
		opts := WriterOptions{BufferLen: c.bufferLen, FlushEvery: 3, Workers: c.workers}
		pool := NewPool(opts.PoolSize(), 16)
		g := &gate{open: make(chan struct{})}
		var sink Sink = &gatedMemSink{g: g}
		if c.workers > 0 {
			sink = &gatedChunkSink{g: g}
		}
		open := func() (Sink, error) { return sink, nil }
		w, err := StartWriter(open, pool, opts)
		if err != nil {
			t.Fatal(err)
		}
		sent := make(chan int, 100)
		done := make(chan error)
		go func() {
			for i := 1; i <= 30; i++ {
				f, err := w.Frame(context.Background())
				if err != nil {
					done <- err
					return
				}
				f[0] = float32(i)
				if err := w.Send(f); err != nil {
					done <- err
					return
				}
				sent <- i
			}
			done <- nil
		}()
		testutil.WaitUntil(t, "the producer blocks while the sink stalls", func() bool { return w.Blocked() && g.writes.Load() == 1 })
		if n := len(sent); n != opts.PoolSize() || pool.MaxOut() != opts.PoolSize() {
			t.Errorf("%+v: %d frames sent, %d out of a pool of %d, %d writes begun, while the sink stalls",
				c, n, pool.MaxOut(), opts.PoolSize(), g.writes.Load())
		}
		// Read from another goroutine, the figures show the stall as it
		// lasts: the producer blocked, its wait growing, the queue full.
		a := w.Live()
		testutil.WaitUntil(t, "the wait in progress counts", func() bool {
			b := w.Live()
			return b.PoolWait > a.PoolWait && b.Blocked && b.Frames == 0 && b.Queued == c.bufferLen && b.QueueCap == c.bufferLen
		})
		close(g.open)
		testutil.WithDeadline(t, 20*time.Second, func() {
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
		st, err := w.Close(true, "")
		if err != nil {
			t.Fatal(err)
		}
		if st.PoolWait <= 0 || st.Frames != 30 || st.Flushes != 10 || st.QueueMax > c.bufferLen || st.WriteTime <= 0 {
			t.Errorf("%+v: waited %v, stored %d frames with %d flushes, queue max %d, writing %v", c, st.PoolWait, st.Frames, st.Flushes, st.QueueMax, st.WriteTime)
		}
		if l := w.Live(); l.Frames != 30 || l.Blocked || l.PoolWait != st.PoolWait || l.WriteTime != st.WriteTime || l.WriterIdle != st.WriterIdle {
			t.Errorf("%+v: after Close, Live %+v disagrees with Stats %+v", c, l, st)
		}
		var order []string
		if cs, ok := sink.(*gatedChunkSink); ok {
			order = cs.chunks
		} else {
			for _, v := range sink.(*gatedMemSink).firsts {
				order = append(order, fmt.Sprint(v))
			}
		}
		for i, v := range order {
			if v != fmt.Sprint(i+1) {
				t.Fatalf("%+v: frame %d stored as %v: out of order", c, i+1, v)
			}
		}
	}
}

func TestFailingSinkStopsPromptly(t *testing.T) {
	for _, bufferLen := range []int{0, 1, 4} {
		before := runtime.NumGoroutine()
		opts := WriterOptions{BufferLen: bufferLen}
		pool := NewPool(opts.PoolSize(), 16)
		sink := &memSink{failAt: 5}
		w, err := StartWriter(func() (Sink, error) { return sink, nil }, pool, opts)
		if err != nil {
			t.Fatal(err)
		}
		var sendErr error
		var sent int
		testutil.WithDeadline(t, 10*time.Second, func() {
			for i := 1; i <= 1000; i++ {
				f, err := w.Frame(context.Background())
				if err == nil {
					f[0] = float32(i)
					err = w.Send(f)
				}
				if err != nil {
					sendErr, sent = err, i
					return
				}
			}
		})
		if !errors.Is(sendErr, errDiskFull) {
			t.Fatalf("buffer len %d: producer got %v, want the sink's error", bufferLen, sendErr)
		}
		// The error reaches the producer within the frames already in flight.
		if sent > 5+opts.PoolSize()+1 {
			t.Errorf("buffer len %d: producer went on for %d frames after the failure at 5", bufferLen, sent-5)
		}
		var closeErr error
		testutil.WithDeadline(t, 10*time.Second, func() { _, closeErr = w.Close(true, "") })
		if !errors.Is(closeErr, errDiskFull) {
			t.Errorf("Close returned %v", closeErr)
		}
		if !sink.closed || sink.completed || sink.reason == "" {
			t.Errorf("sink closed=%v completed=%v reason=%q after a failure", sink.closed, sink.completed, sink.reason)
		}
		if len(sink.firsts) != 4 {
			t.Errorf("stored %d frames before the failure, want 4", len(sink.firsts))
		}
		if pool.out.Load() != 0 {
			t.Errorf("%d frames never returned to the pool", pool.out.Load())
		}
		waitGoroutines(t, before)
	}
}

func waitGoroutines(t *testing.T, want int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if runtime.NumGoroutine() <= want {
			return
		}
	}
	t.Errorf("%d goroutines left behind", runtime.NumGoroutine()-want)
}

func TestOpenFailureStartsNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	_, err := StartWriter(func() (Sink, error) { return nil, errDiskFull }, NewPool(3, 4), WriterOptions{BufferLen: 1})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("StartWriter: %v", err)
	}
	waitGoroutines(t, before)
}

func TestCancelledProducerDoesNotHang(t *testing.T) {
	opts := WriterOptions{BufferLen: 1}
	pool := NewPool(opts.PoolSize(), 4)
	block := make(chan struct{})
	sink := &blockingSink{release: block}
	w, err := StartWriter(func() (Sink, error) { return sink, nil }, pool, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var got error
	testutil.WithDeadline(t, 10*time.Second, func() {
		for {
			f, err := w.Frame(ctx)
			if err != nil {
				got = err
				return
			}
			w.Send(f)
		}
	})
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("Frame on a stalled pipeline: %v", got)
	}
	close(block)
	testutil.WithDeadline(t, 10*time.Second, func() { w.Close(false, "cancelled") })
}

type blockingSink struct {
	nopSink
	release chan struct{}
}

func (s *blockingSink) WriteFrame([]float32) error { <-s.release; return nil }
func (s *blockingSink) Flush() error               { return nil }
func (s *blockingSink) Close(bool, string) error   { return nil }

// chunkSink is a ChunkSink whose encoder writes a frame's first value as
// text, so that the order of stored chunks shows; checkpoints are recorded
// with the image count they follow.
type chunkSink struct {
	memSink
	chunks      []string
	checkpoints []string
}

type textEncoder struct{}

func (textEncoder) Encode(f []float32) ([]byte, error) { return []byte(fmt.Sprint(f[0])), nil }

func (s *chunkSink) NewEncoder() Encoder          { return textEncoder{} }
func (s *chunkSink) WriteChunk(c []byte) error    { s.chunks = append(s.chunks, string(c)); return nil }
func (s *chunkSink) WriteFrame(f []float32) error { panic("an encoding sink got a raw frame") }
func (s *chunkSink) WriteCheckpoint(u, v []float32, step int64) error {
	s.checkpoints = append(s.checkpoints, fmt.Sprintf("after %d: v %v u %v step %d", len(s.chunks), v[0], u[0], step))
	return nil
}

// TestEncodedChunksKeepTheirOrder sends frames through several encoding
// workers, with checkpoints on some images and a checkpoint-only item at
// the end: chunks are stored in the order sent, and each checkpoint right
// after its image.
func TestEncodedChunksKeepTheirOrder(t *testing.T) {
	for _, workers := range []int{1, 2, 5} {
		sink := &chunkSink{}
		opts := WriterOptions{BufferLen: 3, Workers: workers, Checkpoints: true}
		w, err := StartWriter(func() (Sink, error) { return sink, nil }, NewPool(opts.PoolSize(), 4), opts)
		if err != nil {
			t.Fatal(err)
		}
		const n = 40
		for i := range n {
			f, err := w.Frame(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			f[0] = float32(i)
			if i%10 == 9 {
				u, _ := w.StateFrame(context.Background())
				u[0] = float32(-i)
				err = w.SendState(f, u, int64(i))
			} else {
				err = w.Send(f)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		v, _ := w.Frame(context.Background())
		u, _ := w.StateFrame(context.Background())
		v[0], u[0] = n-1, -100
		if err := w.SendCheckpoint(v, u, 99); err != nil {
			t.Fatal(err)
		}
		st, err := w.Close(true, "")
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range sink.chunks {
			if c != fmt.Sprint(i) {
				t.Fatalf("workers %d: chunk %d holds image %s", workers, i, c)
			}
		}
		want := []string{"after 10: v 9 u -9 step 9", "after 20: v 19 u -19 step 19", "after 30: v 29 u -29 step 29",
			"after 40: v 39 u -39 step 39", "after 40: v 39 u -100 step 99"}
		if fmt.Sprint(sink.checkpoints) != fmt.Sprint(want) || st.Frames != n || st.Checkpoints != 5 {
			t.Errorf("workers %d: checkpoints %q, frames %d, %d checkpoints; want %q", workers, sink.checkpoints, st.Frames, st.Checkpoints, want)
		}
	}
}

// TestWorkersEncodeAtOnce holds every Encode until as many are running
// as there are workers: with fewer running at once (no parallelism) the
// test would time out instead.
func TestWorkersEncodeAtOnce(t *testing.T) {
	const workers = 3
	sink := &chunkSink{}
	var running atomic.Int32
	all, enc := make(chan struct{}), make(chan struct{})
	opts := WriterOptions{BufferLen: 1, Workers: workers}
	w, err := StartWriter(func() (Sink, error) {
		return &countingSink{chunkSink: sink, running: &running, all: all, need: workers, gate: enc}, nil
	},
		NewPool(opts.PoolSize(), 4), opts)
	if err != nil {
		t.Fatal(err)
	}
	testutil.WithDeadline(t, 20*time.Second, func() {
		for i := range workers {
			f, err := w.Frame(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			f[0] = float32(i)
			w.Send(f)
		}
		<-all // every worker is inside Encode at the same time
		close(enc)
		w.Close(true, "")
	})
	if len(sink.chunks) != workers {
		t.Errorf("%d chunks stored, want %d", len(sink.chunks), workers)
	}
}

// countingSink's encoders count how many run at once and signal when need
// of them are inside Encode together.
type countingSink struct {
	*chunkSink
	running *atomic.Int32
	all     chan struct{}
	need    int32
	gate    chan struct{}
}

func (s *countingSink) NewEncoder() Encoder { return countingEncoder{s} }

type countingEncoder struct{ s *countingSink }

func (e countingEncoder) Encode(f []float32) ([]byte, error) {
	if e.s.running.Add(1) == e.s.need {
		close(e.s.all)
	}
	<-e.s.gate
	return []byte(fmt.Sprint(f[0])), nil
}

// TestDoRunsInOrderWithImages queues a function between images, on every
// shape of writer: it runs on the sink after the images sent before it and
// before those sent after it, and its error is sticky.
func TestDoRunsInOrderWithImages(t *testing.T) {
	for _, c := range []struct{ bufferLen, workers int }{{0, 0}, {1, 0}, {3, 0}, {1, 2}, {3, 3}} {
		sink := &chunkSink{}
		var s Sink = &sink.memSink
		if c.workers > 0 {
			s = sink
		}
		opts := WriterOptions{BufferLen: c.bufferLen, Workers: c.workers}
		w, err := StartWriter(func() (Sink, error) { return s, nil }, NewPool(opts.PoolSize(), 4), opts)
		if err != nil {
			t.Fatal(err)
		}
		stored := func() int { return len(sink.chunks) + len(sink.firsts) }
		var seen []int
		errStop := errors.New("stop here")
		testutil.WithDeadline(t, 10*time.Second, func() {
			if err := produce(w, 5); err != nil {
				t.Error(err)
			}
			w.Do(func(Sink) error { seen = append(seen, stored()); return nil })
			if err := produce(w, 3); err != nil {
				t.Error(err)
			}
			w.Do(func(Sink) error { seen = append(seen, stored()); return errStop })
			for range 20 { // the error reaches the producer
				if err := produce(w, 1); err != nil {
					break
				}
			}
		})
		_, err = w.Close(true, "")
		if fmt.Sprint(seen) != "[5 8]" || !errors.Is(err, errStop) || stored() != 8 {
			t.Errorf("%+v: Do saw %v images stored, Close %v, %d images stored; want [5 8], the function's error, 8",
				c, seen, err, stored())
		}
	}
}
