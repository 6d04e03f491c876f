package codec

import (
	"fmt"
	"math"
)

// MantissaBits is the explicit mantissa bits of a float32: keeping all of
// them is lossless.
const MantissaBits = 23

// RoundMantissa writes src to dst rounded to keepBits (1 to MantissaBits)
// mantissa bits, to nearest with ties to even, so that the bits dropped
// are zeros that compress. dst and src have the same length and may be the
// same slice.
//
// Every result r of a value v obeys |r − v| ≤ RelativeErrorBound(keepBits)·|v|,
// and rounding again changes nothing. The edges:
//   - NaN (its payload included), ±Inf, ±0 and the sign are kept.
//   - A carry out of the mantissa gives the next power of two, as rounding
//     should.
//   - Finite values stay finite: those that would round up past the largest
//     float32 (what IEEE rounding to keepBits bits gives as Inf) become the
//     largest float32 with keepBits bits, still within the bound.
//   - Subnormals keep keepBits bits after their leading one, so that the
//     relative bound holds for them too; numcodecs' BitRound, like normal
//     values here, rounds them at a fixed bit position instead.
//
// It panics when keepBits is out of range or the lengths differ.
func RoundMantissa(dst, src []float32, keepBits int) {
	if keepBits < 1 || keepBits > MantissaBits {
		panic(fmt.Sprintf("codec: keeping %d mantissa bits: want 1 to %d", keepBits, MantissaBits))
	}
	if len(dst) != len(src) {
		panic(fmt.Sprintf("codec: rounding %d floats into %d", len(src), len(dst)))
	}
	roundMantissa(bestISA, dst, src, keepBits)
}

// RelativeErrorBound is the bound on |r − v| / |v| for every value v that
// RoundMantissa rounds to r with keepBits bits: half a unit in the last
// kept place, 2^-(keepBits+1). It is 0 for MantissaBits.
func RelativeErrorBound(keepBits int) float64 {
	if keepBits >= MantissaBits {
		return 0
	}
	return math.Ldexp(1, -(keepBits + 1))
}
