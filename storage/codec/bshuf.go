package codec

// #cgo CFLAGS: -O3
// #cgo LDFLAGS: -llz4
// #include "bshuf.h"
// #include <lz4.h>
import "C"

import "unsafe"

// isa names an instruction set of the C loops (bshuf.h).
type isa C.int

const (
	isaScalar isa = C.CODEC_SCALAR
	isaAVX2   isa = C.CODEC_AVX2
)

// bestISA is the fastest set this CPU runs; all give the same bytes.
var bestISA = func() isa {
	if C.codec_has(C.int(isaAVX2)) != 0 {
		return isaAVX2
	}
	return isaScalar
}()

// maxLZ4Input is LZ4_MAX_INPUT_SIZE.
const maxLZ4Input = C.LZ4_MAX_INPUT_SIZE

// lz4Bound is LZ4_COMPRESSBOUND of lz4.h, in Go to spare a C call per
// block: the largest LZ4 block of n bytes (n ≤ maxLZ4Input).
func lz4Bound(n int) int { return n + n/255 + 16 }

// encodeBlock rounds src (a multiple of 8 float32s) to keep mantissa bits
// into rounded (unless keep is 23), bit-transposes it into scratch and
// LZ4-compresses it into dst; it returns the compressed size, 0 when dst is
// too small.
func encodeBlock(x isa, src []float32, keep int, rounded []float32, scratch, dst []byte) int {
	return int(C.codec_encode_block(C.int(x), bytePtr(floatBytes(src)), C.int(len(src)), C.int(keep),
		bytePtr(floatBytes(rounded)), bytePtr(scratch), bytePtr(dst), C.int(min(len(dst), lz4Bound(elemSize*len(src))))))
}

// roundMantissa is RoundMantissa with the instruction set chosen.
func roundMantissa(x isa, dst, src []float32, keep int) {
	if len(src) == 0 {
		return
	}
	C.codec_round(C.int(x), (*C.uint32_t)(unsafe.Pointer(&src[0])), (*C.uint32_t)(unsafe.Pointer(&dst[0])), C.size_t(len(src)), C.int(keep))
}

// decodeBlock decompresses the LZ4 block src into scratch and bit-untransposes
// it into dst; it reports false when src is not an LZ4 block of len(dst) bytes.
func decodeBlock(x isa, src, scratch, dst []byte) bool {
	return C.codec_decode_block(C.int(x), bytePtr(src), C.int(len(src)), bytePtr(scratch), bytePtr(dst), C.int(len(dst)/4)) == 0
}

func transpose(x isa, dst, src []byte) {
	C.codec_transpose(C.int(x), bytePtr(src), bytePtr(dst), C.size_t(len(src)/4))
}

func untranspose(x isa, dst, src []byte) {
	C.codec_untranspose(C.int(x), bytePtr(src), bytePtr(dst), C.size_t(len(src)/4))
}

func bytePtr(b []byte) *C.uint8_t { return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(b))) }
