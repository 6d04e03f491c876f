package h5test

import (
	"path/filepath"
	"slices"
	"testing"

	"grayscott/sim"
	"grayscott/storage/h5"
)

// File writes images (each p.Rows×p.Cols) with the attributes of p to
// NAME in a temporary folder, and closes it as a run ends: completed, or
// stopped for reason. It returns the path.
func File(tb testing.TB, name string, p sim.Params, images [][]float32, completed bool, reason string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	f, err := h5.Create(path, p, nil, h5.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, img := range images {
		if err := f.WriteFrame(img); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(completed, reason); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ReferenceFile writes a completed file, ref.h5 in a temporary folder, of
// images images of the CPU reference (no GPU needed, so exactly
// reproducible): a 40×56 periodic grid, 150 steps per image, the other
// parameters at their defaults.
func ReferenceFile(tb testing.TB, images int) string {
	tb.Helper()
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage, p.Boundary = 40, 56, images, 150, sim.Periodic
	ref := sim.NewReference(p, sim.InitialState(p.Rows, p.Cols))
	v := make([][]float32, images)
	for i := range v {
		ref.Step(p.StepsPerImage)
		v[i] = slices.Clone(ref.State().V) // the reference reuses its buffers
	}
	return File(tb, "ref.h5", p, v, true, "")
}
