package sim

// State holds the two species on a Rows×Cols grid in row-major order.
type State struct {
	Rows, Cols int
	U, V       []float32
}

// SeedBounds returns the course's seed rectangle: rows [r0,r1) × cols [c0,c1)
// with r0 = max(7R/16−4, 0), r1 = max(8R/16−4, 0), c0 = 7C/16, c1 = 8C/16
// (integer division).
func SeedBounds(rows, cols int) (r0, r1, c0, c1 int) {
	return max(7*rows/16-4, 0), max(8*rows/16-4, 0), 7 * cols / 16, 8 * cols / 16
}

// SeedEmpty reports whether the course's seed rectangle holds no cell (grids
// of fewer than 10 rows or 2 columns): V then stays 0 everywhere.
func SeedEmpty(rows, cols int) bool {
	r0, r1, c0, c1 := SeedBounds(rows, cols)
	return r1 <= r0 || c1 <= c0
}

// InitialState returns the course's initial state: u=1, v=0 everywhere
// except in the seed rectangle (SeedBounds), where u=0, v=1.
func InitialState(rows, cols int) *State {
	s := &State{Rows: rows, Cols: cols, U: make([]float32, rows*cols), V: make([]float32, rows*cols)}
	for i := range s.U {
		s.U[i] = 1
	}
	r0, r1, c0, c1 := SeedBounds(rows, cols)
	for r := r0; r < r1; r++ {
		for c := c0; c < c1; c++ {
			s.U[r*cols+c] = 0
			s.V[r*cols+c] = 1
		}
	}
	return s
}

// Clone returns a deep copy.
func (s *State) Clone() *State {
	return &State{Rows: s.Rows, Cols: s.Cols,
		U: append([]float32(nil), s.U...), V: append([]float32(nil), s.V...)}
}
