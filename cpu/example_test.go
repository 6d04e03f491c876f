package cpu_test

import (
	"fmt"

	"grayscott/cpu"
	"grayscott/sim"
)

// An Engine from the course's initial state, advanced by one image's worth
// of steps and read back. Every kernel variant prints the same value.
func Example() {
	p := sim.Defaults()
	p.Rows, p.Cols = 64, 64
	e, err := cpu.New(p, sim.InitialState(p.Rows, p.Cols), cpu.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	if err := e.Step(p.StepsPerImage); err != nil {
		fmt.Println(err)
		return
	}
	v := make([]float32, p.Cells())
	if err := e.ReadV(v); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("after %d steps, v at the seed's corner = %.6f\n", e.Steps(), v[24*p.Cols+28])
	// Output: after 34 steps, v at the seed's corner = 0.447077
}
