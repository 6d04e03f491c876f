package pipeline

import (
	"time"

	"grayscott/sim"
)

// Source is the engine side of the data path: what the pipeline needs
// from a simulation engine. *gpu.Simulator and *cpu.Source satisfy it.
// The pipeline calls its methods from one goroutine, never concurrently.
type Source interface {
	// Step queues n steps. It may return before they have run (the GPU)
	// or run them before returning (the CPU).
	Step(n int) error
	// QueueReadback starts a copy of the current V, and of U when withU,
	// into the next readback slot and returns without waiting for it. It
	// fails when every slot is pending.
	QueueReadback(withU bool) error
	// PendingReadbacks is the number of queued readbacks not yet completed.
	PendingReadbacks() int
	// ReadbackSlots is the size of the readback ring: the pipeline completes
	// the oldest readback when this many are pending.
	ReadbackSlots() int
	// CompleteReadback waits for the oldest pending readback and copies V
	// into v and, when u is not nil, U into u (neither is retained). It
	// returns the step count the readback was taken at. U comes from the
	// slot when it was queued with U, else from the current state when no
	// step was queued since; otherwise it fails.
	CompleteReadback(v, u []float32) (step int64, err error)
	// SetState replaces U and V and sets the step count. No readback may
	// be pending.
	SetState(st *sim.State, step int64) error
}

// RateSetter is a Source whose feed and kill rates can change during a run
// (Pipeline.SetRates; resuming a file whose checkpoint has other rates).
type RateSetter interface {
	// SetRates changes F and k for the steps queued from now on.
	SetRates(feed, kill float32) error
}

// ReadbackWaiter is a Source that reports how long it waited for readbacks
// (the part of the transfers that did not overlap other work).
type ReadbackWaiter interface {
	ReadbackWait() time.Duration
}
