package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"grayscott/cpu"
	"grayscott/pipeline"
	"grayscott/sim"
)

// Example simulates a 64×64 grid on the CPU engine into an HDF5 file: ten
// images, one every 34 steps, written by the asynchronous writer.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 64, 64, 10
	engine, err := cpu.New(p, sim.InitialState(p.Rows, p.Cols), cpu.Options{})
	if err != nil {
		panic(err)
	}
	src, _ := cpu.NewSource(engine, 0)
	defer src.Release()
	sum, err := pipeline.Run(context.Background(), src, pipeline.Config{
		Params: p, Output: filepath.Join(dir, "run.h5"), BufferLen: 1})
	fmt.Println(sum.Images, "images,", sum.Steps, "steps, completed:", sum.Completed, err)
	// Output: 10 images, 340 steps, completed: true <nil>
}
