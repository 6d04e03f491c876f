package gpu

import (
	"fmt"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"grayscott/shaders"
	"grayscott/sim"
)

// Simulator advances U and V on the GPU. The fields live in two pairs of
// shader storage buffers used in ping-pong: each step reads one pair and
// writes the other, with only a memory barrier between dispatches, so the
// CPU never waits between steps.
//
// A Simulator is tied to the Context that made it; its methods run on that
// context's GL thread (they block the caller until the GL calls are issued)
// and must not be called concurrently with each other.
//
// It is a pipeline.Source: Step, QueueReadback, PendingReadbacks,
// ReadbackSlots, CompleteReadback and SetState.
type Simulator struct {
	ctx    *Context
	params sim.Params
	wg     WorkGroup
	prog   program
	u, v   [2]uint32 // buffers; [cur] holds the current state
	cur    int
	steps  int64
	// completedStep is the step of the last completed readback: the work
	// queued since bounds the wait for the next one.
	completedStep int64
	// fenceWait and fenceRate bound the wait for a readback (see
	// defaultFenceWait); tests shorten them.
	fenceWait time.Duration
	fenceRate float64
	groups    [2]uint32
	ring      *readbackRing
	paint     program
	kernel    string // shader file name
}

// Config holds the simulator's tuning, which does not change results.
type Config struct {
	// WorkGroup is the compute work-group size (DefaultWorkGroup when zero).
	WorkGroup WorkGroup
	// ReadbackSlots is the number of staging buffers in the readback ring
	// (DefaultReadbackSlots when 0). 1 waits for each copy at once; 2 or
	// more overlap the copy of an image with the next image's steps.
	ReadbackSlots int
	// NoPersistentMap maps readback buffers per read even where they could
	// stay mapped (for comparisons).
	NoPersistentMap bool
	// Kernel picks the step shader: KernelNaive (the default) or
	// KernelTiled (shared-memory tiles). Both give the same results.
	Kernel string
}

// Step kernels.
const (
	KernelNaive = "naive"
	KernelTiled = "tiled"
)

// Kernels lists the step kernels.
var Kernels = []string{KernelNaive, KernelTiled}

// DefaultReadbackSlots overlaps one readback with the next image's steps.
const DefaultReadbackSlots = 2

// NewSimulator compiles the step shader for p's boundary and cfg's work
// group and uploads the initial state init (which must be p.Rows×p.Cols).
func NewSimulator(ctx *Context, p sim.Params, cfg Config, init *sim.State) (*Simulator, error) {
	wg := cfg.WorkGroup
	if wg == (WorkGroup{}) {
		wg = DefaultWorkGroup
	}
	slots := cfg.ReadbackSlots
	if slots == 0 {
		slots = DefaultReadbackSlots
	}
	if slots < 0 {
		return nil, fmt.Errorf("gpu: %d readback slots: want at least 1", slots)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	if init.Rows != p.Rows || init.Cols != p.Cols {
		return nil, fmt.Errorf("gpu: initial state is %d×%d, parameters say %d×%d", init.Rows, init.Cols, p.Rows, p.Cols)
	}
	lim := ctx.Limits()
	if wg.X*wg.Y > lim.MaxWorkGroupInvocations || wg.X > lim.MaxWorkGroupSize[0] || wg.Y > lim.MaxWorkGroupSize[1] {
		return nil, fmt.Errorf("gpu: work group %s exceeds the device's limits (%d invocations, %d×%d)",
			wg, lim.MaxWorkGroupInvocations, lim.MaxWorkGroupSize[0], lim.MaxWorkGroupSize[1])
	}
	gx, gy := groups(p.Cols, wg.X), groups(p.Rows, wg.Y)
	if gx > lim.MaxWorkGroupCount[0] || gy > lim.MaxWorkGroupCount[1] {
		return nil, fmt.Errorf("gpu: grid %d×%d needs %d×%d work groups of %s; the device allows %d×%d",
			p.Rows, p.Cols, gy, gx, wg, lim.MaxWorkGroupCount[1], lim.MaxWorkGroupCount[0])
	}
	if bytes := int64(p.Cells()) * 4; bytes > lim.MaxSSBOSize {
		return nil, fmt.Errorf("gpu: a %d×%d field takes %d bytes; the device's storage blocks hold %d",
			p.Rows, p.Cols, bytes, lim.MaxSSBOSize)
	}
	kernel := shaders.GrayScott
	switch cfg.Kernel {
	case "", KernelNaive:
	case KernelTiled:
		kernel = shaders.GrayScottTiled
	default:
		return nil, fmt.Errorf("gpu: unknown kernel %q (want %s or %s)", cfg.Kernel, KernelNaive, KernelTiled)
	}
	src, err := shaders.Source(kernel,
		shaders.Define{Name: "WG_X", Value: fmt.Sprint(wg.X)},
		shaders.Define{Name: "WG_Y", Value: fmt.Sprint(wg.Y)},
		shaders.Define{Name: "BOUNDARY", Value: fmt.Sprint(int(p.Boundary))})
	if err != nil {
		return nil, err
	}
	paintSrc, err := shaders.Source(shaders.Paint,
		shaders.Define{Name: "WG_X", Value: fmt.Sprint(wg.X)},
		shaders.Define{Name: "WG_Y", Value: fmt.Sprint(wg.Y)})
	if err != nil {
		return nil, err
	}
	s := &Simulator{ctx: ctx, params: p, wg: wg, groups: [2]uint32{uint32(gx), uint32(gy)}, kernel: kernel,
		fenceWait: defaultFenceWait, fenceRate: defaultFenceRate}
	persistent := lim.BufferStorage && !cfg.NoPersistentMap
	if err := ctx.Call(func() error {
		if err := s.build(src, init, slots, persistent); err != nil {
			return err
		}
		var err error
		if s.paint, err = compileCompute(shaders.Paint, paintSrc); err != nil {
			s.releaseGL()
		}
		return err
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// build runs on the GL thread; on failure it releases what it made.
func (s *Simulator) build(src string, init *sim.State, slots int, persistent bool) error {
	prog, err := compileCompute(s.kernel, src)
	if err != nil {
		return err
	}
	s.prog = prog
	p := uint32(prog)
	gl.ProgramUniform1i(p, prog.uniform("rows"), int32(s.params.Rows))
	gl.ProgramUniform1i(p, prog.uniform("cols"), int32(s.params.Cols))
	s.setRates()
	gl.ProgramUniform1f(p, prog.uniform("dt"), s.params.DeltaT)
	gl.ProgramUniform1f(p, prog.uniform("du"), s.params.DiffU)
	gl.ProgramUniform1f(p, prog.uniform("dv"), s.params.DiffV)

	gl.GenBuffers(2, &s.u[0])
	gl.GenBuffers(2, &s.v[0])
	size := s.params.Cells() * 4
	for _, b := range []uint32{s.u[0], s.u[1], s.v[0], s.v[1]} {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b)
		gl.BufferData(gl.SHADER_STORAGE_BUFFER, size, nil, gl.DYNAMIC_COPY)
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		s.releaseGL()
		return fmt.Errorf("gpu: allocating 4 buffers of %d bytes: GL error 0x%X", size, e)
	}
	if s.ring, err = newReadbackRing(slots, size, persistent); err != nil {
		s.releaseGL()
		return err
	}
	s.upload(init)
	return nil
}

// setRates loads F and k into the step program. GL thread.
func (s *Simulator) setRates() {
	gl.ProgramUniform1f(uint32(s.prog), s.prog.uniform("feed"), s.params.Feed)
	gl.ProgramUniform1f(uint32(s.prog), s.prog.uniform("kill"), s.params.Kill)
}

// SetRates changes F and k for the steps queued from now on (the preview
// window's presets).
func (s *Simulator) SetRates(feed, kill float32) error {
	p := s.params
	p.Feed, p.Kill = feed, kill
	if err := p.Validate(); err != nil {
		return fmt.Errorf("gpu: %w", err)
	}
	s.params = p
	return s.ctx.Call(func() error { s.setRates(); return nil })
}

// Paint sets u=0, v=1 (the seed state) in the disc of radius cells around
// (row, col), given in cells, clipped to the grid.
func (s *Simulator) Paint(row, col, radius float32) error {
	r0, c0 := int(row-radius), int(col-radius)
	n := int(2*radius) + 2
	return s.ctx.Call(func() error {
		p := uint32(s.paint)
		gl.UseProgram(p)
		gl.ProgramUniform1i(p, s.paint.uniform("rows"), int32(s.params.Rows))
		gl.ProgramUniform1i(p, s.paint.uniform("cols"), int32(s.params.Cols))
		gl.ProgramUniform2i(p, s.paint.uniform("origin"), int32(c0), int32(r0))
		gl.ProgramUniform2f(p, s.paint.uniform("center"), col, row)
		gl.ProgramUniform1f(p, s.paint.uniform("radius"), radius)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, s.u[s.cur])
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, s.v[s.cur])
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		gl.DispatchCompute(uint32(groups(n, s.wg.X)), uint32(groups(n, s.wg.Y)), 1)
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		return nil
	})
}

// CurrentBuffers returns the GL names of the storage buffers that hold U
// and V now. They change at every step: call it on the GL thread (inside
// Context.Call) right before use, and only read them.
func (s *Simulator) CurrentBuffers() (u, v uint32) { return s.u[s.cur], s.v[s.cur] }

// upload replaces the current state. GL thread.
func (s *Simulator) upload(st *sim.State) {
	size := len(st.U) * 4
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, s.u[s.cur])
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, size, gl.Ptr(&st.U[0]))
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, s.v[s.cur])
	gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, size, gl.Ptr(&st.V[0]))
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
}

// Params returns the parameters the simulator was made with.
func (s *Simulator) Params() sim.Params { return s.params }

// WorkGroup returns the work-group size in use.
func (s *Simulator) WorkGroup() WorkGroup { return s.wg }

// Steps returns the step count: steps queued since creation, plus the
// count given to the last SetState.
func (s *Simulator) Steps() int64 { return s.steps }

// SetState replaces U and V (which must match the grid) and sets the step
// count to step. No readback may be pending.
func (s *Simulator) SetState(st *sim.State, step int64) error {
	if st.Rows != s.params.Rows || st.Cols != s.params.Cols {
		return fmt.Errorf("gpu: state is %d×%d, simulator is %d×%d", st.Rows, st.Cols, s.params.Rows, s.params.Cols)
	}
	if s.ring.pending > 0 {
		return fmt.Errorf("gpu: SetState with %d readbacks pending", s.ring.pending)
	}
	s.steps = step
	return s.ctx.Call(func() error { s.upload(st); return nil })
}

// Step queues n steps and returns without waiting for the GPU to run them.
func (s *Simulator) Step(n int) error {
	if n <= 0 {
		return nil
	}
	err := s.ctx.Call(func() error { s.dispatch(n); return nil })
	if err == nil {
		s.steps += int64(n)
	}
	return err
}

// dispatch issues n ping-pong steps. GL thread.
func (s *Simulator) dispatch(n int) {
	gl.UseProgram(uint32(s.prog))
	for range n {
		nxt := 1 - s.cur
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, s.u[s.cur])
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, s.v[s.cur])
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 2, s.u[nxt])
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 3, s.v[nxt])
		gl.DispatchCompute(s.groups[0], s.groups[1], 1)
		// The next dispatch reads what this one wrote.
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		s.cur = nxt
	}
}

// ReadV copies the current V into dst (len Rows·Cols, row-major), waiting
// for the queued steps to finish. dst is not retained.
func (s *Simulator) ReadV(dst []float32) error { return s.read(dst, false) }

// ReadU is ReadV for U.
func (s *Simulator) ReadU(dst []float32) error { return s.read(dst, true) }

func (s *Simulator) read(dst []float32, u bool) error {
	if len(dst) != s.params.Cells() {
		return fmt.Errorf("gpu: read into %d floats, grid has %d cells", len(dst), s.params.Cells())
	}
	return s.ctx.Call(func() error { return s.readCurrent(dst, u) })
}

// readCurrent copies the current U or V into dst, waiting for the steps
// queued so far. GL thread.
func (s *Simulator) readCurrent(dst []float32, u bool) error {
	buf := s.v[s.cur]
	if u {
		buf = s.u[s.cur]
	}
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, buf)
	gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, 0, len(dst)*4, gl.Ptr(&dst[0]))
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		return fmt.Errorf("gpu: reading back %d floats: GL error 0x%X", len(dst), e)
	}
	return nil
}

// QueueReadback starts copying the current V, and U when withU, into the
// next readback slot on the GPU and returns without waiting. It fails when
// every slot is pending: complete one first.
func (s *Simulator) QueueReadback(withU bool) error {
	if s.ring.pending == len(s.ring.slots) {
		return fmt.Errorf("gpu: all %d readback slots are pending", len(s.ring.slots))
	}
	step := s.steps
	return s.ctx.Call(func() error { s.ring.queue(s.v[s.cur], s.u[s.cur], withU, step); return nil })
}

// PendingReadbacks returns how many queued readbacks are not yet completed.
func (s *Simulator) PendingReadbacks() int { return s.ring.pending }

// ReadbackSlots returns the size of the readback ring.
func (s *Simulator) ReadbackSlots() int { return len(s.ring.slots) }

// CompleteReadback waits until the oldest queued readback has arrived,
// copies V into v and, when u is not nil, U into u (Rows·Cols floats each;
// neither is retained), and returns the step count it was taken at. Steps
// queued after it keep running meanwhile. U comes from the slot when it
// was queued with U, else from the current state when no step was queued
// since (then it is the same state); otherwise CompleteReadback fails.
func (s *Simulator) CompleteReadback(v, u []float32) (int64, error) {
	if len(v) != s.params.Cells() || (u != nil && len(u) != s.params.Cells()) {
		return 0, fmt.Errorf("gpu: readback into %d and %d floats, grid has %d cells", len(v), len(u), s.params.Cells())
	}
	if s.ring.pending == 0 {
		return 0, fmt.Errorf("gpu: no readback is pending")
	}
	oldest := s.ring.oldest()
	if u != nil && !oldest.withU && oldest.step != s.steps {
		return 0, fmt.Errorf("gpu: U of step %d was not read back, and the state has moved on to step %d", oldest.step, s.steps)
	}
	timeout := s.fenceWait + time.Duration(float64(int64(s.params.Cells())*(s.steps-s.completedStep))/s.fenceRate*float64(time.Second))
	var step int64
	err := s.ctx.Call(func() error {
		fromSlot := u
		if !oldest.withU {
			fromSlot = nil
		}
		var err error
		if step, err = s.ring.complete(v, fromSlot, timeout); err != nil {
			return err
		}
		if u != nil && !oldest.withU {
			return s.readCurrent(u, true)
		}
		return nil
	})
	if err == nil {
		s.completedStep = step
	}
	return step, err
}

// The wait for a readback is bounded by a minute plus the cell updates
// queued ahead of it at a rate any device beats (llvmpipe on one core does
// 5–10 M/s); past that the GPU is taken as hung, and the run stops with an
// error instead of waiting forever.
const (
	defaultFenceWait = time.Minute
	defaultFenceRate = 1e6 // cell updates per second
)

// ReadbackWait returns the total time spent waiting for readback fences:
// the part of the transfers that did not overlap other work.
func (s *Simulator) ReadbackWait() time.Duration { return s.ring.waited }

// Finish blocks until the GPU has run everything queued (for timing).
func (s *Simulator) Finish() error { return s.ctx.Call(func() error { gl.Finish(); return nil }) }

// Release frees the GPU objects. It is idempotent.
func (s *Simulator) Release() {
	if s.prog == 0 {
		return
	}
	_ = s.ctx.Call(func() error { s.releaseGL(); return nil })
}

func (s *Simulator) releaseGL() {
	if s.ring != nil {
		s.ring.release()
		s.ring = nil
	}
	gl.DeleteBuffers(2, &s.u[0])
	gl.DeleteBuffers(2, &s.v[0])
	s.prog.release()
	s.prog = 0
	if s.paint != 0 {
		s.paint.release()
		s.paint = 0
	}
}
