//go:build cgo

package cpu

// -std=c11 (not gnu11) turns gcc's default floating-point contraction off:
// no FMA, as sim.Reference requires. (cgo refuses -ffp-contract=off.)

// #cgo CFLAGS: -O3 -std=c11
// #include "kernel.h"
import "C"

import (
	"runtime"
	"unsafe"
)

// maxFused bounds the steps per pass: the ring takes 6·(steps−1) rows.
const maxFused = C.GS_MAX_STEPS

// cVariants lists kernel.c's variants for this architecture, fastest first.
func cVariants() []variant {
	isas := []struct {
		name string
		isa  C.int
	}{{"c", C.GS_BASE}}
	switch runtime.GOARCH {
	case "amd64":
		isas = []struct {
			name string
			isa  C.int
		}{{"avx512", C.GS_AVX512}, {"avx2", C.GS_AVX2}, {"sse2", C.GS_BASE}}
	case "arm64":
		isas[0].name = "neon"
	}
	var vs []variant
	for _, x := range isas {
		vs = append(vs, variant{name: x.name, has: C.gs_has(x.isa) != 0, maxSteps: maxFused, run: cStep(x.isa)})
	}
	return vs
}

// cStep returns a variant's run function: one cgo call per band and pass.
func cStep(isa C.int) func(b *band, r0, r1 int) {
	return func(b *band, r0, r1 int) {
		l, r := b.l, b.r
		ptr := func(f []float32) *C.float { return (*C.float)(unsafe.Pointer(&f[off])) }
		C.gs_step(isa, ptr(b.su), ptr(b.sv), ptr(b.du), ptr(b.dv), ptr(b.zero), ptr(b.ring),
			(*C.uchar)(&b.sf[0]), (*C.uchar)(&b.df[0]), (*C.uchar)(&b.scratch[0]),
			C.gs_shape{stride: C.long(l.stride), rows: C.int(l.rows), cols: C.int(l.cols), boundary: C.int(l.boundary)},
			C.gs_rates{du: C.float(r.du), dv: C.float(r.dv), feed: C.float(r.feed), fk: C.float(r.fk), dt: C.float(r.dt)},
			C.int(r0), C.int(r1), C.int(b.steps))
	}
}

// tinyBits and chunk must equal kernel.h's GS_TINY_BITS and GS_CHUNK: a
// negative constant converted to uint does not compile.
const _ = uint(tinyBits-C.GS_TINY_BITS) + uint(C.GS_TINY_BITS-tinyBits) +
	uint(chunk-C.GS_CHUNK) + uint(C.GS_CHUNK-chunk)
