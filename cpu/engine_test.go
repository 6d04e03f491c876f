package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"grayscott/sim"
)

// forEachISA runs f once per kernel variant built in, skipping (by name)
// those this CPU lacks.
func forEachISA(t *testing.T, f func(t *testing.T, isa string)) {
	names, has := ISAs()
	for i, isa := range names {
		t.Run(isa, func(t *testing.T) {
			if !has[i] {
				t.Skipf("this CPU does not support the %s kernel", isa)
			}
			f(t, isa)
		})
	}
}

func params(rows, cols int, b sim.Boundary) sim.Params {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Boundary = rows, cols, b
	return p
}

// randomState fills U and V with values in [0, 1], with some exact zeros,
// ones and equal neighbours, so that edges carry values from the start.
func randomState(rows, cols int, seed uint64) *sim.State {
	rng := rand.New(rand.NewPCG(seed, 1))
	s := &sim.State{Rows: rows, Cols: cols, U: make([]float32, rows*cols), V: make([]float32, rows*cols)}
	pick := func(prev float32) float32 {
		switch rng.IntN(8) {
		case 0:
			return 0
		case 1:
			return 1
		case 2:
			return prev
		}
		return rng.Float32()
	}
	var pu, pv float32
	for i := range s.U {
		pu, pv = pick(pu), pick(pv)
		s.U[i], s.V[i] = pu, pv
	}
	return s
}

// diff returns a description of the first cells where got and want differ
// in bits (NaN matches any NaN when nanOK), or "".
func diff(got, want []float32, cols int, nanOK bool) string {
	var msgs []string
	for i := range want {
		g, w := got[i], want[i]
		if math.Float32bits(g) == math.Float32bits(w) || nanOK && g != g && w != w {
			continue
		}
		msgs = append(msgs, fmt.Sprintf("(%d,%d): %g (%#08x), want %g (%#08x)",
			i/cols, i%cols, g, math.Float32bits(g), w, math.Float32bits(w)))
		if len(msgs) == 3 {
			msgs = append(msgs, "...")
			break
		}
	}
	return strings.Join(msgs, "; ")
}

// check compares e's U and V with ref's, bit for bit.
func check(t *testing.T, e *Engine, ref *sim.Reference, nanOK bool) {
	t.Helper()
	want := ref.State()
	got := &sim.State{Rows: want.Rows, Cols: want.Cols, U: make([]float32, len(want.U)), V: make([]float32, len(want.V))}
	if err := e.ReadU(got.U); err != nil {
		t.Fatal(err)
	}
	if err := e.ReadV(got.V); err != nil {
		t.Fatal(err)
	}
	if d := diff(got.U, want.U, want.Cols, nanOK); d != "" {
		t.Errorf("U differs from sim.Reference after %d steps: %s", e.Steps(), d)
	}
	if d := diff(got.V, want.V, want.Cols, nanOK); d != "" {
		t.Errorf("V differs from sim.Reference after %d steps: %s", e.Steps(), d)
	}
}

func newEngine(t testing.TB, p sim.Params, init *sim.State, opts Options) *Engine {
	t.Helper()
	return newEngineFused(t, p, init, opts, 0)
}

// newEngineFused makes an engine that fuses up to fuse steps per pass
// (0 = New's choice).
func newEngineFused(t testing.TB, p sim.Params, init *sim.State, opts Options, fuse int) *Engine {
	t.Helper()
	e, err := newFused(p, init, opts, fuse)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// sizes: the brief's, plus 9×50, whose rows take every vector path of
// every variant (blocks, single vectors, an overlapping last vector).
var sizes = [][2]int{{1, 1}, {1, 7}, {7, 1}, {2, 2}, {3, 5}, {17, 33}, {33, 45}, {64, 64}, {100, 37}, {9, 50}}

func TestMatchesReference(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa string) {
		for b := sim.Zero; b <= sim.Neumann; b++ {
			for _, sz := range sizes {
				rows, cols := sz[0], sz[1]
				p := params(rows, cols, b)
				for seed, init := range []*sim.State{randomState(rows, cols, 1), sim.InitialState(rows, cols)} {
					// Enough steps for the seed's pattern to reach every edge.
					steps := max(rows, cols)/2 + 5
					ref := sim.NewReference(p, init)
					ref.Step(steps)
					for _, run := range [][2]int{{1, 1}, {2, 1}, {3, 1}, {rows + 2, 1}, {1, 4}, {2, 2}, {3, 5}, {rows + 2, 3}} {
						threads, fuse := run[0], run[1]
						t.Run(fmt.Sprintf("%v/%dx%d/init%d/threads%d/fuse%d", b, rows, cols, seed, threads, fuse), func(t *testing.T) {
							e := newEngineFused(t, p, init, Options{Threads: threads, ISA: isa}, fuse)
							if e.ISA() != isa || e.Threads() != min(threads, rows) {
								t.Fatalf("ISA %q, %d threads; want %q, %d", e.ISA(), e.Threads(), isa, min(threads, rows))
							}
							// In two calls, so that Step's own loop is checked too.
							if err := e.Step(1); err != nil {
								t.Fatal(err)
							}
							if err := e.Step(steps - 1); err != nil {
								t.Fatal(err)
							}
							if e.Steps() != int64(steps) {
								t.Errorf("Steps() = %d after %d steps", e.Steps(), steps)
							}
							check(t, e, ref, false)
						})
					}
				}
			}
		}
	})
}

// TestSignedZeros checks kernel.c's claim that leaving out the centre term
// and the initial "0 +" of the Laplacian changes no bit: states full of +0,
// −0 and subnormals, with rates that are themselves ±0, compared after one,
// two and three steps (before the zeros wash out).
func TestSignedZeros(t *testing.T) {
	tiny := math.Float32frombits(1) // the smallest subnormal
	vals := []float32{0, float32(math.Copysign(0, -1)), tiny, -tiny, 1, 0.5}
	negZero := float32(math.Copysign(0, -1))
	rateSets := []func(*sim.Params){
		func(p *sim.Params) {},
		func(p *sim.Params) { p.Feed, p.Kill = 0, 0 },
		func(p *sim.Params) { p.Feed, p.Kill, p.DiffU, p.DiffV = negZero, negZero, negZero, negZero },
		func(p *sim.Params) { p.Feed, p.DiffU = negZero, 0 },
	}
	forEachISA(t, func(t *testing.T, isa string) {
		for b := sim.Zero; b <= sim.Neumann; b++ {
			for ri, set := range rateSets {
				for seed := range uint64(4) {
					p := params(9, 21, b)
					set(&p)
					rng := rand.New(rand.NewPCG(seed, 2))
					init := sim.InitialState(p.Rows, p.Cols)
					for i := range init.U {
						init.U[i], init.V[i] = vals[rng.IntN(len(vals))], vals[rng.IntN(len(vals))]
					}
					e := newEngine(t, p, init, Options{Threads: 2, ISA: isa})
					ref := sim.NewReference(p, init)
					for range 3 {
						ref.Step(1)
						if err := e.Step(1); err != nil {
							t.Fatal(err)
						}
						t.Run(fmt.Sprintf("%v/rates%d/seed%d/step%d", b, ri, seed, e.Steps()), func(t *testing.T) {
							check(t, e, ref, false)
						})
					}
				}
			}
		}
	})
}

// wideState is randomState with the magnitudes of some values spread evenly
// over the exponents, down to subnormal ones, and random signs: in two rows
// of three, columns 0-299 (so that wide rows have chunks without them). The
// kernels' safe mode meets them, the fast mode the others.
func wideState(rows, cols int, seed uint64) *sim.State {
	s := randomState(rows, cols, seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	for r := range rows {
		if r%3 == 0 {
			continue
		}
		for c := range cols {
			if c >= 300 {
				break
			}
			for _, f := range [][]float32{s.U, s.V} {
				x := float32(math.Ldexp(1+rng.Float64(), -rng.IntN(150)))
				if rng.IntN(2) == 0 {
					x = -x
				}
				f[r*cols+c] = x
			}
		}
	}
	return s
}

// TestTinyNumbers: states full of tiny and subnormal numbers match the
// reference bit for bit, and the kernels flag the chunks of rows that hold
// tiny numbers (which decides their mode).
func TestTinyNumbers(t *testing.T) {
	forEachISA(t, func(t *testing.T, isa string) {
		for b := sim.Zero; b <= sim.Neumann; b++ {
			for _, sz := range [][2]int{{9, 50}, {33, 45}, {17, 5}, {2, 40}, {5, 600}, {6, 777}, {4, 1100}} {
				for _, run := range [][2]int{{1, 1}, {2, 3}} {
					p := params(sz[0], sz[1], b)
					init := wideState(p.Rows, p.Cols, 7)
					name := fmt.Sprintf("%v/%dx%d/threads%d/fuse%d", b, p.Rows, p.Cols, run[0], run[1])
					t.Run(name, func(t *testing.T) {
						e := newEngineFused(t, p, init, Options{Threads: run[0], ISA: isa}, run[1])
						ref := sim.NewReference(p, init)
						for range 4 {
							e.Step(5)
							ref.Step(5)
							check(t, e, ref, false)
							if isa == "generic" { // it runs without flags
								continue
							}
							want := make([]uint8, e.l.chunks)
							for r := range p.Rows {
								e.l.tinyChunks(want, e.u[e.cur], e.vf[e.cur], r)
								for c, got := range e.tinyRow(r) {
									// A chunk may be flagged for its left neighbour's tiny numbers (the last
									// vector of a row overlaps it), never missed.
									if got < want[c] || got > want[c] && (c == 0 || want[c-1] == 0) {
										t.Fatalf("after %d steps, row %d chunk %d flagged %d, holds tiny numbers: %d",
											e.Steps(), r, c, got, want[c])
									}
								}
							}
						}
					})
				}
			}
		}
	})
}

// TestNonFinite: with infinities and NaNs in the state, every result that
// the reference computes as a number is equal bit for bit, and NaNs are NaN.
func TestNonFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	specials := []float32{inf, -inf, float32(math.NaN())}
	forEachISA(t, func(t *testing.T, isa string) {
		for b := sim.Zero; b <= sim.Neumann; b++ {
			p := params(12, 19, b)
			init := randomState(p.Rows, p.Cols, 3)
			rng := rand.New(rand.NewPCG(4, 4))
			for range 6 {
				init.U[rng.IntN(len(init.U))] = specials[rng.IntN(3)]
				init.V[rng.IntN(len(init.V))] = specials[rng.IntN(3)]
			}
			e := newEngine(t, p, init, Options{Threads: 2, ISA: isa})
			ref := sim.NewReference(p, init)
			for range 3 {
				ref.Step(1)
				if err := e.Step(1); err != nil {
					t.Fatal(err)
				}
				check(t, e, ref, true)
			}
		}
	})
}

// TestStateRatesAndSteps: SetState, SetRates and Steps, checked against a
// reference that is given the same changes.
func TestStateRatesAndSteps(t *testing.T) {
	p := params(24, 31, sim.Periodic)
	e := newEngine(t, p, sim.InitialState(p.Rows, p.Cols), Options{Threads: 2})
	if err := e.Step(7); err != nil || e.Steps() != 7 {
		t.Fatalf("after Step(7): Steps() = %d, err %v", e.Steps(), err)
	}
	if err := e.Step(0); err != nil || e.Steps() != 7 {
		t.Fatalf("after Step(0): Steps() = %d, err %v", e.Steps(), err)
	}
	st := randomState(p.Rows, p.Cols, 9)
	if err := e.SetState(st, 1000); err != nil || e.Steps() != 1000 {
		t.Fatalf("after SetState(…, 1000): Steps() = %d, err %v", e.Steps(), err)
	}
	st.U[0] = 42 // the engine must have copied st
	st.U[0] = randomState(p.Rows, p.Cols, 9).U[0]
	ref := sim.NewReference(p, st)
	e.Step(5)
	ref.Step(5)
	check(t, e, ref, false)

	if err := e.SetRates(0.03, 0.06); err != nil {
		t.Fatal(err)
	}
	if got := e.Params(); got.Feed != 0.03 || got.Kill != 0.06 {
		t.Fatalf("Params() after SetRates = F %g k %g", got.Feed, got.Kill)
	}
	p2 := p
	p2.Feed, p2.Kill = 0.03, 0.06
	ref = sim.NewReference(p2, ref.State())
	e.Step(6)
	ref.Step(6)
	check(t, e, ref, false)
	if e.Steps() != 1011 {
		t.Errorf("Steps() = %d, want 1011", e.Steps())
	}

	if err := e.SetRates(2, 0.06); err == nil || !strings.Contains(err.Error(), "cpu: ") || !strings.Contains(err.Error(), "feedrate") {
		t.Errorf("SetRates(2, …) error = %v, want a cpu: feedrate error", err)
	}
	if e.Params() != p2 {
		t.Errorf("a failed SetRates changed the parameters to %+v", e.Params())
	}
	if err := e.SetState(sim.InitialState(3, 3), 0); err == nil {
		t.Error("SetState accepted a 3×3 state for a 24×31 grid")
	}
	if err := e.SetState(st, -1); err == nil {
		t.Error("SetState accepted step -1")
	}
	if err := e.Step(-1); err == nil {
		t.Error("Step(-1) succeeded")
	}
	if err := e.ReadV(make([]float32, p.Cells()-1)); err == nil {
		t.Error("ReadV accepted a short slice")
	}
	e.Close()
	e.Close()
	if err := e.Step(1); err == nil {
		t.Error("Step after Close succeeded")
	}
}

func TestNewErrors(t *testing.T) {
	good := params(8, 8, sim.Zero)
	bad := good
	bad.DeltaT = 0
	cases := []struct {
		p    sim.Params
		init *sim.State
		opts Options
		want string
	}{
		{bad, sim.InitialState(8, 8), Options{}, "deltat"},
		{good, sim.InitialState(8, 9), Options{}, "8×9"},
		{good, nil, Options{}, "nil state"},
		{good, sim.InitialState(8, 8), Options{Threads: -1}, "-1 threads"},
		{good, sim.InitialState(8, 8), Options{ISA: "mmx"}, `unknown ISA "mmx"`},
	}
	for _, c := range cases {
		e, err := New(c.p, c.init, c.opts)
		if err == nil {
			e.Close()
			t.Errorf("New(%+v) succeeded, want an error about %s", c.opts, c.want)
			continue
		}
		if !strings.HasPrefix(err.Error(), "cpu: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New error %q, want cpu: … %s", err, c.want)
		}
	}
	e := newEngine(t, good, sim.InitialState(8, 8), Options{})
	if names, _ := ISAs(); e.ISA() != bestISA() || names[len(names)-1] != "generic" {
		t.Errorf("default ISA %q, variants %v", e.ISA(), names)
	}
}

func bestISA() string {
	names, has := ISAs()
	for i := range names {
		if has[i] {
			return names[i]
		}
	}
	return ""
}

func TestPaint(t *testing.T) {
	discs := [][3]float32{
		{5, 7, 3}, {0, 0, 2.5}, {11.5, 16.5, 0}, {-3, 4, 4.2}, {6, 30, 5}, {6.3, 8.9, 1.7},
		{0, 0, 100}, {1e30, 0, 1}, {5, 5, 0.49},
	}
	for _, d := range discs {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			row, col, radius := d[0], d[1], d[2]
			p := params(12, 17, sim.Periodic)
			init := randomState(p.Rows, p.Cols, 5)
			e := newEngine(t, p, init, Options{Threads: 2})
			if err := e.Paint(row, col, radius); err != nil {
				t.Fatal(err)
			}
			// paint.comp, cell by cell over the whole grid.
			want := init.Clone()
			for r := range p.Rows {
				for c := range p.Cols {
					dx, dy := float32(c)+0.5-col, float32(r)+0.5-row
					if !(float32(dx*dx)+float32(dy*dy) > radius*radius) {
						want.U[r*p.Cols+c], want.V[r*p.Cols+c] = 0, 1
					}
				}
			}
			ref := sim.NewReference(p, want)
			check(t, e, ref, false)
			// The painted edges must reach the neighbours across the wrap.
			e.Step(3)
			ref.Step(3)
			check(t, e, ref, false)
		})
	}
	e := newEngine(t, params(4, 4, sim.Zero), sim.InitialState(4, 4), Options{})
	for _, d := range [][3]float32{{float32(math.NaN()), 0, 1}, {0, float32(math.Inf(1)), 1}, {0, 0, -1}} {
		if err := e.Paint(d[0], d[1], d[2]); err == nil {
			t.Errorf("Paint%v succeeded", d)
		}
	}
}

// TestReferenceUnfused checks the oracle itself: sim.Reference must round
// every operation, as the model says. Go fuses x*y+z into one FMA on arm64
// and with GOAMD64=v3 unless each product is converted with float32(), and
// sim/reference.go does not convert: there, every bit-for-bit test here
// fails because the oracle is off, not the engine.
func TestReferenceUnfused(t *testing.T) {
	const n = 16
	p := params(n, n, sim.Periodic)
	init := randomState(n, n, 11)
	ref := sim.NewReference(p, init)
	ref.Step(1)
	got := ref.State()
	for i := range init.U {
		r, c := i/n, i%n
		u, v := init.U[i], init.V[i]
		var lu, lv float32
		for dr := -1; dr <= 1; dr++ {
			for dc := -1; dc <= 1; dc++ {
				w, j := sim.Weights[dr+1][dc+1], (r+dr+n)%n*n+(c+dc+n)%n
				lu += float32(w * (init.U[j] - u))
				lv += float32(w * (init.V[j] - v))
			}
		}
		uv2 := float32(float32(u*v) * v)
		du := float32(p.DiffU*lu) - uv2 + float32(p.Feed*(1-u))
		dv := float32(p.DiffV*lv) + uv2 - float32((p.Feed+p.Kill)*v)
		wantU, wantV := u+float32(du*p.DeltaT), v+float32(dv*p.DeltaT)
		if got.U[i] != wantU || got.V[i] != wantV {
			t.Fatalf("cell (%d,%d): sim.Reference gives u=%g v=%g, the unfused model u=%g v=%g: this build "+
				"(GOARCH=%s) fuses multiply-adds in sim/reference.go, as Go does on arm64 and with GOAMD64=v3; "+
				"converting each product there with float32() makes it the oracle again",
				r, c, got.U[i], got.V[i], wantU, wantV, runtime.GOARCH)
		}
	}
}
