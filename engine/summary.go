package engine

import (
	"fmt"
	"io"
	"time"

	"grayscott/internal/plural"
	"grayscott/pipeline"
)

// Summary is a run's figures (pipeline.Summary) with its engine's
// provenance: what grayscott run prints at its end and writes with --json
// (the README lists the fields).
type Summary struct {
	*pipeline.Summary
	Engine    string `json:"engine"` // gpu or cpu
	Threads   int    `json:"threads,omitempty"`
	CPUISA    string `json:"cpu_isa,omitempty"`
	Renderer  string `json:"gl_renderer"`
	Vendor    string `json:"gl_vendor"`
	GLVersion string `json:"gl_version"`
}

// NewSummary joins a run's figures and its engine's provenance.
func NewSummary(s *pipeline.Summary, info Info) *Summary {
	rs := &Summary{Summary: s, Engine: info.Name, Renderer: info.GL.Renderer, Vendor: info.GL.Vendor, GLVersion: info.GL.Version}
	if info.Name == CPU {
		rs.Threads, rs.CPUISA = info.Threads, info.ISA
	}
	return rs
}

// WriteText writes the figures for a person, in four lines.
func (s *Summary) WriteText(w io.Writer) {
	state := "complete"
	if !s.Completed {
		state = "incomplete"
	}
	fmt.Fprintf(w, "%s: %s written (%d of %d in the file, %s), %.1f MB", s.Output, plural.N(s.Images, "image"),
		s.FirstImage+s.Images, s.ImagesRequested, state, float64(s.BytesWritten)/1e6)
	if s.StoredBytes != s.BytesWritten && s.StoredBytes > 0 {
		fmt.Fprintf(w, " stored in %.1f MB (%.2f×)", float64(s.StoredBytes)/1e6, float64(s.BytesWritten)/float64(s.StoredBytes))
	}
	d := func(sec float64) time.Duration {
		return time.Duration(sec * float64(time.Second)).Round(time.Millisecond)
	}
	fmt.Fprintf(w, "\n  wall %s, %.0f steps/s, %.3g cell-updates/s, %.1f MB/s to storage\n",
		d(s.WallS), s.StepsPerS, s.CellUpdatesPerS, s.MBPerS)
	fmt.Fprintf(w, "  engine blocked on storage %s, on readbacks %s; writer idle %s, writing %s; queue mean %.2f max %d; %s, %s\n",
		d(s.StorageWaitS), d(s.ReadbackWaitS), d(s.WriterIdleS), d(s.WriteS), s.QueueMean, s.QueueMax,
		plural.N(s.Flushes, "flush"), plural.N(s.Checkpoints, "checkpoint"))
	if s.Engine == CPU {
		fmt.Fprintf(w, "  engine cpu (%s, %s)\n", s.CPUISA, plural.N(s.Threads, "thread"))
	} else {
		fmt.Fprintf(w, "  engine gpu (%s)\n", s.Renderer)
	}
}
