package storage

import (
	"sync"
	"sync/atomic"
)

// States of a Snapshot, in Snapshot.state.
const (
	snapIdle    = iota // nobody watches: the writer copies nothing
	snapWatched        // copy the images that carry a checkpoint (the last one of a run among them)
	snapAsked          // copy the next image stored, then go back to snapWatched
)

// Snapshot is a copy of an image a Writer stored, for a viewer (a web
// page) that must not read the file: the writer copies a frame into it
// after storing it, on its own goroutine, and only when a viewer asked for
// one since the last copy (Request), or, while a viewer watches, when the
// image carries a checkpoint, which the last image of a run does. With
// nobody watching, the writer pays one atomic load per image.
//
// Every method may be called from any goroutine. A writer making a copy
// waits at most for one Read's copy of the image in progress.
type Snapshot struct {
	state atomic.Int32

	mu    sync.Mutex
	frame []float32 // guarded by mu; allocated at the first copy
	index int       // guarded by mu: the image's index in the sink, -1 before the first copy
}

// NewSnapshot returns a Snapshot that holds no image and that nobody
// watches.
func NewSnapshot() *Snapshot { return &Snapshot{index: -1} }

// Request asks the writer to copy the next image it stores, and from then
// on the images that carry a checkpoint, until Unwatch.
func (s *Snapshot) Request() { s.state.Store(snapAsked) }

// Unwatch tells the writer that nobody watches any more: it copies nothing
// until the next Request.
func (s *Snapshot) Unwatch() { s.state.Store(snapIdle) }

// Read copies the newest image copied into dst, grown as needed, and
// returns it with its index in the sink (counting the images a resumed file
// held), or dst and -1 when the writer has copied none yet.
func (s *Snapshot) Read(dst []float32) ([]float32, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.index < 0 {
		return dst, -1
	}
	if cap(dst) < len(s.frame) {
		dst = make([]float32, len(s.frame))
	}
	dst = dst[:len(s.frame)]
	copy(dst, s.frame)
	return dst, s.index
}

// Index returns the index of the newest image copied, -1 for none.
func (s *Snapshot) Index() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.index
}

// offer is the writer's side: frame, image index, was just stored;
// checkpoint says it carries one. It runs on the goroutine that owns the
// sink.
func (s *Snapshot) offer(frame []float32, index int, checkpoint bool) {
	st := s.state.Load()
	if st == snapIdle || (st == snapWatched && !checkpoint) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Before the copy: a Request from now on asks for the next image.
	s.state.CompareAndSwap(snapAsked, snapWatched)
	if len(s.frame) != len(frame) {
		s.frame = make([]float32, len(frame))
	}
	copy(s.frame, frame)
	s.index = index
}
