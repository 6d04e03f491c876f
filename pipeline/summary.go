package pipeline

import (
	"time"

	"grayscott/storage"
)

// Summary holds a run's figures, printed at its end and written as JSON
// (grayscott run --json; the tags are the documented field names).
type Summary struct {
	Output           string  `json:"output"`
	Completed        bool    `json:"completed"`
	StopReason       string  `json:"stop_reason"` // "" when completed
	Rows             int     `json:"rows"`
	Cols             int     `json:"cols"`
	StepsPerImage    int     `json:"steps_per_image"`
	ImagesRequested  int     `json:"images_requested"`
	FirstImage       int     `json:"first_image"` // images already in the file when a resumed run started
	Images           int     `json:"images"`      // images written by this run
	Steps            int64   `json:"steps"`       // steps computed by this run
	WallS            float64 `json:"wall_s"`
	StepsPerS        float64 `json:"steps_per_s"`
	CellUpdatesPerS  float64 `json:"cell_updates_per_s"`
	BytesWritten     int64   `json:"bytes_written"` // raw image bytes
	StoredBytes      int64   `json:"stored_bytes"`  // after compression
	MBPerS           float64 `json:"mb_per_s"`
	StorageWaitS     float64 `json:"storage_wait_s"`  // engine loop blocked waiting for a free frame
	ReadbackWaitS    float64 `json:"readback_wait_s"` // waiting for readbacks (sources that report it)
	WriterIdleS      float64 `json:"writer_idle_s"`   // writer waiting for images
	WriteS           float64 `json:"write_s"`         // writer inside the file's writes and flushes
	QueueMean        float64 `json:"queue_mean"`
	QueueMax         int     `json:"queue_max"`
	Flushes          int     `json:"flushes"`
	Checkpoints      int     `json:"checkpoints"`
	BufferLen        int     `json:"storage_buffer_len"`
	ReadbackSlots    int     `json:"readback_slots"`
	Compression      string  `json:"compression"`
	CompressionLevel int     `json:"compression_level"`
	KeepBits         int     `json:"keep_bits"`
	FlushEvery       int     `json:"flush_every"`

	// Wall is the run's wall time, from New to Close.
	Wall time.Duration `json:"-"`
}

func (pl *Pipeline) summary(st storage.Stats, completed bool) *Summary {
	p, c := pl.cfg.Params, pl.cfg.Compression.Normal()
	s := &Summary{Output: pl.cfg.Output, Completed: completed, Rows: p.Rows, Cols: p.Cols,
		StepsPerImage: p.StepsPerImage, ImagesRequested: p.Images, FirstImage: pl.first,
		Images: st.Frames, Steps: int64(pl.next-pl.first) * int64(p.StepsPerImage),
		BytesWritten: st.Bytes, StoredBytes: st.StoredBytes,
		StorageWaitS: st.PoolWait.Seconds(), WriterIdleS: st.WriterIdle.Seconds(), WriteS: st.WriteTime.Seconds(),
		QueueMean: st.QueueMean, QueueMax: st.QueueMax, Flushes: st.Flushes, Checkpoints: st.Checkpoints,
		BufferLen: pl.cfg.BufferLen, ReadbackSlots: pl.src.ReadbackSlots(), Compression: c.String(), CompressionLevel: c.Level, KeepBits: c.KeepBits,
		FlushEvery: pl.cfg.FlushEvery, Wall: time.Since(pl.start)}
	if rw, ok := pl.src.(ReadbackWaiter); ok {
		s.ReadbackWaitS = rw.ReadbackWait().Seconds()
	}
	s.WallS = s.Wall.Seconds()
	if s.WallS > 0 {
		s.StepsPerS = float64(s.Steps) / s.WallS
		s.CellUpdatesPerS = float64(s.Steps) * float64(p.Cells()) / s.WallS
		s.MBPerS = float64(st.Bytes) / 1e6 / s.WallS
	}
	return s
}
