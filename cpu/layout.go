package cpu

import (
	"unsafe"

	"grayscott/sim"
)

// layout is the padded storage of a field: element (r, c) lives at index
// off + r*stride + c, for c in [-1, cols]. Columns -1 and cols are a halo
// that each step refreshes after writing a row (per the boundary), so that
// the stencil reads neighbours without edge tests. Element (0, 0) is 64-byte
// aligned and stride is a multiple of 16 floats: every row starts on a
// cache line, which is also an AVX-512 vector.
type layout struct {
	rows, cols, stride int
	chunks             int // per row, of kernel.h's GS_CHUNK columns
	boundary           sim.Boundary
}

// chunk is kernel.h's GS_CHUNK: the columns that share a tiny flag.
const chunk = 256

// off is the index of element (0, 0); index off-1 is its left halo.
const off = 16

func newLayout(p sim.Params) layout {
	return layout{rows: p.Rows, cols: p.Cols, stride: (p.Cols + 2 + 15) &^ 15,
		chunks: (p.Cols + chunk - 1) / chunk, boundary: p.Boundary}
}

// alloc returns a zeroed field. Go does not move heap memory, so aligning
// the slice once is enough.
func (l layout) alloc() []float32 {
	n := off + l.rows*l.stride
	f := make([]float32, n+16)
	addr := uintptr(unsafe.Pointer(&f[off]))
	skip := int((64 - addr%64) % 64 / 4)
	return f[skip : skip+n]
}

// at returns the index of element (r, c).
func (l layout) at(r, c int) int { return off + r*l.stride + c }

// halo refreshes columns -1 and cols of row r of f (kernel.c has its twin).
func (l layout) halo(f []float32, r int) {
	i := l.at(r, 0)
	row := f[i-1 : i+l.cols+1] // row[j+1] is column j
	switch l.boundary {
	case sim.Periodic:
		row[0], row[l.cols+1] = row[l.cols], row[1]
	case sim.Neumann:
		row[0], row[l.cols+1] = row[1], row[l.cols]
	default:
		row[0], row[l.cols+1] = 0, 0
	}
}

// load copies a row-major rows×cols field into f and refreshes its halo.
func (l layout) load(f, src []float32) {
	for r := range l.rows {
		copy(f[l.at(r, 0):l.at(r, l.cols)], src[r*l.cols:])
		l.halo(f, r)
	}
}

// store copies f's interior into dst, row-major.
func (l layout) store(dst, f []float32) {
	for r := range l.rows {
		copy(dst[r*l.cols:(r+1)*l.cols], f[l.at(r, 0):])
	}
}

// neighbour returns the index of column 0 of the row that row r reads as
// row r±1 = nr, or -1 for the zero row (Zero boundary, outside the grid).
func (l layout) neighbour(nr int) int {
	switch {
	case nr >= 0 && nr < l.rows:
	case l.boundary == sim.Periodic:
		nr = (nr + l.rows) % l.rows
	case l.boundary == sim.Neumann:
		nr = min(max(nr, 0), l.rows-1)
	default:
		return -1
	}
	return l.at(nr, 0)
}
