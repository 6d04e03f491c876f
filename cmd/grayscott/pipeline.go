package main

import (
	"context"
	"time"

	"grayscott/gpu"
	"grayscott/storage"
)

// pipeline is the GPU side of the data path for images [first, images) of
// steps steps each: queue the steps, queue a readback of the fields into
// the ring, and once the ring is full take a frame from the pool (blocking
// while storage is behind: backpressure), complete the oldest readback into
// it and send it to the writer. The steps of the next image are queued
// before the oldest readback is waited for, so transfers overlap compute.
//
// With checkpoints (which need a Simulator with Config.ReadbackU and a
// Writer with WriterOptions.Checkpoints), every checkpointEvery-th image
// (when > 0) and the last image written carry U as well, so that the file
// can be resumed from them.
type pipeline struct {
	sim             *gpu.Simulator
	writer          *storage.Writer
	first, images   int
	steps           int
	checkpoints     bool
	checkpointEvery int
	onImage         func(done int) // after each image is handed to the writer; may be nil

	next        int // index of the next image to deliver
	queued      int // images whose readback has been queued
	stepInImage int // steps of the image in progress
}

// produce runs the loop. When ctx is cancelled no new image is started;
// readbacks already queued are still delivered, the last with a
// checkpoint, so every computed image is kept. It returns how many images
// it sent and the first error (ctx's error on cancellation).
func (pl *pipeline) produce(ctx context.Context) (int, error) {
	pl.start()
	var runErr error
	for !pl.done() {
		if runErr = ctx.Err(); runErr != nil {
			break
		}
		if runErr = pl.advance(ctx, pl.steps); runErr != nil {
			break
		}
	}
	if err := pl.drain(); runErr == nil {
		runErr = err
	}
	return pl.next - pl.first, runErr
}

// start readies the counters; produce calls it.
func (pl *pipeline) start() { pl.next, pl.queued, pl.stepInImage = pl.first, pl.first, 0 }

// done reports whether every image has been queued.
func (pl *pipeline) done() bool { return pl.queued >= pl.images }

// advance queues up to n steps, never past the last image: at each image
// boundary it queues the readback and, when the ring is full, delivers the
// oldest image. A preview window calls it with its steps per draw.
func (pl *pipeline) advance(ctx context.Context, n int) error {
	for n > 0 && !pl.done() {
		// At most stepChunk steps per GL call: a stop request is seen
		// between chunks even when an image takes millions of steps.
		if err := ctx.Err(); err != nil {
			return err
		}
		k := min(n, pl.steps-pl.stepInImage, stepChunk)
		if err := pl.sim.Step(k); err != nil {
			return err
		}
		n -= k
		pl.stepInImage += k
		if pl.stepInImage < pl.steps {
			continue
		}
		pl.stepInImage = 0
		if err := pl.sim.QueueReadback(); err != nil {
			return err
		}
		pl.queued++
		if pl.sim.PendingReadbacks() == pl.sim.ReadbackSlots() {
			if err := pl.deliver(ctx, pl.next, false); err != nil {
				return err
			}
			pl.next++
		}
	}
	return nil
}

// stepChunk bounds the steps queued in one GL call.
const stepChunk = 1024

// drain delivers the readbacks still queued, the last with a checkpoint:
// images already computed are worth keeping, even after a cancellation. A
// writer failure ends it at once (Frame returns the error).
func (pl *pipeline) drain() error {
	for pl.sim.PendingReadbacks() > 0 && pl.writer.Err() == nil {
		if err := pl.deliver(context.Background(), pl.next, pl.sim.PendingReadbacks() == 1); err != nil {
			return err
		}
		pl.next++
	}
	return pl.writer.Err()
}

// deliver moves the oldest readback, image index, into a pooled frame and
// on to the writer, with U when a checkpoint is due or it is the last.
func (pl *pipeline) deliver(ctx context.Context, index int, last bool) error {
	frame, err := pl.writer.Frame(ctx)
	if err != nil {
		return err
	}
	checkpoint := pl.checkpoints && (last || (pl.checkpointEvery > 0 && (index+1)%pl.checkpointEvery == 0))
	if !checkpoint {
		if _, err := pl.sim.CompleteReadback(frame); err != nil {
			pl.writer.Recycle(frame)
			return err
		}
		err = pl.writer.Send(frame)
	} else {
		u, err := pl.writer.StateFrame(ctx)
		if err != nil {
			pl.writer.Recycle(frame)
			return err
		}
		step, err := pl.sim.CompleteReadbackState(frame, u)
		if err != nil {
			pl.writer.Recycle(frame)
			pl.writer.RecycleState(u)
			return err
		}
		err = pl.writer.SendState(frame, u, step)
	}
	if err != nil {
		return err
	}
	if pl.onImage != nil {
		pl.onImage(index + 1)
	}
	return nil
}

// runStats are a run's figures, printed at its end, written by --json and
// returned to callers such as the bench command.
type runStats struct {
	Output          string  `json:"output"`
	Completed       bool    `json:"completed"`
	StopReason      string  `json:"stop_reason,omitempty"`
	Rows            int     `json:"rows"`
	Cols            int     `json:"cols"`
	StepsPerImage   int     `json:"steps_per_image"`
	ImagesRequested int     `json:"images_requested"`
	FirstImage      int     `json:"first_image"` // images already in the file when a resumed run started
	Images          int     `json:"images"`      // images written by this run
	Steps           int64   `json:"steps"`       // steps computed by this run
	WallS           float64 `json:"wall_s"`
	StepsPerS       float64 `json:"steps_per_s"`
	CellUpdatesPerS float64 `json:"cell_updates_per_s"`
	BytesWritten    int64   `json:"bytes_written"` // raw image bytes
	StoredBytes     int64   `json:"stored_bytes"`  // after compression
	MBPerS          float64 `json:"mb_per_s"`
	StorageWaitS    float64 `json:"storage_wait_s"`  // GPU loop blocked waiting for a free frame
	ReadbackWaitS   float64 `json:"readback_wait_s"` // GL thread waiting for readback fences
	WriterIdleS     float64 `json:"writer_idle_s"`   // writer waiting for images
	WriteS          float64 `json:"write_s"`         // writer inside HDF5 writes and flushes
	QueueMean       float64 `json:"queue_mean"`
	QueueMax        int     `json:"queue_max"`
	Flushes         int     `json:"flushes"`
	Checkpoints     int     `json:"checkpoints"`
	BufferLen       int     `json:"storage_buffer_len"`
	ReadbackSlots   int     `json:"readback_slots"`
	Compression     int     `json:"compression_level"`
	FlushEvery      int     `json:"flush_every"`
	Renderer        string  `json:"gl_renderer"`
	Vendor          string  `json:"gl_vendor"`
	GLVersion       string  `json:"gl_version"`

	wall time.Duration
}

func (r *runStats) fill(st storage.Stats, steps int64, readbackWait time.Duration, completed bool) {
	r.Completed = completed
	r.Images = st.Frames
	r.Steps = steps
	r.WallS = r.wall.Seconds()
	if r.WallS > 0 {
		r.StepsPerS = float64(steps) / r.WallS
		r.CellUpdatesPerS = float64(steps) * float64(r.Rows*r.Cols) / r.WallS
		r.MBPerS = float64(st.Bytes) / 1e6 / r.WallS
	}
	r.BytesWritten, r.StoredBytes = st.Bytes, st.StoredBytes
	r.StorageWaitS = st.PoolWait.Seconds()
	r.ReadbackWaitS = readbackWait.Seconds()
	r.WriterIdleS = st.WriterIdle.Seconds()
	r.WriteS = st.WriteTime.Seconds()
	r.QueueMean, r.QueueMax = st.QueueMean, st.QueueMax
	r.Flushes, r.Checkpoints = st.Flushes, st.Checkpoints
}
