package cpu

import (
	"strings"
	"testing"

	"grayscott/sim"
)

// TestSourceReadbackRules: U of a readback queued without it comes from
// the current state only while no step has run since; the ring refuses a
// queue when full and a state change while readbacks are pending.
func TestSourceReadbackRules(t *testing.T) {
	p := params(9, 11, sim.Periodic)
	e := newEngine(t, p, sim.InitialState(p.Rows, p.Cols), Options{Threads: 1})
	s, err := NewSource(e, 2)
	if err != nil {
		t.Fatal(err)
	}
	v, u := make([]float32, p.Cells()), make([]float32, p.Cells())
	s.Step(3)
	s.QueueReadback(false)
	s.Step(3)
	s.QueueReadback(false)
	if err := s.QueueReadback(false); err == nil {
		t.Error("a third readback was queued into a ring of two")
	}
	if err := s.SetState(sim.InitialState(p.Rows, p.Cols), 0); err == nil {
		t.Error("SetState with readbacks pending succeeded")
	}
	if _, err := s.CompleteReadback(v, u); err == nil || !strings.Contains(err.Error(), "not read back") {
		t.Errorf("U of step 3 at step 6: %v", err)
	}
	if step, err := s.CompleteReadback(v, nil); err != nil || step != 3 {
		t.Errorf("oldest readback: step %d, %v", step, err)
	}
	step, err := s.CompleteReadback(v, u)
	if err != nil || step != 6 {
		t.Fatalf("newest readback with U: step %d, %v", step, err)
	}
	ref := sim.NewReference(p, sim.InitialState(p.Rows, p.Cols))
	ref.Step(6)
	if d := diff(u, ref.State().U, p.Cols, false); d != "" {
		t.Errorf("U from the current state: %s", d)
	}
	s.Release()
	s.Release()
}
