package cpu

import (
	"fmt"

	"grayscott/sim"
)

// DefaultReadbackSlots overlaps one image's copy with the next image's
// steps, as the GPU engine does.
const DefaultReadbackSlots = 2

// Source is an Engine with a ring of readback slots: a pipeline.Source.
// QueueReadback copies the current V (and U when asked) into the next slot,
// CompleteReadback copies the oldest slot out; Step runs synchronously. Its
// methods must not be called concurrently with each other.
type Source struct {
	*Engine
	slots   []readbackSlot
	head    int // next slot to fill
	pending int // filled slots not yet read, oldest at head-pending
}

type readbackSlot struct {
	v, u  []float32
	withU bool
	step  int64
}

// NewSource wraps e with a ring of slots readback slots (DefaultReadbackSlots
// when 0). The Source owns e: Release closes it.
func NewSource(e *Engine, slots int) (*Source, error) {
	if slots == 0 {
		slots = DefaultReadbackSlots
	}
	if slots < 0 {
		return nil, fmt.Errorf("cpu: %d readback slots: want at least 1", slots)
	}
	s := &Source{Engine: e, slots: make([]readbackSlot, slots)}
	n := e.Params().Cells()
	for i := range s.slots {
		s.slots[i] = readbackSlot{v: make([]float32, n), u: make([]float32, n)}
	}
	return s, nil
}

// QueueReadback copies the current V, and U when withU, into the next slot.
// It fails when every slot is pending.
func (s *Source) QueueReadback(withU bool) error {
	if s.pending == len(s.slots) {
		return fmt.Errorf("cpu: all %d readback slots are pending", len(s.slots))
	}
	sl := &s.slots[s.head]
	if err := s.ReadV(sl.v); err != nil {
		return err
	}
	if withU {
		if err := s.ReadU(sl.u); err != nil {
			return err
		}
	}
	sl.withU, sl.step = withU, s.Steps()
	s.head = (s.head + 1) % len(s.slots)
	s.pending++
	return nil
}

// PendingReadbacks returns how many queued readbacks are not yet completed.
func (s *Source) PendingReadbacks() int { return s.pending }

// ReadbackSlots returns the size of the readback ring.
func (s *Source) ReadbackSlots() int { return len(s.slots) }

// CompleteReadback copies the oldest queued readback's V into v and, when u
// is not nil, its U into u, and returns the step count it was taken at. U
// comes from the slot when it was queued with U, else from the current
// state when no step was run since; otherwise it fails. Neither slice is
// retained.
func (s *Source) CompleteReadback(v, u []float32) (int64, error) {
	n := s.Params().Cells()
	if len(v) != n || (u != nil && len(u) != n) {
		return 0, fmt.Errorf("cpu: readback into %d and %d floats, grid has %d cells", len(v), len(u), n)
	}
	if s.pending == 0 {
		return 0, fmt.Errorf("cpu: no readback is pending")
	}
	sl := &s.slots[(s.head-s.pending+len(s.slots))%len(s.slots)]
	if u != nil {
		switch {
		case sl.withU:
			copy(u, sl.u)
		case sl.step == s.Steps():
			if err := s.ReadU(u); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("cpu: U of step %d was not read back, and the state has moved on to step %d", sl.step, s.Steps())
		}
	}
	copy(v, sl.v)
	s.pending--
	return sl.step, nil
}

// SetState replaces U and V and sets the step count; no readback may be
// pending.
func (s *Source) SetState(st *sim.State, step int64) error {
	if s.pending > 0 {
		return fmt.Errorf("cpu: SetState with %d readbacks pending", s.pending)
	}
	return s.Engine.SetState(st, step)
}

// Release closes the engine. It is idempotent.
func (s *Source) Release() { s.Engine.Close() }
