package gpu

import (
	"fmt"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"grayscott/shaders"
)

// timeGPU runs issue on the GL thread between GL_TIME_ELAPSED queries and
// returns the GPU time it took, waiting for the result. When the driver has
// no timer queries, or its answer is implausible, it returns the wall time
// around issue and glFinish, and gpuTimed false. GL thread.
func timeGPU(issue func()) (d time.Duration, gpuTimed bool) {
	gl.Finish()
	var q uint32
	gl.GetError()
	gl.GenQueries(1, &q)
	defer gl.DeleteQueries(1, &q)
	start := time.Now()
	gl.BeginQuery(gl.TIME_ELAPSED, q)
	if gl.GetError() != gl.NO_ERROR {
		issue()
		gl.Finish()
		return time.Since(start), false
	}
	issue()
	gl.EndQuery(gl.TIME_ELAPSED)
	var ns uint64
	gl.GetQueryObjectui64v(q, gl.QUERY_RESULT, &ns) // waits for the GPU
	gl.Finish()
	wall := time.Since(start)
	// Some drivers (llvmpipe) answer the query with next to nothing: a GPU
	// time far below the wall time around it is not believed.
	if gl.GetError() != gl.NO_ERROR || time.Duration(ns)*20 < wall {
		return wall, false
	}
	return time.Duration(ns), true
}

// TimedStep runs n steps and returns the time the GPU took (see
// Timing): GPU timer queries where the driver has them, else wall time.
func (s *Simulator) TimedStep(n int) (time.Duration, bool, error) {
	var d time.Duration
	var timed bool
	err := s.ctx.Call(func() error { d, timed = timeGPU(func() { s.dispatch(n) }); return nil })
	if err == nil {
		s.steps += int64(n)
	}
	return d, timed, err
}

// MemoryBandwidth copies a buffer of bytes (rounded to 16) on the GPU
// repeats times with a compute shader and returns, per copy, the bytes
// moved (read + written) per second, and whether GPU timers measured it.
func (c *Context) MemoryBandwidth(bytes, repeats int) ([]float64, bool, error) {
	n := bytes / 16
	if n < 1 || repeats < 1 {
		return nil, false, fmt.Errorf("gpu: memory bandwidth over %d bytes, %d repeats", bytes, repeats)
	}
	src, err := shaders.Source(shaders.Copy)
	if err != nil {
		return nil, false, err
	}
	var rates []float64
	var timed bool
	err = c.Call(func() error {
		prog, err := compileCompute(shaders.Copy, src)
		if err != nil {
			return err
		}
		defer prog.release()
		var bufs [2]uint32
		gl.GenBuffers(2, &bufs[0])
		defer gl.DeleteBuffers(2, &bufs[0])
		for _, b := range bufs {
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b)
			gl.BufferData(gl.SHADER_STORAGE_BUFFER, n*16, nil, gl.DYNAMIC_COPY)
		}
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
		if e := gl.GetError(); e != gl.NO_ERROR {
			return fmt.Errorf("gpu: allocating 2 buffers of %d bytes: GL error 0x%X", n*16, e)
		}
		gl.UseProgram(uint32(prog))
		gl.ProgramUniform1ui(uint32(prog), prog.uniform("n"), uint32(n))
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, bufs[0])
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, bufs[1])
		groups := groups(n, 256)
		gx := min(groups, c.limits.MaxWorkGroupCount[0])
		gy := (groups + gx - 1) / gx
		copyOnce := func() { gl.DispatchCompute(uint32(gx), uint32(gy), 1) }
		timeGPU(copyOnce) // warm-up: llvmpipe compiles at the first dispatch
		for range repeats {
			d, t := timeGPU(copyOnce)
			timed = t
			rates = append(rates, float64(2*n*16)/d.Seconds())
		}
		return nil
	})
	return rates, timed, err
}
