package codec

import (
	"sync"
	"testing"

	"grayscott/cpu"
	"grayscott/sim"
)

// image is a V field of the model at some step: what the codec is for.
type image struct {
	name       string
	rows, cols int
	steps      int
	v          []float32
}

// gsImage runs the model (the CPU engine, course defaults) from its initial
// state for steps and returns V.
func gsImage(tb testing.TB, name string, rows, cols, steps int) image {
	tb.Helper()
	p := sim.Defaults()
	p.Rows, p.Cols = rows, cols
	e, err := cpu.New(p, sim.InitialState(rows, cols), cpu.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer e.Close()
	if err := e.Step(steps); err != nil {
		tb.Fatal(err)
	}
	v := make([]float32, p.Cells())
	if err := e.ReadV(v); err != nil {
		tb.Fatal(err)
	}
	return image{name, rows, cols, steps, v}
}

var testImages struct {
	once sync.Once
	list []image
}

// smallImages are the tests' images, made once per process (under a second):
// an early pattern on a grid whose size leaves a partial last block and 7
// raw leftover elements, and a developed one (about half the cells active,
// float32 noise in the mantissas).
func smallImages(tb testing.TB) []image {
	testImages.once.Do(func() {
		testImages.list = []image{
			gsImage(tb, "early", 257, 391, 300),
			gsImage(tb, "developed", 160, 160, 6000),
		}
	})
	if testImages.list == nil {
		tb.Fatal("the test images could not be made")
	}
	return testImages.list
}
