// Package cpu is a multi-core, vectorized CPU engine for the Gray-Scott
// model: the engine for machines without a GPU. Its results equal
// sim.Reference's bit for bit.
//
// # Overview
//
// An Engine keeps U and V in a padded layout (a one-column halo on each side
// of every row, refreshed per the boundary as each row is written), so the
// stencil runs without edge tests. Step splits the rows into bands, one per
// thread: the calling goroutine runs the first, worker goroutines the others.
// A band advances by a few steps in one pass (temporal blocking: a
// wavefront down the band keeps the steps in flight in cache, and each band
// recomputes the few rows it needs beyond its edges), then Step waits for
// all bands: one barrier per pass. Each band runs a kernel variant: C
// compiled per instruction set (AVX-512, AVX2, SSE2 on x86-64; NEON on
// arm64) and chosen at run time, or the pure-Go "generic" kernel, the only
// one without cgo, which runs one step per pass.
//
// Chunks of rows near numbers below 2^-34 go through a safe mode that
// multiplies in double precision: products of such numbers can be
// subnormal, and a subnormal operand or result costs a microcode assist of
// ~150 cycles per vector instruction on Intel CPUs. In the transient regime
// of a run, where the pattern's diffusion front holds such numbers, that
// made steps up to eight times slower; safe mode makes them twice as fast
// as that (BenchmarkStepTransient). Both modes give the same bits.
//
// # Invariants
//
// Every variant evaluates sim.Reference's float32 operations in its order,
// without fused multiply-add. Two terms of the Laplacian's sum are left out
// because they cannot change a finite result (kernel.c proves it; the tests
// check it). For non-finite inputs the results are NaN where the reference's
// are, with unspecified NaN payloads. (sim.Reference is itself that oracle
// only where Go does not fuse its multiply-adds: not on arm64, nor with
// GOAMD64=v3; TestReferenceUnfused says so when it happens.)
package cpu

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strings"
	"sync"

	"grayscott/sim"
)

// Options tunes an Engine. The zero value is the fastest choice.
type Options struct {
	Threads int    // worker goroutines; 0 = runtime.NumCPU()
	ISA     string // "" = best the CPU supports; or "avx512", "avx2", "sse2" (x86-64), "neon" (arm64), "generic" (pure Go)
}

// Engine advances U and V on the CPU. Its methods must not be called
// concurrently with each other; Step blocks until the steps are done. Call
// Close when done with it to stop its worker goroutines.
type Engine struct {
	*state
	team   *team
	closed bool
}

// state is what the workers see; it holds no reference to the Engine, so an
// Engine that is dropped without Close can still be collected (and its
// workers stopped).
type state struct {
	p     sim.Params
	l     layout
	v     variant
	u, vf [2][]float32 // padded U and V; index cur is current
	tiny  [2][]uint8   // per chunk of u, vf: whether it holds tiny numbers
	zero  []float32    // a zero row, for the Zero boundary
	fuse  int          // steps per pass (temporal blocking)
	rings [][]float32  // per band, scratch for the steps in flight
	marks [][]uint8    // per band, the kernels' scratch for tiny flags
	cur   int
	steps int64
	bands [][2]int // rows [r0, r1) of each thread
	work  []band   // per band, reused every pass
}

// New makes an engine for p starting from init (p.Rows×p.Cols, copied).
func New(p sim.Params, init *sim.State, opts Options) (*Engine, error) {
	return newFused(p, init, opts, 0)
}

// newFused is New with the steps per pass set (0 = chosen for the grid).
func newFused(p sim.Params, init *sim.State, opts Options, fuse int) (*Engine, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if err := checkState(p, init); err != nil {
		return nil, err
	}
	threads := opts.Threads
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	if threads < 0 {
		return nil, fmt.Errorf("cpu: %d threads: want at least 1 (or 0 for one per CPU)", threads)
	}
	v, err := pickVariant(opts.ISA)
	if err != nil {
		return nil, err
	}
	l := newLayout(p)
	s := &state{p: p, l: l, v: v, zero: make([]float32, off+l.stride)}
	for i := range 2 {
		s.u[i], s.vf[i], s.tiny[i] = l.alloc(), l.alloc(), make([]uint8, p.Rows*l.chunks)
	}
	s.load(init)
	n := min(threads, p.Rows)
	for i := range n {
		s.bands = append(s.bands, [2]int{i * p.Rows / n, (i + 1) * p.Rows / n})
	}
	s.work = make([]band, n)
	if fuse == 0 {
		fuse = defaultFuse(l, p.Rows/n)
	}
	s.fuse = min(fuse, v.maxSteps)
	for range n {
		s.rings = append(s.rings, make([]float32, off+ringRows(s.fuse)*l.stride+16))
		s.marks = append(s.marks, make([]uint8, 2*l.chunks))
	}
	e := &Engine{state: s, team: newTeam(n, s.runBand)}
	runtime.AddCleanup(e, (*team).stop, e.team)
	return e, nil
}

// defaultFuse returns how many steps a pass fuses (temporal blocking) for
// grids of layout l split into bands of about bandRows rows. Four steps
// per pass cut the memory traffic fourfold, which measured 1.2–1.3× faster
// at 4096² and 1024² with two threads, up to 1.6× with one (BenchmarkFuse);
// eight gain nothing more. The ring should stay in a core's L2 cache, and
// the rows each band recomputes at its edges (steps·(steps−1) per pass)
// few next to the band's.
func defaultFuse(l layout, bandRows int) int {
	const ringBudget = 512 << 10 // bytes
	fuse := 4
	for fuse > 1 && (ringRows(fuse)*l.stride*4 > ringBudget || fuse > bandRows/16) {
		fuse--
	}
	return fuse
}

// ringRows is the rows of a band's scratch for passes of up to fuse steps:
// three rows of U and V per intermediate level (see kernel.c's wave).
func ringRows(fuse int) int { return 6 * (fuse - 1) }

// pickVariant returns the kernel called name, or the fastest this CPU runs.
func pickVariant(name string) (variant, error) {
	var known []string
	for _, v := range variants {
		if name == "" && v.has || name == v.name {
			if !v.has {
				return v, fmt.Errorf("cpu: ISA %q is not supported by this CPU", name)
			}
			return v, nil
		}
		known = append(known, v.name)
	}
	return variant{}, fmt.Errorf("cpu: unknown ISA %q (this build has %s)", name, strings.Join(known, ", "))
}

// ISAs lists the kernel variants built into this binary, fastest first, and
// whether this CPU runs each: the values Options.ISA accepts.
func ISAs() (names []string, supported []bool) {
	for _, v := range variants {
		names, supported = append(names, v.name), append(supported, v.has)
	}
	return names, supported
}

func checkState(p sim.Params, st *sim.State) error {
	if st == nil {
		return errors.New("cpu: nil state")
	}
	if st.Rows != p.Rows || st.Cols != p.Cols || len(st.U) != p.Cells() || len(st.V) != p.Cells() {
		return fmt.Errorf("cpu: state is %d×%d with %d and %d values, grid is %d×%d",
			st.Rows, st.Cols, len(st.U), len(st.V), p.Rows, p.Cols)
	}
	return nil
}

var errClosed = errors.New("cpu: engine is closed")

// Step advances n steps (n ≥ 0) with all threads, in passes of up to a few
// steps, and returns when they are done.
func (e *Engine) Step(n int) error {
	if e.closed {
		return errClosed
	}
	if n < 0 {
		return fmt.Errorf("cpu: step count %d is negative", n)
	}
	r := newRates(e.p)
	for n > 0 {
		k := min(n, e.fuse)
		src, dst := e.cur, 1-e.cur
		for i := range e.work {
			e.work[i] = band{l: e.l, su: e.u[src], sv: e.vf[src], du: e.u[dst], dv: e.vf[dst],
				zero: e.zero, ring: e.rings[i], sf: e.tiny[src], df: e.tiny[dst], scratch: e.marks[i],
				r: r, steps: k}
		}
		e.team.run()
		e.cur = dst
		e.steps += int64(k)
		n -= k
	}
	return nil
}

// load copies st into the current fields.
func (s *state) load(st *sim.State) {
	u, v := s.u[s.cur], s.vf[s.cur]
	s.l.load(u, st.U)
	s.l.load(v, st.V)
	for r := range s.l.rows {
		s.l.tinyChunks(s.tinyRow(r), u, v, r)
	}
}

// tinyRow returns the tiny flags of row r of the current fields.
func (s *state) tinyRow(r int) []uint8 {
	return s.tiny[s.cur][r*s.l.chunks : (r+1)*s.l.chunks]
}

// runBand runs band i of the pass that s.work describes.
func (s *state) runBand(i int) { s.v.run(&s.work[i], s.bands[i][0], s.bands[i][1]) }

// ReadV copies the current V into dst (len Rows·Cols, row-major). dst is
// not retained.
func (e *Engine) ReadV(dst []float32) error { return e.read(dst, e.vf[e.cur], "V") }

// ReadU is ReadV for U.
func (e *Engine) ReadU(dst []float32) error { return e.read(dst, e.u[e.cur], "U") }

func (e *Engine) read(dst, f []float32, name string) error {
	if e.closed {
		return errClosed
	}
	if len(dst) != e.p.Cells() {
		return fmt.Errorf("cpu: reading %s into %d floats, grid has %d cells", name, len(dst), e.p.Cells())
	}
	e.l.store(dst, f)
	return nil
}

// SetState replaces U and V with a copy of st (which must match the grid)
// and sets the step count to step. st is not retained.
func (e *Engine) SetState(st *sim.State, step int64) error {
	if e.closed {
		return errClosed
	}
	if err := checkState(e.p, st); err != nil {
		return err
	}
	if step < 0 {
		return fmt.Errorf("cpu: step count %d is negative", step)
	}
	e.load(st)
	e.steps = step
	return nil
}

// SetRates changes F and k for the steps from now on. They are validated as
// sim.Params.Validate does; on error nothing changes.
func (e *Engine) SetRates(feed, kill float32) error {
	if e.closed {
		return errClosed
	}
	p := e.p
	p.Feed, p.Kill = feed, kill
	if err := p.Validate(); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	e.p = p
	return nil
}

// Paint sets u=0, v=1 (the seed state) in the disc of radius cells around
// (row, col), clipped to the grid, as shaders/paint.comp does: cell (r, c)
// is painted when (c+0.5−col)² + (r+0.5−row)² ≤ radius², in float32.
func (e *Engine) Paint(row, col, radius float32) error {
	if e.closed {
		return errClosed
	}
	for _, x := range []float32{row, col, radius} {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("cpu: paint at (%g, %g) radius %g: values must be finite", row, col, radius)
		}
	}
	if radius < 0 {
		return fmt.Errorf("cpu: paint radius %g is negative", radius)
	}
	// The disc's bounding box, one cell wider each side, clipped in float64
	// so that far-off discs cannot overflow an int.
	clip := func(x float64, n int) int { return int(min(max(x, 0), float64(n))) }
	r0, r1 := clip(float64(row-radius)-1, e.p.Rows), clip(float64(row+radius)+2, e.p.Rows)
	c0, c1 := clip(float64(col-radius)-1, e.p.Cols), clip(float64(col+radius)+2, e.p.Cols)
	u, v := e.u[e.cur], e.vf[e.cur]
	for r := r0; r < r1; r++ {
		dy := float32(r) + 0.5 - row
		for c := c0; c < c1; c++ {
			dx := float32(c) + 0.5 - col
			if float32(dx*dx)+float32(dy*dy) <= radius*radius {
				i := e.l.at(r, c)
				u[i], v[i] = 0, 1
			}
		}
		e.l.halo(u, r)
		e.l.halo(v, r)
		e.l.tinyChunks(e.tinyRow(r), u, v, r)
	}
	return nil
}

// Steps returns the number of steps taken since New, plus the count given
// to the last SetState.
func (e *Engine) Steps() int64 { return e.steps }

// Params returns the parameters in use (with the rates of the last SetRates).
func (e *Engine) Params() sim.Params { return e.p }

// Threads returns how many bands a step runs in parallel: Options.Threads
// (or runtime.NumCPU()), at most Rows.
func (e *Engine) Threads() int { return len(e.bands) }

// ISA returns the kernel variant in use, e.g. "avx2" or "generic".
func (e *Engine) ISA() string { return e.v.name }

// Close stops the worker goroutines. It is idempotent; after it, the other
// methods return an error.
func (e *Engine) Close() {
	if !e.closed {
		e.closed = true
		e.team.stop()
	}
}

// team runs one function on n bands in parallel: band 0 on the caller,
// the others on n−1 worker goroutines started once.
type team struct {
	do    func(i int)
	start []chan struct{}
	done  sync.WaitGroup
	once  sync.Once
}

func newTeam(n int, do func(i int)) *team {
	t := &team{do: do, start: make([]chan struct{}, n-1)}
	for i := range t.start {
		t.start[i] = make(chan struct{})
		go t.worker(i + 1)
	}
	return t
}

func (t *team) worker(i int) {
	for range t.start[i-1] {
		t.do(i)
		t.done.Done()
	}
}

// run calls do(i) for every band and returns when all have returned.
func (t *team) run() {
	t.done.Add(len(t.start))
	for _, c := range t.start {
		c <- struct{}{}
	}
	t.do(0)
	t.done.Wait()
}

func (t *team) stop() {
	t.once.Do(func() {
		for _, c := range t.start {
			close(c)
		}
	})
}
