package gpu

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"grayscott/gpu/gpuconf"
	"grayscott/shaders"
	"grayscott/sim"
)

// Simulator advances U and V on the GPU. The fields live in two storage
// buffers used in ping-pong: each step reads one and writes the other,
// with only a memory barrier between dispatches, so the CPU never waits
// between steps. Each buffer holds U and V interleaved (vec2) inside a
// one-cell halo that carries the boundary (shaders/field.glsl): the
// stencil reads without edge tests, and each step moves 16 bytes per cell.
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
	kernel string
	prog   program // the step
	paint  program
	pack   program // readbacks
	fields [2]uint32
	cur    int // fields[cur] holds the current state
	steps  int64
	groups [2]uint32
	ring   *readbackRing
	host   []float32 // a padded field, for SetState and reads
	// completedStep is the step of the last completed readback: the work
	// queued since bounds the wait for the next one.
	completedStep int64
	// fenceWait and fenceRate bound the wait for a readback (see
	// defaultFenceWait); tests shorten them.
	fenceWait time.Duration
	fenceRate float64
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
	// Kernel picks the step shader (KernelNaive when empty); all give the
	// same results.
	Kernel string
	// rolling compiles the column kernel as it was before its loads were
	// hoisted (BenchmarkShaderHistory compares the two).
	rolling bool
}

// Step kernels (gpuconf names them). All give the same results; which is
// fastest depends on the device (grayscott bench measures them).
const (
	// KernelNaive computes one cell per invocation.
	KernelNaive = gpuconf.KernelNaive
	// KernelColumn computes 8 cells down a column per invocation, keeping
	// the rows of neighbours in registers: neighbouring invocations still
	// read neighbouring cells (coalesced on GPUs).
	KernelColumn = gpuconf.KernelColumn
	// KernelBlock computes a block of 4×8 cells per invocation: fewer loads
	// per cell, less coalescing (the fastest on llvmpipe).
	KernelBlock = gpuconf.KernelBlock
	// KernelTiled stages the work group's cells and their rim in shared
	// memory.
	KernelTiled = gpuconf.KernelTiled
)

// DefaultKernel is the kernel used when none is measured fastest.
const DefaultKernel = gpuconf.DefaultKernel

// Kernels lists the step kernels.
var Kernels = gpuconf.Kernels

// kernelCells is the block of cells (x, y) one invocation of each kernel
// computes.
var kernelCells = map[string][2]int{KernelNaive: {1, 1}, KernelColumn: {1, 8}, KernelBlock: {4, 8}, KernelTiled: {1, 1}}

// kernelHoists says which kernels load all their rows before computing
// (shaders/grayscott.comp's HOIST). Measured: the column kernel at 4096² on
// an H100 needs it to reach the memory bound; the block kernel's 60 values
// held at once cost llvmpipe 40 % (register spills) and it stays rolling.
var kernelHoists = map[string]bool{KernelNaive: true, KernelColumn: true}

// DefaultReadbackSlots overlaps one readback with the next image's steps.
const DefaultReadbackSlots = gpuconf.DefaultReadbackSlots

// The wait for a readback is bounded by a minute plus the cell updates
// queued ahead of it at a rate any device beats (llvmpipe on one core does
// 5–10 M/s); past that the GPU is taken as hung, and the run stops with an
// error instead of waiting forever.
const (
	defaultFenceWait = time.Minute
	defaultFenceRate = 1e6 // cell updates per second
)

// paddedLen is the number of floats in one padded, interleaved field buffer.
func paddedLen(p sim.Params) int { return 2 * (p.Rows + 2) * (p.Cols + 2) }

// NewSimulator compiles the step shader for p's boundary and cfg's kernel
// and work group and uploads the initial state init (which must be
// p.Rows×p.Cols).
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
	kernel := cmp.Or(cfg.Kernel, DefaultKernel)
	lim := ctx.Limits()
	if bytes := int64(paddedLen(p)) * 4; bytes > lim.MaxSSBOSize {
		return nil, fmt.Errorf("gpu: a %d×%d grid takes %d bytes for U and V; the device's storage blocks hold %d",
			p.Rows, p.Cols, bytes, lim.MaxSSBOSize)
	}
	ks, err := kernelSources(lim, p, kernel, wg, cfg.rolling)
	if err != nil {
		return nil, err
	}
	packSrc, err := shaders.Source(shaders.Pack, shaders.Define{Name: "BOUNDARY", Value: fmt.Sprint(int(p.Boundary))})
	if err != nil {
		return nil, err
	}
	s := &Simulator{ctx: ctx, params: p, wg: wg, kernel: kernel, groups: ks.groups,
		host: make([]float32, paddedLen(p)), fenceWait: defaultFenceWait, fenceRate: defaultFenceRate}
	persistent := lim.BufferStorage && !cfg.NoPersistentMap
	if err := ctx.Call(func() error {
		err := s.build(ks.file, ks.src, ks.paintSrc, packSrc, init, slots, persistent)
		if err != nil {
			s.releaseGL()
		}
		return err
	}); err != nil {
		return nil, err
	}
	return s, nil
}

// kernelSource is what a kernel and work group compile to.
type kernelSource struct {
	file, src, paintSrc string
	groups              [2]uint32 // the dispatch
}

// kernelSources checks a kernel and work group against the device's limits
// and returns the step and paint shaders' sources.
func kernelSources(lim Limits, p sim.Params, kernel string, wg WorkGroup, rolling bool) (kernelSource, error) {
	var ks kernelSource
	cells, ok := kernelCells[kernel]
	if !ok {
		return ks, fmt.Errorf("gpu: unknown kernel %q (want one of %s)", kernel, strings.Join(Kernels, ", "))
	}
	if wg.X*wg.Y > lim.MaxWorkGroupInvocations || wg.X > lim.MaxWorkGroupSize[0] || wg.Y > lim.MaxWorkGroupSize[1] {
		return ks, fmt.Errorf("gpu: work group %s exceeds the device's limits (%d invocations, %d×%d)",
			wg, lim.MaxWorkGroupInvocations, lim.MaxWorkGroupSize[0], lim.MaxWorkGroupSize[1])
	}
	gx, gy := groups(p.Cols, wg.X*cells[0]), groups(p.Rows, wg.Y*cells[1])
	if gx > lim.MaxWorkGroupCount[0] || gy > lim.MaxWorkGroupCount[1] {
		return ks, fmt.Errorf("gpu: grid %d×%d needs %d×%d work groups of %s; the device allows %d×%d",
			p.Rows, p.Cols, gy, gx, wg, lim.MaxWorkGroupCount[1], lim.MaxWorkGroupCount[0])
	}
	ks.groups = [2]uint32{uint32(gx), uint32(gy)}
	ks.file = shaders.GrayScott
	if kernel == KernelTiled {
		ks.file = shaders.GrayScottTiled
	}
	grid := []shaders.Define{{Name: "WG_X", Value: fmt.Sprint(wg.X)}, {Name: "WG_Y", Value: fmt.Sprint(wg.Y)},
		{Name: "BOUNDARY", Value: fmt.Sprint(int(p.Boundary))}}
	var err error
	ks.src, err = shaders.Source(ks.file, append(grid, shaders.Define{Name: "CELLS_X", Value: fmt.Sprint(cells[0])},
		shaders.Define{Name: "CELLS_Y", Value: fmt.Sprint(cells[1])},
		shaders.Define{Name: "HOIST", Value: map[bool]string{true: "1", false: "0"}[kernelHoists[kernel] && !rolling]})...)
	if err != nil {
		return ks, err
	}
	ks.paintSrc, err = shaders.Source(shaders.Paint, grid...)
	return ks, err
}

// SetKernel recompiles the step (and paint) shaders for another kernel and
// work group, on the same buffers and state: grayscott bench compares
// kernels without allocating the fields again. No readback may be pending.
func (s *Simulator) SetKernel(kernel string, wg WorkGroup) error {
	if s.ring.pending > 0 {
		return fmt.Errorf("gpu: SetKernel with %d readbacks pending", s.ring.pending)
	}
	kernel = cmp.Or(kernel, DefaultKernel)
	if wg == (WorkGroup{}) {
		wg = DefaultWorkGroup
	}
	ks, err := kernelSources(s.ctx.Limits(), s.params, kernel, wg, false)
	if err != nil {
		return err
	}
	return s.ctx.Call(func() error {
		prog, err := compileCompute(ks.file, ks.src)
		if err != nil {
			return err
		}
		paint, err := compileCompute(shaders.Paint, ks.paintSrc)
		if err != nil {
			prog.release()
			return err
		}
		gl.Finish() // the old programs' steps are done with
		s.prog.release()
		s.paint.release()
		s.prog, s.paint = prog, paint
		s.setUniforms()
		s.kernel, s.wg, s.groups = kernel, wg, ks.groups
		return nil
	})
}

// build compiles the programs and makes the buffers. GL thread; on
// failure the caller releases what was made.
func (s *Simulator) build(file, src, paintSrc, packSrc string, init *sim.State, slots int, persistent bool) error {
	var err error
	if s.prog, err = compileCompute(file, src); err != nil {
		return err
	}
	if s.paint, err = compileCompute(shaders.Paint, paintSrc); err != nil {
		return err
	}
	if s.pack, err = compileCompute(shaders.Pack, packSrc); err != nil {
		return err
	}
	s.setUniforms()

	// Both buffers start with the initial state: its halo, zero or not,
	// is then right on either side of the first step.
	padField(s.host, init, s.params.Boundary)
	gl.GenBuffers(2, &s.fields[0])
	size := 4 * len(s.host)
	for _, b := range s.fields {
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b)
		gl.BufferData(gl.SHADER_STORAGE_BUFFER, size, gl.Ptr(&s.host[0]), gl.DYNAMIC_COPY)
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		return fmt.Errorf("gpu: allocating 2 buffers of %d bytes: GL error 0x%X", size, e)
	}
	s.ring, err = newReadbackRing(slots, s.params.Cells()*4, persistent)
	return err
}

// padField writes st into dst, the padded, interleaved layout of
// shaders/field.glsl, with the halo the boundary b reads outside the grid.
func padField(dst []float32, st *sim.State, b sim.Boundary) {
	rows, cols := st.Rows, st.Cols
	for pr := -1; pr <= rows; pr++ {
		for pc := -1; pc <= cols; pc++ {
			r, c := pr, pc
			inside := r >= 0 && r < rows && c >= 0 && c < cols
			switch {
			case inside:
			case b == sim.Periodic:
				r, c = (r+rows)%rows, (c+cols)%cols
			case b == sim.Neumann:
				r, c = min(max(r, 0), rows-1), min(max(c, 0), cols-1)
			}
			k := 2 * ((pr+1)*(cols+2) + pc + 1)
			if !inside && b == sim.Zero {
				dst[k], dst[k+1] = 0, 0
				continue
			}
			dst[k], dst[k+1] = st.U[r*cols+c], st.V[r*cols+c]
		}
	}
}

// unpadField copies component comp (0 U, 1 V) of the padded field src
// into dst, rows×cols row-major.
func unpadField(dst, src []float32, rows, cols, comp int) {
	for r := range rows {
		row := src[2*((r+1)*(cols+2)+1):]
		for c := range cols {
			dst[r*cols+c] = row[2*c+comp]
		}
	}
}

// setRates loads F and k into the step program. GL thread.
// setUniforms gives the programs the grid and the model. GL thread.
func (s *Simulator) setUniforms() {
	for _, prog := range []program{s.prog, s.paint, s.pack} {
		gl.ProgramUniform1i(uint32(prog), prog.uniform("rows"), int32(s.params.Rows))
		gl.ProgramUniform1i(uint32(prog), prog.uniform("cols"), int32(s.params.Cols))
	}
	p := uint32(s.prog)
	s.setRates()
	gl.ProgramUniform1f(p, s.prog.uniform("dt"), s.params.DeltaT)
	gl.ProgramUniform1f(p, s.prog.uniform("du"), s.params.DiffU)
	gl.ProgramUniform1f(p, s.prog.uniform("dv"), s.params.DiffV)
}

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
		gl.ProgramUniform2i(p, s.paint.uniform("origin"), int32(c0), int32(r0))
		gl.ProgramUniform2f(p, s.paint.uniform("center"), col, row)
		gl.ProgramUniform1f(p, s.paint.uniform("radius"), radius)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, s.fields[s.cur])
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		gl.DispatchCompute(uint32(groups(n, s.wg.X)), uint32(groups(n, s.wg.Y)), 1)
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		return nil
	})
}

// FieldView says where one field lies in a GL buffer: cell (r, c) is
// float number Origin + r·RowStride + c·CellStride.
type FieldView struct {
	Buffer                        uint32
	Origin, RowStride, CellStride int
}

// CurrentField returns where the current U (u true) or V lies. The buffer
// changes at every step: call it on the GL thread (inside Context.Call)
// right before use, and only read it.
func (s *Simulator) CurrentField(u bool) FieldView {
	comp := 1
	if u {
		comp = 0
	}
	stride := 2 * (s.params.Cols + 2)
	return FieldView{Buffer: s.fields[s.cur], Origin: stride + 2 + comp, RowStride: stride, CellStride: 2}
}

// Params returns the parameters the simulator was made with.
func (s *Simulator) Params() sim.Params { return s.params }

// WorkGroup returns the work-group size in use.
func (s *Simulator) WorkGroup() WorkGroup { return s.wg }

// Kernel returns the step kernel in use.
func (s *Simulator) Kernel() string { return s.kernel }

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
	s.steps, s.completedStep = step, step
	padField(s.host, st, s.params.Boundary)
	return s.ctx.Call(func() error {
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT) // after the steps that read it
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, s.fields[s.cur])
		gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*len(s.host), gl.Ptr(&s.host[0]))
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
		return nil
	})
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
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, s.fields[s.cur])
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, s.fields[nxt])
		gl.DispatchCompute(s.groups[0], s.groups[1], 1)
		// The next dispatch reads what this one wrote.
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		s.cur = nxt
	}
}

// ReadV copies the current V into dst (len Rows·Cols, row-major), waiting
// for the queued steps to finish. dst is not retained.
func (s *Simulator) ReadV(dst []float32) error { return s.read(dst, 1) }

// ReadU is ReadV for U.
func (s *Simulator) ReadU(dst []float32) error { return s.read(dst, 0) }

func (s *Simulator) read(dst []float32, comp int) error {
	if len(dst) != s.params.Cells() {
		return fmt.Errorf("gpu: read into %d floats, grid has %d cells", len(dst), s.params.Cells())
	}
	return s.ctx.Call(func() error { return s.readCurrent(dst, comp) })
}

// readCurrent copies component comp of the current state into dst,
// waiting for the steps queued so far. GL thread.
func (s *Simulator) readCurrent(dst []float32, comp int) error {
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, s.fields[s.cur])
	gl.GetBufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*len(s.host), gl.Ptr(&s.host[0]))
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if e := gl.GetError(); e != gl.NO_ERROR {
		return fmt.Errorf("gpu: reading back %d floats: GL error 0x%X", len(s.host), e)
	}
	unpadField(dst, s.host, s.params.Rows, s.params.Cols, comp)
	return nil
}

// QueueReadback starts packing the current V, and U when withU, into the
// next readback slot on the GPU and returns without waiting. It fails when
// every slot is pending: complete one first.
func (s *Simulator) QueueReadback(withU bool) error {
	if s.ring.pending == len(s.ring.slots) {
		return fmt.Errorf("gpu: all %d readback slots are pending", len(s.ring.slots))
	}
	step := s.steps
	return s.ctx.Call(func() error {
		s.ring.queue(step, withU, func(dst uint32) {
			gl.UseProgram(uint32(s.pack))
			gl.ProgramUniform1i(uint32(s.pack), s.pack.uniform("with_u"), boolInt(withU))
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, s.fields[s.cur])
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 1, dst)
			gl.DispatchCompute(uint32(groups(s.params.Cols, 16)), uint32(groups(s.params.Rows, 16)), 1)
		})
		return nil
	})
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
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
			return s.readCurrent(u, 0)
		}
		return nil
	})
	if err == nil {
		s.completedStep = step
	}
	return step, err
}

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

// releaseGL deletes whatever build made. GL thread.
func (s *Simulator) releaseGL() {
	if s.ring != nil {
		s.ring.release()
		s.ring = nil
	}
	if s.fields[0] != 0 {
		gl.DeleteBuffers(2, &s.fields[0])
		s.fields = [2]uint32{}
	}
	for _, p := range []*program{&s.prog, &s.paint, &s.pack} {
		if *p != 0 {
			p.release()
			*p = 0
		}
	}
}
