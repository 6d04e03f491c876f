package storage

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Pool is a fixed set of frame buffers, all made by NewPool: the bounded
// free list of Effective Go, not a sync.Pool (which bounds nothing). Get
// blocks while every frame is out; that block is the backpressure that
// throttles the GPU when storage falls behind.
//
// Ownership: a frame from Get belongs to its caller until it is handed on
// (Writer.Send) or returned (Put). Put must be given only frames from Get,
// each once. Pool is safe for concurrent use.
type Pool struct {
	free    chan []float32
	cells   int
	size    int
	waited  atomic.Int64 // nanoseconds spent blocked in Get
	waiting atomic.Int32 // callers blocked in Get now
	since   atomic.Int64 // when the first of them began to wait (UnixNano), 0 when none waits
	out     atomic.Int64 // frames currently handed out
	maxOut  atomic.Int64
}

// NewPool allocates size frames of cells float32 each.
func NewPool(size, cells int) *Pool {
	if size < 1 || cells < 1 {
		panic(fmt.Sprintf("storage: NewPool(%d, %d): both must be positive", size, cells))
	}
	p := &Pool{free: make(chan []float32, size), cells: cells, size: size}
	for range size {
		f := make([]float32, cells)
		// Touch every page now: a fresh frame's page faults would
		// otherwise fall on the run's first images, in its timed part.
		for i := 0; i < len(f); i += 1024 {
			f[i] = 0
		}
		p.free <- f
	}
	return p
}

// Get returns a free frame, blocking until one is returned or ctx is done
// (then it returns ctx's error). The frame's contents are stale.
func (p *Pool) Get(ctx context.Context) ([]float32, error) {
	f, err := p.get(ctx.Done(), nil)
	if err != nil {
		return nil, ctx.Err()
	}
	return f, nil
}

var errAborted = errors.New("storage: wait for a frame aborted")

// get blocks until a frame is free or either channel is closed (then it
// returns errAborted). It does not allocate.
func (p *Pool) get(abort1, abort2 <-chan struct{}) ([]float32, error) {
	var f []float32
	select {
	case f = <-p.free:
	default:
		start := time.Now()
		if p.waiting.Add(1) == 1 {
			p.since.Store(start.UnixNano())
		}
		select {
		case f = <-p.free:
		case <-abort1:
		case <-abort2:
		}
		if p.waiting.Add(-1) == 0 {
			p.since.Store(0) // first: Waited may then miss this wait for a moment, never count it twice
		}
		p.waited.Add(int64(time.Since(start)))
		if f == nil {
			return nil, errAborted
		}
	}
	n := p.out.Add(1)
	for {
		m := p.maxOut.Load()
		if n <= m || p.maxOut.CompareAndSwap(m, n) {
			break
		}
	}
	return f, nil
}

// Put returns a frame that came from Get. It never blocks; returning more
// frames than were taken is a programmer error and panics.
func (p *Pool) Put(f []float32) {
	if len(f) != p.cells {
		panic(fmt.Sprintf("storage: Pool.Put of a %d-cell frame into a pool of %d-cell frames", len(f), p.cells))
	}
	p.out.Add(-1) // before the send, so a Get racing with it never counts one frame twice
	select {
	case p.free <- f:
	default:
		panic("storage: Pool.Put: more frames returned than taken")
	}
}

// Size returns how many frames the pool owns.
func (p *Pool) Size() int { return p.size }

// Cells returns the length of each frame.
func (p *Pool) Cells() int { return p.cells }

// Waited returns the total time callers spent blocked in Get, the wait in
// progress included (exactly so with one caller at a time, as a Writer's
// producer). It may be called from any goroutine.
func (p *Pool) Waited() time.Duration {
	d := time.Duration(p.waited.Load())
	if since := p.since.Load(); since != 0 {
		d += max(0, time.Duration(time.Now().UnixNano()-since))
	}
	return d
}

// Waiting returns how many callers are blocked in Get now: a producer
// held back by storage. It may be called from any goroutine.
func (p *Pool) Waiting() int { return int(p.waiting.Load()) }

// MaxOut returns the most frames that were out at once.
func (p *Pool) MaxOut() int { return int(p.maxOut.Load()) }
