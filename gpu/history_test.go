package gpu

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"grayscott/shaders"
	"grayscott/sim"
)

// BenchmarkShaderHistory compares, in one run on this device, the step
// shader of before the padded, interleaved layout (testdata/grayscott_v1.comp:
// four float buffers, edge tests per neighbour) with today's kernels, at
// 512² and 1024² (and 4096², out of a GPU's last-level cache, on hardware
// devices), with work groups of 16×16 and 64×4; the column kernel also as
// it was before its loads were hoisted (column-rolling). It reports
// cell-updates/s, timed by the wall clock: on a GPU, 10 iterations are too
// few to hide the driver's own costs; grayscott bench's GPU-timed figures
// are the ones to compare there.
func BenchmarkShaderHistory(b *testing.B) {
	c := newTestContext(b)
	sizes := []int{512, 1024}
	if !c.Info().Software() {
		sizes = append(sizes, 4096)
	}
	for _, n := range sizes {
		p := sim.Defaults()
		p.Rows, p.Cols = n, n
		init := sim.InitialState(n, n)
		for _, wg := range []WorkGroup{{X: 16, Y: 16}, {X: 64, Y: 4}} {
			b.Run(fmt.Sprintf("size=%d/kernel=v1-4buffers/wg=%s", n, wg), func(b *testing.B) {
				d := legacySteps(b, c, p, init, wg, 10, b.N)
				b.ReportMetric(float64(p.Cells())*10*float64(b.N)/d.Seconds(), "cell-updates/s")
			})
		}
		type version struct {
			kernel  string
			rolling bool
		}
		versions := []version{{KernelColumn, true}}
		for _, k := range Kernels {
			versions = append(versions, version{k, false})
		}
		for _, v := range versions {
			name := v.kernel
			if v.rolling {
				name += "-rolling"
			}
			for _, wg := range []WorkGroup{{X: 16, Y: 16}, {X: 64, Y: 4}} {
				b.Run(fmt.Sprintf("size=%d/kernel=%s/wg=%s", n, name, wg), func(b *testing.B) {
					s, err := NewSimulator(c, p, Config{Kernel: v.kernel, WorkGroup: wg, rolling: v.rolling}, init)
					if err != nil {
						b.Fatal(err)
					}
					defer s.Release()
					s.Step(1) // llvmpipe compiles at the first dispatch
					s.Finish()
					start := time.Now()
					for range b.N {
						s.Step(10)
					}
					s.Finish()
					b.ReportMetric(float64(p.Cells())*10*float64(b.N)/time.Since(start).Seconds(), "cell-updates/s")
				})
			}
		}
	}
}

// legacySteps runs repeats×steps steps of the old shader on four float
// buffers and returns the time they took, the first dispatch excluded.
func legacySteps(b *testing.B, c *Context, p sim.Params, init *sim.State, wg WorkGroup, steps, repeats int) time.Duration {
	body, err := os.ReadFile("testdata/grayscott_v1.comp")
	if err != nil {
		b.Fatal(err)
	}
	src := fmt.Sprintf("%s\n#define WG_X %d\n#define WG_Y %d\n#define BOUNDARY %d\n%s", shaders.Version, wg.X, wg.Y, int(p.Boundary), body)
	var d time.Duration
	err = c.Call(func() error {
		prog, err := compileCompute("grayscott_v1.comp", src)
		if err != nil {
			return err
		}
		defer prog.release()
		pp := uint32(prog)
		for name, v := range map[string]int32{"rows": int32(p.Rows), "cols": int32(p.Cols)} {
			gl.ProgramUniform1i(pp, prog.uniform(name), v)
		}
		for name, v := range map[string]float32{"feed": p.Feed, "kill": p.Kill, "dt": p.DeltaT, "du": p.DiffU, "dv": p.DiffV} {
			gl.ProgramUniform1f(pp, prog.uniform(name), v)
		}
		var bufs [4]uint32
		gl.GenBuffers(4, &bufs[0])
		defer gl.DeleteBuffers(4, &bufs[0])
		for k, data := range [][]float32{init.U, init.V, init.U, init.V} {
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, bufs[k])
			gl.BufferData(gl.SHADER_STORAGE_BUFFER, 4*len(data), gl.Ptr(&data[0]), gl.DYNAMIC_COPY)
		}
		gl.UseProgram(pp)
		cur := 0
		step := func() {
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, bufs[2*cur])
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, bufs[2*cur+1])
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 2, bufs[2*(1-cur)])
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 3, bufs[2*(1-cur)+1])
			gl.DispatchCompute(uint32(groups(p.Cols, wg.X)), uint32(groups(p.Rows, wg.Y)), 1)
			gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
			cur = 1 - cur
		}
		step()
		gl.Finish()
		start := time.Now()
		for range repeats * steps {
			step()
		}
		gl.Finish()
		d = time.Since(start)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return d
}
