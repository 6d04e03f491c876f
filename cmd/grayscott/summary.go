package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"grayscott/pipeline"
)

// runSummary is the pipeline's summary with the engine's provenance: what
// --json writes (see the README for the fields).
type runSummary struct {
	*pipeline.Summary
	Engine    string `json:"engine"` // gpu or cpu
	Threads   int    `json:"threads,omitempty"`
	CPUISA    string `json:"cpu_isa,omitempty"`
	Renderer  string `json:"gl_renderer"`
	Vendor    string `json:"gl_vendor"`
	GLVersion string `json:"gl_version"`
}

// printSummary writes the end-of-run figures for a person.
func printSummary(w io.Writer, s *runSummary) {
	state := "complete"
	if !s.Completed {
		state = "incomplete"
	}
	mb := float64(s.BytesWritten) / 1e6
	fmt.Fprintf(w, "%s: %d images written (%d of %d in the file, %s), %.1f MB", s.Output, s.Images,
		s.FirstImage+s.Images, s.ImagesRequested, state, mb)
	if s.StoredBytes != s.BytesWritten && s.StoredBytes > 0 {
		fmt.Fprintf(w, " stored in %.1f MB (%.2f×)", float64(s.StoredBytes)/1e6, float64(s.BytesWritten)/float64(s.StoredBytes))
	}
	d := func(sec float64) time.Duration {
		return time.Duration(sec * float64(time.Second)).Round(time.Millisecond)
	}
	fmt.Fprintf(w, "\n  wall %s, %.0f steps/s, %.3g cell-updates/s, %.1f MB/s to storage\n",
		d(s.WallS), s.StepsPerS, s.CellUpdatesPerS, s.MBPerS)
	fmt.Fprintf(w, "  engine blocked on storage %s, on readbacks %s; writer idle %s, writing %s; queue mean %.2f max %d; %d flushes, %d checkpoints\n",
		d(s.StorageWaitS), d(s.ReadbackWaitS), d(s.WriterIdleS), d(s.WriteS), s.QueueMean, s.QueueMax, s.Flushes, s.Checkpoints)
	if s.Engine == "cpu" {
		fmt.Fprintf(w, "  engine cpu (%s, %d threads)\n", s.CPUISA, s.Threads)
	} else {
		fmt.Fprintf(w, "  engine gpu (%s)\n", s.Renderer)
	}
}

// writeJSON writes the summary to path (see the README for the fields).
func writeJSON(path string, s *runSummary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--json %s: %w", path, err)
	}
	return nil
}
