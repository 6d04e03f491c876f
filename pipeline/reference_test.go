package pipeline

import (
	"errors"
	"fmt"
	"sync/atomic"

	"grayscott/sim"
)

// refSource is a Source over sim.Reference, the model's plain CPU oracle,
// with a readback ring of copies: the pipeline's tests need no GL at all.
// Its counters are atomic so that a test can watch a run from another
// goroutine.
type refSource struct {
	p     sim.Params
	ref   *sim.Reference
	steps int64
	slots []refSlot
	head  int
	// pending and queued are read by tests while a run goes.
	pending atomic.Int32
	queued  atomic.Int32
	// onStep, when set, runs after each Step with the step count.
	onStep func(steps int64)
}

type refSlot struct {
	v, u  []float32
	withU bool
	step  int64
}

func newRefSource(p sim.Params, slots int) *refSource {
	s := &refSource{p: p, ref: sim.NewReference(p, sim.InitialState(p.Rows, p.Cols)), slots: make([]refSlot, slots)}
	for i := range s.slots {
		s.slots[i] = refSlot{v: make([]float32, p.Cells()), u: make([]float32, p.Cells())}
	}
	return s
}

func (s *refSource) Step(n int) error {
	s.ref.Step(n)
	s.steps += int64(n)
	if s.onStep != nil {
		s.onStep(s.steps)
	}
	return nil
}

func (s *refSource) QueueReadback(withU bool) error {
	if int(s.pending.Load()) == len(s.slots) {
		return errors.New("ref: every slot is pending")
	}
	sl := &s.slots[s.head]
	copy(sl.v, s.ref.State().V)
	if withU {
		copy(sl.u, s.ref.State().U)
	}
	sl.withU, sl.step = withU, s.steps
	s.head = (s.head + 1) % len(s.slots)
	s.pending.Add(1)
	s.queued.Add(1)
	return nil
}

func (s *refSource) PendingReadbacks() int { return int(s.pending.Load()) }
func (s *refSource) ReadbackSlots() int    { return len(s.slots) }

func (s *refSource) CompleteReadback(v, u []float32) (int64, error) {
	n := int(s.pending.Load())
	if n == 0 {
		return 0, errors.New("ref: no readback pending")
	}
	sl := &s.slots[(s.head-n+len(s.slots))%len(s.slots)]
	copy(v, sl.v)
	if u != nil {
		switch {
		case sl.withU:
			copy(u, sl.u)
		case sl.step == s.steps:
			copy(u, s.ref.State().U)
		default:
			return 0, fmt.Errorf("ref: U of step %d was not read back and the state is at step %d", sl.step, s.steps)
		}
	}
	s.pending.Add(-1)
	return sl.step, nil
}

// SetRates changes F and k for the steps from now on.
func (s *refSource) SetRates(feed, kill float32) error {
	s.p.Feed, s.p.Kill = feed, kill
	s.ref = sim.NewReference(s.p, s.ref.State())
	return nil
}

func (s *refSource) SetState(st *sim.State, step int64) error {
	if s.pending.Load() > 0 {
		return errors.New("ref: SetState with readbacks pending")
	}
	s.ref = sim.NewReference(s.p, st)
	s.steps = step
	return nil
}
