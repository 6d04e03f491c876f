package cpu

import (
	"fmt"
	"runtime"
	"testing"

	"grayscott/sim"
)

// freshSteps is how many steps an iteration of BenchmarkStep runs from the
// course's initial state, as scripts/cpu-baseline.c does. From step 10 on,
// the seed's diffusion front holds numbers so small that products of them
// are subnormal, which costs a microcode assist of ~150 cycles per vector
// instruction on Intel CPUs: BenchmarkStepTransient measures that regime.
const freshSteps = 8

// stepFresh times Step(freshSteps) from init, restoring init outside the
// timer, and reports cell-updates/s.
func stepFresh(b *testing.B, e *Engine, init *sim.State) {
	e.Step(freshSteps) // first touch of every buffer
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		e.SetState(init, 0)
		b.StartTimer()
		e.Step(freshSteps)
	}
	b.ReportMetric(float64(init.Rows*init.Cols)*freshSteps*float64(b.N)/b.Elapsed().Seconds(), "cell-updates/s")
}

// BenchmarkStep: sizes × threads × kernel variants, New's other choices.
// Compare with scripts/cpu-baseline.sh run in the same session.
func BenchmarkStep(b *testing.B) {
	threads := []int{1, 2}
	if n := runtime.NumCPU(); n > 2 {
		threads = append(threads, n)
	}
	names, has := ISAs()
	for _, n := range []int{256, 1024, 4096} {
		p := params(n, n, sim.Zero)
		init := sim.InitialState(n, n)
		for _, th := range threads {
			for i, isa := range names {
				b.Run(fmt.Sprintf("size=%d/threads=%d/isa=%s", n, th, isa), func(b *testing.B) {
					if !has[i] {
						b.Skipf("this CPU does not support the %s kernel", isa)
					}
					stepFresh(b, newEngine(b, p, init, Options{Threads: th, ISA: isa}), init)
				})
			}
		}
	}
}

// BenchmarkFuse compares steps per pass (temporal blocking) with the best
// kernel.
func BenchmarkFuse(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		p := params(n, n, sim.Zero)
		init := sim.InitialState(n, n)
		for _, th := range []int{1, 2} {
			for _, fuse := range []int{1, 2, 4, 8} {
				b.Run(fmt.Sprintf("size=%d/threads=%d/fuse=%d", n, th, fuse), func(b *testing.B) {
					stepFresh(b, newEngineFused(b, p, init, Options{Threads: th}, fuse), init)
				})
			}
		}
	}
}

// transientState is a 1024² periodic state in the transient regime: the
// course's pattern grown for 1000 steps on a 256² torus, tiled 4×4. About
// a quarter of its 16-cell blocks hold subnormal numbers.
func transientState(b *testing.B) (sim.Params, *sim.State) {
	const n, tile, grow = 1024, 256, 1000
	pt := params(tile, tile, sim.Periodic)
	e := newEngine(b, pt, sim.InitialState(tile, tile), Options{})
	e.Step(grow)
	t := sim.InitialState(tile, tile)
	e.ReadU(t.U)
	e.ReadV(t.V)
	e.Close()
	s := sim.InitialState(n, n)
	for r := range n {
		for c := range n {
			s.U[r*n+c], s.V[r*n+c] = t.U[r%tile*tile+c%tile], t.V[r%tile*tile+c%tile]
		}
	}
	return params(n, n, sim.Periodic), s
}

// BenchmarkStepTransient: freshSteps steps per iteration from
// transientState, continuing (the regime lasts thousands of steps).
func BenchmarkStepTransient(b *testing.B) {
	p, init := transientState(b)
	names, has := ISAs()
	for _, th := range []int{1, 2} {
		for i, isa := range names {
			b.Run(fmt.Sprintf("size=%d/threads=%d/isa=%s", p.Rows, th, isa), func(b *testing.B) {
				if !has[i] {
					b.Skipf("this CPU does not support the %s kernel", isa)
				}
				e := newEngine(b, p, init, Options{Threads: th, ISA: isa})
				for b.Loop() {
					e.Step(freshSteps)
				}
				b.ReportMetric(float64(p.Cells())*freshSteps*float64(b.N)/b.Elapsed().Seconds(), "cell-updates/s")
			})
		}
	}
}

// longSteps: BenchmarkStepLong runs the course's first 300 steps, most of
// them in the transient regime, as scripts/cpu-baseline.sh's long line.
const longSteps = 300

// BenchmarkStepLong times Step(longSteps) from the initial state at 1024²
// with the best kernel: subnormal numbers included, as in real runs.
func BenchmarkStepLong(b *testing.B) {
	const n = 1024
	p := params(n, n, sim.Zero)
	init := sim.InitialState(n, n)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("size=%d/threads=%d", n, th), func(b *testing.B) {
			e := newEngine(b, p, init, Options{Threads: th})
			for range b.N {
				b.StopTimer()
				e.SetState(init, 0)
				b.StartTimer()
				e.Step(longSteps)
			}
			b.ReportMetric(float64(p.Cells())*longSteps*float64(b.N)/b.Elapsed().Seconds(), "cell-updates/s")
		})
	}
}

// BenchmarkReference is sim.Reference (scalar Go, one thread) for scale.
func BenchmarkReference(b *testing.B) {
	for _, n := range []int{256, 1024} {
		b.Run(fmt.Sprintf("size=%d", n), func(b *testing.B) {
			p := params(n, n, sim.Zero)
			init := sim.InitialState(n, n)
			for range b.N {
				b.StopTimer()
				r := sim.NewReference(p, init)
				b.StartTimer()
				r.Step(freshSteps)
			}
			b.ReportMetric(float64(p.Cells())*freshSteps*float64(b.N)/b.Elapsed().Seconds(), "cell-updates/s")
		})
	}
}
