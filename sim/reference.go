package sim

// Stencil weights of the course's 3×3 Laplacian, [row offset+1][col offset+1].
var Weights = [3][3]float32{
	{0.25, 0.5, 0.25},
	{0.5, 0, 0.5},
	{0.25, 0.5, 0.25},
}

// Reference is the plain CPU stepper: the oracle that the engines' results
// are compared with. It evaluates the model in float32, each operation
// rounded on its own (no fused multiply-add), in the order the engines
// follow (shaders/react.glsl, cpu/kernel.c). It is not safe for concurrent
// use.
type Reference struct {
	p        Params
	cur, nxt *State
}

// NewReference starts a reference stepper from a copy of s.
func NewReference(p Params, s *State) *Reference {
	return &Reference{p: p, cur: s.Clone(), nxt: s.Clone()}
}

// State returns the current state. It is owned by r and changes at the next Step.
func (r *Reference) State() *State { return r.cur }

// Step advances n time steps.
func (r *Reference) Step(n int) {
	for range n {
		stepInto(r.p, r.cur, r.nxt)
		r.cur, r.nxt = r.nxt, r.cur
	}
}

// neighbour returns the index of cell (row, col) under boundary b, or -1
// when it lies outside a zero-boundary grid.
func neighbour(b Boundary, rows, cols, row, col int) int {
	if row >= 0 && row < rows && col >= 0 && col < cols {
		return row*cols + col
	}
	switch b {
	case Periodic:
		row = (row + rows) % rows
		col = (col + cols) % cols
	case Neumann:
		row = min(max(row, 0), rows-1)
		col = min(max(col, 0), cols-1)
	default:
		return -1
	}
	return row*cols + col
}

func stepInto(p Params, in, out *State) {
	rows, cols := in.Rows, in.Cols
	for row := range rows {
		for col := range cols {
			i := row*cols + col
			u, v := in.U[i], in.V[i]
			var lapU, lapV float32
			for dr := -1; dr <= 1; dr++ {
				for dc := -1; dc <= 1; dc++ {
					w := Weights[dr+1][dc+1]
					var un, vn float32
					if j := neighbour(p.Boundary, rows, cols, row+dr, col+dc); j >= 0 {
						un, vn = in.U[j], in.V[j]
					}
					// float32(): each product rounded on its own. Go
					// may otherwise fuse x*y+z into one FMA (arm64,
					// GOAMD64=v3), and the oracle would round differently.
					lapU += float32(w * (un - u))
					lapV += float32(w * (vn - v))
				}
			}
			uv2 := float32(float32(u*v) * v)
			du := float32(p.DiffU*lapU) - uv2 + float32(p.Feed*(1-u))
			dv := float32(p.DiffV*lapV) + uv2 - float32((p.Feed+p.Kill)*v)
			out.U[i] = u + float32(du*p.DeltaT)
			out.V[i] = v + float32(dv*p.DeltaT)
		}
	}
}
