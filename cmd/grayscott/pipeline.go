package main

import (
	"context"
	"time"

	"grayscott/gpu"
	"grayscott/storage"
)

// produce runs the GPU side of the data path for images images of steps
// steps each: queue the steps, queue a readback of V into the ring, and
// once the ring is full take a frame from the pool (blocking while storage
// is behind: backpressure), complete the oldest readback into it and send
// it to the writer. The steps of the next image are queued before the
// oldest readback is waited for, so transfers overlap compute.
//
// When ctx is cancelled no new image is started; readbacks already queued
// are still delivered, so every computed image is stored. produce returns
// how many images it sent and the first error (ctx's error on cancellation).
func produce(ctx context.Context, s *gpu.Simulator, w *storage.Writer, images, steps int) (int, error) {
	sent := 0
	deliver := func(ctx context.Context) error {
		frame, err := w.Frame(ctx)
		if err != nil {
			return err
		}
		if _, err := s.CompleteReadback(frame); err != nil {
			w.Recycle(frame)
			return err
		}
		if err := w.Send(frame); err != nil {
			return err
		}
		sent++
		return nil
	}
	var runErr error
	for range images {
		if runErr = ctx.Err(); runErr != nil {
			break
		}
		if runErr = s.Step(steps); runErr != nil {
			break
		}
		if runErr = s.QueueReadback(); runErr != nil {
			break
		}
		if s.PendingReadbacks() == s.ReadbackSlots() {
			if runErr = deliver(ctx); runErr != nil {
				break
			}
		}
	}
	// Images already computed are worth keeping, even after a cancellation;
	// a writer failure still ends this at once (Frame returns its error).
	for s.PendingReadbacks() > 0 && w.Err() == nil {
		if err := deliver(context.Background()); err != nil {
			if runErr == nil {
				runErr = err
			}
			break
		}
	}
	return sent, runErr
}

// runStats are a run's figures, printed at its end and returned to callers
// such as the bench command.
type runStats struct {
	storage.Stats
	Images       int
	Steps        int64
	Cells        int
	Wall         time.Duration
	ReadbackWait time.Duration // GL thread waiting for readback fences
	Renderer     string
	Output       string
	Completed    bool
}
