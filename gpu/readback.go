package gpu

import (
	"fmt"
	"time"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// readbackRing is a ring of staging buffers that V (and U) are packed into
// on the GPU, each pack followed by a fence. The CPU reads a slot only once its
// fence has signalled, so the copy of image i overlaps the steps of image
// i+1 instead of stalling the pipeline. Slots are persistently mapped when
// the driver has ARB_buffer_storage (GL 4.4), else mapped per read. Each
// slot has room for U after V, copied only for the images that need it
// (checkpoints).
type readbackRing struct {
	slots      []readbackSlot
	head       int // next slot to fill
	pending    int // filled slots not yet read, oldest at head-pending
	bytes      int // of one field; a slot holds V, then U
	persistent bool
	waited     time.Duration // time spent waiting for fences
	// clientWait is gl.ClientWaitSync; tests put a fence that never
	// signals in its place.
	clientWait func(sync uintptr, flags uint32, timeout uint64) uint32
}

type readbackSlot struct {
	buf    uint32
	mapped unsafe.Pointer // persistent mapping, or nil
	fence  uintptr
	step   int64
	withU  bool // U was copied too
}

// newReadbackRing makes k slots for two fields of size bytes each. GL thread.
func newReadbackRing(k, size int, persistent bool) (*readbackRing, error) {
	r := &readbackRing{slots: make([]readbackSlot, k), bytes: size, persistent: persistent, clientWait: gl.ClientWaitSync}
	size *= 2
	for i := range r.slots {
		s := &r.slots[i]
		gl.GenBuffers(1, &s.buf)
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, s.buf)
		if persistent {
			flags := uint32(gl.MAP_READ_BIT | gl.MAP_PERSISTENT_BIT | gl.MAP_COHERENT_BIT)
			gl.BufferStorage(gl.COPY_WRITE_BUFFER, size, nil, flags)
			s.mapped = gl.MapBufferRange(gl.COPY_WRITE_BUFFER, 0, size, flags)
			if s.mapped == nil {
				gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
				r.release()
				return nil, fmt.Errorf("gpu: persistent map of a %d-byte readback buffer failed: GL error 0x%X", size, gl.GetError())
			}
		} else {
			gl.BufferData(gl.COPY_WRITE_BUFFER, size, nil, gl.STREAM_READ)
		}
	}
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		r.release()
		return nil, fmt.Errorf("gpu: allocating %d readback buffers of %d bytes: GL error 0x%X", k, size, e)
	}
	return r, nil
}

// queue has fill write V (and U after it, when withU) into the next
// slot's buffer on the GPU (a pack dispatch that binds it as a storage
// buffer), then fences it. GL thread; the ring must not be full.
func (r *readbackRing) queue(step int64, withU bool, fill func(dst uint32)) {
	s := &r.slots[r.head]
	fill(s.buf)
	// The pack's writes must be visible to the host through the mapping
	// (persistent or not) once the fence has signalled.
	gl.MemoryBarrier(gl.CLIENT_MAPPED_BUFFER_BARRIER_BIT | gl.BUFFER_UPDATE_BARRIER_BIT)
	s.fence = gl.FenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)
	s.step, s.withU = step, withU
	// Submit now, so the GPU works while the CPU does other things.
	gl.Flush()
	r.head = (r.head + 1) % len(r.slots)
	r.pending++
}

// oldest returns the slot the next complete reads.
func (r *readbackRing) oldest() *readbackSlot {
	return &r.slots[(r.head-r.pending+len(r.slots))%len(r.slots)]
}

// complete waits, at most timeout, for the oldest slot's fence and copies V
// into dst and, when dstU is not nil, U into dstU (the slot must hold U).
// A fence that does not signal in time is reported, and the slot stays
// pending. GL thread.
func (r *readbackRing) complete(dst, dstU []float32, timeout time.Duration) (int64, error) {
	s := r.oldest()
	start := time.Now()
	for {
		// A second per round keeps each wait short; the flush bit makes
		// sure the copy was submitted.
		res := r.clientWait(s.fence, gl.SYNC_FLUSH_COMMANDS_BIT, uint64(min(time.Second, timeout)))
		if res == gl.ALREADY_SIGNALED || res == gl.CONDITION_SATISFIED {
			break
		}
		if res == gl.WAIT_FAILED {
			return 0, fmt.Errorf("gpu: waiting for a readback fence failed: GL error 0x%X", gl.GetError())
		}
		if waited := time.Since(start); waited >= timeout {
			r.waited += waited
			return 0, fmt.Errorf("gpu: the readback of step %d has not arrived after %v: the GPU is hung or far slower than 1 M cell-updates/s",
				s.step, waited.Round(time.Millisecond))
		}
	}
	r.waited += time.Since(start)
	gl.DeleteSync(s.fence)
	s.fence = 0
	r.pending--
	n := len(dst)
	fields := func(p unsafe.Pointer) {
		copy(dst, unsafe.Slice((*float32)(p), n))
		if dstU != nil {
			copy(dstU, unsafe.Slice((*float32)(unsafe.Add(p, r.bytes)), n))
		}
	}
	if s.mapped != nil {
		fields(s.mapped)
		return s.step, nil
	}
	size := 2 * r.bytes
	gl.BindBuffer(gl.COPY_READ_BUFFER, s.buf)
	defer gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
	p := gl.MapBufferRange(gl.COPY_READ_BUFFER, 0, size, gl.MAP_READ_BIT)
	if p == nil {
		return 0, fmt.Errorf("gpu: mapping a readback buffer failed: GL error 0x%X", gl.GetError())
	}
	fields(p)
	if !gl.UnmapBuffer(gl.COPY_READ_BUFFER) {
		return 0, fmt.Errorf("gpu: a readback buffer was corrupted while mapped (glUnmapBuffer returned false)")
	}
	return s.step, nil
}

// release deletes the buffers and fences. GL thread.
func (r *readbackRing) release() {
	for i := range r.slots {
		s := &r.slots[i]
		if s.fence != 0 {
			gl.DeleteSync(s.fence)
			s.fence = 0
		}
		if s.buf != 0 {
			if s.mapped != nil {
				gl.BindBuffer(gl.COPY_WRITE_BUFFER, s.buf)
				gl.UnmapBuffer(gl.COPY_WRITE_BUFFER)
				gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
				s.mapped = nil
			}
			gl.DeleteBuffers(1, &s.buf)
			s.buf = 0
		}
	}
	r.pending = 0
}
