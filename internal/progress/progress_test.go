package progress

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"grayscott/engine"
	"grayscott/pipeline"
	"grayscott/sim"
)

// TestProgressAgreesWithTheSummary logs progress at every image: the
// queue figures it shows are those the summary's mean and max are over,
// and the last image has no line of its own (the summary, with its own
// rates, follows it).
func TestProgressAgreesWithTheSummary(t *testing.T) {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = 64, 64, 40, 1
	eng, _, err := engine.Open(p, engine.Options{Kind: engine.CPU, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Release()
	var out bytes.Buffer
	prog := &Log{Logger: slog.New(slog.NewTextHandler(&out, nil))} // every image
	cfg := pipeline.Config{Params: p, Output: filepath.Join(t.TempDir(), "p.h5"), BufferLen: 2, FlushEvery: 1, OnImage: prog.Image}
	pl, err := pipeline.New(eng, cfg, pipeline.OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	prog.Start(pl, p.StepsPerImage)
	pl.Run(context.Background())
	sum, err := pl.Close(nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`images=(\d+)/\d+ .* queue=(\d+)/2`).FindAllStringSubmatch(out.String(), -1)
	if len(lines) != p.Images-1 {
		t.Fatalf("%d progress lines for %d images, want one per image but the last:\n%s", len(lines), p.Images, out.String())
	}
	most, total := 0, 0
	for _, l := range lines {
		if l[1] == strconv.Itoa(p.Images) {
			t.Errorf("a progress line for the last image: %s", l[0])
		}
		q, _ := strconv.Atoi(l[2])
		most, total = max(most, q), total+q
	}
	if most > sum.QueueMax || float64(total)/float64(len(lines)) > sum.QueueMean*float64(p.Images)/float64(len(lines))+1e-9 {
		t.Errorf("progress showed a queue of up to %d (sum %d over %d lines); the summary says max %d, mean %.3f",
			most, total, len(lines), sum.QueueMax, sum.QueueMean)
	}
}
