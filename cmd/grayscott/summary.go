package main

import (
	"fmt"
	"io"
	"time"
)

// printSummary writes the end-of-run figures for a person.
func printSummary(w io.Writer, s *runStats) {
	sec := s.Wall.Seconds()
	state := "complete"
	if !s.Completed {
		state = "incomplete"
	}
	mb := float64(s.Bytes) / 1e6
	fmt.Fprintf(w, "%s: %d images (%s), %.1f MB", s.Output, s.Images, state, mb)
	if s.StoredBytes != s.Bytes && s.StoredBytes > 0 {
		fmt.Fprintf(w, " stored in %.1f MB (%.2f×)", float64(s.StoredBytes)/1e6, float64(s.Bytes)/float64(s.StoredBytes))
	}
	fmt.Fprintf(w, "\n  wall %s, %.0f steps/s, %.3g cell-updates/s, %.1f MB/s to storage\n",
		s.Wall.Round(time.Millisecond), float64(s.Steps)/sec, float64(s.Steps)*float64(s.Cells)/sec, mb/sec)
	fmt.Fprintf(w, "  GPU blocked on storage %s (pool), readback waits %s; writer idle %s, writing %s; queue mean %.2f max %d; %d flushes\n",
		s.PoolWait.Round(time.Millisecond), s.ReadbackWait.Round(time.Millisecond), s.WriterIdle.Round(time.Millisecond),
		s.WriteTime.Round(time.Millisecond), s.QueueMean, s.QueueMax, s.Flushes)
	fmt.Fprintf(w, "  renderer %s\n", s.Renderer)
}
