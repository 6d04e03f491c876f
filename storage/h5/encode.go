package h5

// Chunk encoding outside HDF5: shuffle + deflate, byte for byte what HDF5's
// shuffle and deflate filters produce, so that the chunk can be written
// with H5Dwrite_chunk and read back by any HDF5 reader. zlib runs in C
// (as inside HDF5) so one worker is as fast as HDF5's in-line filter and
// several run in parallel.

/*
#cgo LDFLAGS: -lz
#include <stddef.h>
#include <zlib.h>

// gs_shuffle_deflate shuffles n float32s (all first bytes, then all second
// bytes, ...: HDF5's shuffle filter) into scratch and deflates them in the
// zlib format (HDF5's deflate filter) into dst. It returns the compressed
// size, or a negative zlib error code.
static long gs_shuffle_deflate(const unsigned char *src, size_t n, unsigned char *scratch,
                               unsigned char *dst, size_t dstcap, int level) {
	unsigned char *b0 = scratch, *b1 = scratch + n, *b2 = scratch + 2 * n, *b3 = scratch + 3 * n;
	for (size_t i = 0; i < n; i++) {
		b0[i] = src[4 * i];
		b1[i] = src[4 * i + 1];
		b2[i] = src[4 * i + 2];
		b3[i] = src[4 * i + 3];
	}
	uLongf len = (uLongf)dstcap;
	int rc = compress2(dst, &len, scratch, (uLong)(4 * n), level);
	if (rc != Z_OK) return rc < 0 ? rc : -1000 - rc;
	return (long)len;
}

static size_t gs_bound(size_t n) { return compressBound((uLong)n); }
*/
import "C"

import (
	"fmt"
	"unsafe"

	"grayscott/storage"
	"grayscott/storage/codec"
)

// encoder compresses frames of a fixed size into chunks. Its buffers are
// made once; one encoder serves one goroutine at a time.
type encoder struct {
	level    int
	keepBits int
	rounded  []float32 // the frame rounded to keepBits, when it keeps fewer than all
	scratch  []byte
	out      []byte
}

func newEncoder(level, keepBits, cells int) *encoder {
	e := &encoder{
		level:    level,
		keepBits: keepBits,
		scratch:  make([]byte, 4*cells),
		out:      make([]byte, int(C.gs_bound(C.size_t(4*cells)))),
	}
	if keepBits < storage.LosslessBits {
		e.rounded = make([]float32, cells)
	}
	return e
}

// Encode returns the chunk for frame; it aliases e's buffer and is valid
// until the next call. frame is not changed.
func (e *encoder) Encode(frame []float32) ([]byte, error) {
	if 4*len(frame) != len(e.scratch) {
		return nil, fmt.Errorf("h5: encoding %d floats with an encoder for %d", len(frame), len(e.scratch)/4)
	}
	if e.rounded != nil {
		codec.RoundMantissa(e.rounded, frame, e.keepBits)
		frame = e.rounded
	}
	n := C.gs_shuffle_deflate((*C.uchar)(unsafe.Pointer(&frame[0])), C.size_t(len(frame)),
		(*C.uchar)(unsafe.Pointer(&e.scratch[0])), (*C.uchar)(unsafe.Pointer(&e.out[0])), C.size_t(len(e.out)), C.int(e.level))
	if n < 0 {
		return nil, fmt.Errorf("h5: zlib compress2 failed with code %d", int(n))
	}
	return e.out[:n], nil
}
