package cpu

import (
	"math"

	"grayscott/sim"
)

// rates are the model's coefficients in the form the kernels use them.
type rates struct{ du, dv, feed, fk, dt float32 }

func newRates(p sim.Params) rates {
	// F+k rounded to float32 once: the reference computes the same float32
	// sum at every cell.
	return rates{du: p.DiffU, dv: p.DiffV, feed: p.Feed, fk: p.Feed + p.Kill, dt: p.DeltaT}
}

// band is one pass's work on rows [r0, r1): advance them by steps steps,
// reading su, sv and writing du, dv (all in layout l), refreshing the
// written rows' halos. zero is a row of zeros for the Zero boundary and
// ring the band's scratch for the steps in flight (see kernel.c's wave),
// both laid out like row 0 of a field. sf[i*l.chunks+c] says whether chunk
// c of source row i holds tiny numbers (see tinyChunks); the C kernels set
// df for the rows they write, using scratch (2·l.chunks bytes).
type band struct {
	l               layout
	su, sv, du, dv  []float32
	zero, ring      []float32
	sf, df, scratch []uint8
	r               rates
	steps           int
}

// tinyBits is kernel.h's GS_TINY_BITS: the bits of 2^-34. Chunks near one
// holding a nonzero number below it in magnitude ("tiny") are computed in
// the C kernels' safe mode, which no subnormal number can slow down (see
// kernel.c's mark and pass). The threshold only affects speed: both modes
// give the same bits.
const tinyBits = 0x2e800000

// tinyChunks sets flags[c] to whether chunk c of row r of u or v holds tiny
// numbers.
func (l layout) tinyChunks(flags []uint8, u, v []float32, r int) {
	i := l.at(r, 0)
	for c := range l.chunks {
		flags[c] = 0
		lo, hi := i+c*chunk, i+min((c+1)*chunk, l.cols)
		for _, f := range [2][]float32{u[lo:hi], v[lo:hi]} {
			for _, x := range f {
				if b := math.Float32bits(x) & 0x7fffffff; b != 0 && b < tinyBits {
					flags[c] = 1
				}
			}
		}
	}
}

// variant is one implementation of the step kernel.
type variant struct {
	name     string
	has      bool // whether this CPU runs it
	maxSteps int  // the most steps one pass may fuse
	run      func(b *band, r0, r1 int)
}

// variants lists the kernels built into this binary, fastest first; the
// generic pure-Go one is always last and always there.
var variants = append(cVariants(), variant{name: "generic", has: true, maxSteps: 1, run: (*band).generic})

// generic is the pure-Go kernel: kernel.c's loop, with an explicit float32
// conversion on each product, which forbids Go from fusing it into an FMA
// (as it does on arm64 and with GOAMD64=v3). It drops the same two terms as
// kernel.c (see the proof there), and runs one step per pass.
func (b *band) generic(r0, r1 int) {
	l, r := b.l, b.r
	row := func(f []float32, i int) []float32 { // column -1 .. cols
		if i < 0 {
			return b.zero[off-1 : off+l.cols+1]
		}
		return f[i-1 : i+l.cols+1]
	}
	for i := r0; i < r1; i++ {
		at, up, dn := l.at(i, 0), l.neighbour(i-1), l.neighbour(i+1)
		un, uc, us := row(b.su, up), row(b.su, at), row(b.su, dn)
		vn, vc, vs := row(b.sv, up), row(b.sv, at), row(b.sv, dn)
		ou, ov := b.du[at:at+l.cols], b.dv[at:at+l.cols]
		for c := range ou {
			u, v := uc[c+1], vc[c+1]
			lu := float32(0.25 * (un[c] - u))
			lv := float32(0.25 * (vn[c] - v))
			lu += float32(0.5 * (un[c+1] - u))
			lv += float32(0.5 * (vn[c+1] - v))
			lu += float32(0.25 * (un[c+2] - u))
			lv += float32(0.25 * (vn[c+2] - v))
			lu += float32(0.5 * (uc[c] - u))
			lv += float32(0.5 * (vc[c] - v))
			lu += float32(0.5 * (uc[c+2] - u))
			lv += float32(0.5 * (vc[c+2] - v))
			lu += float32(0.25 * (us[c] - u))
			lv += float32(0.25 * (vs[c] - v))
			lu += float32(0.5 * (us[c+1] - u))
			lv += float32(0.5 * (vs[c+1] - v))
			lu += float32(0.25 * (us[c+2] - u))
			lv += float32(0.25 * (vs[c+2] - v))
			uv2 := float32(float32(u*v) * v)
			du := float32(r.du*lu) - uv2 + float32(r.feed*(1-u))
			dv := float32(r.dv*lv) + uv2 - float32(r.fk*v)
			ou[c] = u + float32(du*r.dt)
			ov[c] = v + float32(dv*r.dt)
		}
		l.halo(b.du, i)
		l.halo(b.dv, i)
	}
}
