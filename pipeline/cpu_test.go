package pipeline_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"grayscott/cpu"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage/h5"
)

// TestCPUSourceInThePipeline runs whole pipelines on the CPU engine, for
// each boundary and ring size: image i of the file is V after (i+1)·e
// steps of sim.Reference, bit for bit.
func TestCPUSourceInThePipeline(t *testing.T) {
	for _, b := range []sim.Boundary{sim.Zero, sim.Periodic, sim.Neumann} {
		for _, slots := range []int{1, 2, 4} {
			p := sim.Defaults()
			p.Rows, p.Cols, p.Boundary, p.Images, p.StepsPerImage = 23, 31, b, 6, 17
			ref := sim.NewReference(p, sim.InitialState(p.Rows, p.Cols))
			path := filepath.Join(t.TempDir(), "cpu.h5")
			e, err := cpu.New(p, sim.InitialState(p.Rows, p.Cols), cpu.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			src, err := cpu.NewSource(e, slots)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := pipeline.Run(context.Background(), src, pipeline.Config{Params: p, Output: path, BufferLen: 1, FlushEvery: 2})
			src.Release()
			if err != nil || !sum.Completed {
				t.Fatalf("%v slots %d: %v %+v", b, slots, err, sum)
			}
			r, err := h5.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, p.Cells())
			for i := range p.Images {
				ref.Step(p.StepsPerImage)
				if err := r.ReadFrame(i, got); err != nil {
					t.Fatal(err)
				}
				for j, want := range ref.State().V {
					if math.Float32bits(got[j]) != math.Float32bits(want) {
						t.Fatalf("%v slots %d image %d cell %d: %v, reference %v", b, slots, i, j, got[j], want)
					}
				}
			}
			r.Close()
		}
	}
}
