package sim

import (
	"math"
	"testing"
)

// The tests in this file anchor the model in numbers worked out by hand
// from its definition, not in output of this code:
//
//	lap(f) = Σ w·(f_n − f) over the 8 neighbours, w = .25 diagonal, .5 edge
//	du = Du·lap(u) − u·v² + F·(1 − u),  dv = Dv·lap(v) + u·v² − (F + k)·v
//	u' = u + du·dt,  v' = v + dv·dt
//
// with the course's Du = 0.1, Dv = 0.05, F = 0.014, k = 0.054, dt = 1, so
// F + k = 0.068. The sums of the weights: all 8 neighbours 3, the 3 of a
// side row 1, a side row and the 2 outer cells beside it (a corner's 5
// outside neighbours) 1.75.

// deltaCase is one 3×3 grid with u = 1 everywhere and v = 1 at one cell,
// 0 elsewhere, stepped once; want holds (row, col, u', v') worked out by hand.
type deltaCase struct {
	name     string
	b        Boundary
	at       [2]int // the cell where v = 1
	want     [][4]float64
	whyWhere string
}

var deltaCases = []deltaCase{
	{
		name: "zero, delta at the centre", b: Zero, at: [2]int{1, 1},
		want: [][4]float64{
			// Centre: lap u = 0 (all u are 1); lap v = 3·(0 − 1) = −3;
			// uv² = 1; du = 0 − 1 + F·0 = −1 → u' = 0;
			// dv = 0.05·(−3) + 1 − 0.068 = 0.782 → v' = 1.782.
			{1, 1, 0, 1.782},
			// Top middle: the 3 cells above read 0: lap u = 1·(0 − 1) = −1;
			// lap v = 0.5·(1 − 0) (the centre below) = 0.5; uv² = 0;
			// du = 0.1·(−1) = −0.1 → u' = 0.9; dv = 0.05·0.5 = 0.025.
			{0, 1, 0.9, 0.025},
			// Left middle, likewise: u' = 0.9, v' = 0.025.
			{1, 0, 0.9, 0.025},
			// Corner: 5 outside cells read 0: lap u = −1.75 → u' = 0.825;
			// the centre is diagonal: lap v = 0.25 → v' = 0.0125.
			{0, 0, 0.825, 0.0125},
			{2, 2, 0.825, 0.0125},
		},
	},
	{
		name: "periodic, delta at the centre", b: Periodic, at: [2]int{1, 1},
		want: [][4]float64{
			// On a 3×3 torus every other cell is a neighbour once: the
			// centre as before; every u stays 1 elsewhere (lap u = 0).
			{1, 1, 0, 1.782},
			{0, 1, 1, 0.025},  // centre below: 0.05·0.5
			{0, 0, 1, 0.0125}, // centre diagonal: 0.05·0.25
			{2, 2, 1, 0.0125},
		},
	},
	{
		name: "periodic, delta at a corner", b: Periodic, at: [2]int{0, 0},
		want: [][4]float64{
			{0, 0, 0, 1.782},
			// (2, 2) reads (0, 0) across both edges, as its diagonal.
			{2, 2, 1, 0.0125},
			// (0, 2) reads it across the right edge, beside it: 0.05·0.5.
			{0, 2, 1, 0.025},
		},
	},
	{
		name: "neumann, delta at a corner", b: Neumann, at: [2]int{0, 0},
		want: [][4]float64{
			// The corner reads itself for 3 outside cells (v − v = 0);
			// (−1, 1) reads (0, 1) and (1, −1) reads (1, 0): v = 0 there;
			// lap v = −(0.25 + 0.25) − (0.5 + 0.5 + 0.25) = −1.75;
			// dv = 0.05·(−1.75) + 1 − 0.068 = 0.8445 → v' = 1.8445.
			{0, 0, 0, 1.8445},
			// (2, 2) does not reach (0, 0): nothing changes.
			{2, 2, 1, 0},
			// (0, 1) reads (0, 0) beside it and, across the top edge,
			// (−1, 0) → (0, 0) diagonally: lap v = 0.5 + 0.25 = 0.75 →
			// v' = 0.0375.
			{0, 1, 1, 0.0375},
		},
	},
}

// TestStepOfADeltaByHand checks one step of a delta of v against values
// worked out by hand for each boundary (see deltaCases). Stencil weights,
// Du and Dv, F and k, and each boundary's rule all show in these numbers.
func TestStepOfADeltaByHand(t *testing.T) {
	for _, c := range deltaCases {
		p := Defaults()
		p.Rows, p.Cols, p.Boundary = 3, 3, c.b
		s := &State{Rows: 3, Cols: 3, U: make([]float32, 9), V: make([]float32, 9)}
		for i := range s.U {
			s.U[i] = 1
		}
		s.V[c.at[0]*3+c.at[1]] = 1
		ref := NewReference(p, s)
		ref.Step(1)
		got := ref.State()
		for _, w := range c.want {
			i := int(w[0])*3 + int(w[1])
			// float32 arithmetic: a few roundings of values below 2.
			if math.Abs(float64(got.U[i])-w[2]) > 1e-6 || math.Abs(float64(got.V[i])-w[3]) > 1e-6 {
				t.Errorf("%s: cell (%v, %v): u' = %v, v' = %v; by hand %v, %v", c.name, w[0], w[1], got.U[i], got.V[i], w[2], w[3])
			}
		}
	}
}

// TestUniformSteadyStates: a uniform field has a zero Laplacian on a
// torus or with Neumann edges, so only the reaction acts. u = 1, v = 0
// makes every term 0 exactly, forever. With F = k = 0.05 the reaction has
// two more fixed points: from u·v² = F(1 − u) and u·v² = (F + k)·v,
// u·v = F + k = 0.1 and (F + k)·v² − F·v + F(F + k) = 0, so
// v = (0.05 ± √0.0005)/0.2 = 0.361803…, 0.138196…, u = 0.1/v = 0.276393…,
// 0.723606…: one step moves them by rounding only.
func TestUniformSteadyStates(t *testing.T) {
	for _, b := range []Boundary{Periodic, Neumann} {
		p := Defaults()
		p.Rows, p.Cols, p.Boundary = 7, 9, b
		s := &State{Rows: 7, Cols: 9, U: make([]float32, 63), V: make([]float32, 63)}
		for i := range s.U {
			s.U[i] = 1
		}
		ref := NewReference(p, s)
		ref.Step(500)
		for i := range s.U {
			if ref.State().U[i] != 1 || ref.State().V[i] != 0 {
				t.Fatalf("%v: u = 1, v = 0 moved to %v, %v at cell %d", b, ref.State().U[i], ref.State().V[i], i)
			}
		}
		p.Feed, p.Kill = 0.05, 0.05
		root := math.Sqrt(0.0005)
		for _, v := range []float64{(0.05 + root) / 0.2, (0.05 - root) / 0.2} {
			u := 0.1 / v
			for i := range s.U {
				s.U[i], s.V[i] = float32(u), float32(v)
			}
			ref := NewReference(p, s)
			ref.Step(1)
			for i := range s.U {
				if du, dv := math.Abs(float64(ref.State().U[i])-u), math.Abs(float64(ref.State().V[i])-v); du > 1e-6 || dv > 1e-6 {
					t.Fatalf("%v: the fixed point u = %.6f, v = %.6f moved by %g, %g in one step", b, u, v, du, dv)
				}
			}
		}
	}
}

// TestSymmetryIsKept: the stencil is symmetric, so a state symmetric
// under left-right and up-down mirroring stays so on a torus. Not bit for
// bit: the sum runs in a fixed order (nw, n, ne, w, e, sw, s, se), so a
// mirrored cell adds the same terms in another order and may round its
// last bit differently (1 ulp was seen); within 1e-5 after 600 steps, while
// a weight put on the wrong side breaks it at once.
func TestSymmetryIsKept(t *testing.T) {
	const n = 33
	p := Defaults()
	p.Rows, p.Cols, p.Boundary = n, n, Periodic
	s := &State{Rows: n, Cols: n, U: make([]float32, n*n), V: make([]float32, n*n)}
	for i := range s.U {
		s.U[i] = 1
	}
	for r := 13; r <= 19; r++ {
		for c := 12; c <= 20; c++ {
			s.U[r*n+c], s.V[r*n+c] = 0.5, 0.25
		}
	}
	ref := NewReference(p, s)
	ref.Step(600)
	v := ref.State().V
	var moved float32
	for r := range n {
		for c := range n {
			moved = max(moved, v[r*n+c])
			lr, ud := v[r*n+n-1-c], v[(n-1-r)*n+c]
			if math.Abs(float64(v[r*n+c]-lr)) > 1e-5 || math.Abs(float64(v[r*n+c]-ud)) > 1e-5 {
				t.Fatalf("cell (%d, %d) = %v; mirrored left-right %v, up-down %v", r, c, v[r*n+c], lr, ud)
			}
		}
	}
	if moved < 0.1 {
		t.Fatalf("the pattern died out (max v %v): symmetry of nothing proves nothing", moved)
	}
}

// TestSeedEmptyBounds: the course's seed rows are max(7R/16−4, 0) to
// max(8R/16−4, 0) (exclusive), columns 7C/16 to 8C/16. By hand: R = 9 gives
// rows 0 to 0 (empty), R = 10 rows 0 to 1; C = 1 gives columns 0 to 0
// (empty), C = 2 columns 0 to 1.
func TestSeedEmptyBounds(t *testing.T) {
	for _, c := range []struct {
		rows, cols int
		empty      bool
	}{{9, 64, true}, {10, 64, false}, {64, 1, true}, {64, 2, false}, {1, 1, true}, {512, 512, false}} {
		if got := SeedEmpty(c.rows, c.cols); got != c.empty {
			t.Errorf("SeedEmpty(%d, %d) = %v, want %v", c.rows, c.cols, got, c.empty)
		}
	}
}
