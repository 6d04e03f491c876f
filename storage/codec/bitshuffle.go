package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// FilterBitshuffle is the HDF5 registered filter of the bitshuffle plugin.
const FilterBitshuffle = 32008

// BitshuffleCDValues are the filter's client data values to declare on a
// dataset of these chunks: the plugin's version 0.3, element size 4, block
// size 0 (the default, BlockSize), 2 (LZ4 after the shuffle). Decoding
// reads the block size from each chunk's header, not from these.
var BitshuffleCDValues = [5]uint32{0, 3, elemSize, 0, compressLZ4}

// BlockSize is the bytes in one block: the plugin's default for 4-byte
// elements (8192 bytes / element size, a multiple of 8 elements).
const BlockSize = blockElems * elemSize

const (
	elemSize    = 4
	blockElems  = 8192 / elemSize
	groupElems  = 8 // blocks hold whole groups of 8 elements
	headerSize  = 12
	compressLZ4 = 2 // BSHUF_H5_COMPRESS_LZ4
)

// ErrCorrupt is what every decoding error wraps: the chunk is not one of
// this format, for the frame it is decoded into.
var ErrCorrupt = errors.New("codec: damaged bitshuffle chunk")

// MaxChunkSize returns the largest chunk that a frame of cells float32s
// encodes to.
func MaxChunkSize(cells int) int {
	full, last, leftover := layout(cells, blockElems)
	size := headerSize + full*(4+lz4Bound(BlockSize)) + leftover*elemSize
	if last > 0 {
		size += 4 + lz4Bound(last*elemSize)
	}
	return size
}

// layout splits n elements as the plugin does: full blocks of block
// elements, a last block of the rest rounded down to whole groups, and the
// leftover elements, stored raw.
func layout(n, block int) (full, last, leftover int) {
	full = n / block
	last = n % block
	leftover = n % groupElems
	return full, last - last%groupElems, leftover
}

// maxChunk bounds a chunk: HDF5 stores a chunk's size in 32 bits.
const maxChunk = math.MaxUint32

// An Encoder encodes frames of one size into bitshuffle+LZ4 chunks,
// optionally rounding them to fewer mantissa bits first. Its buffers are
// made once. One goroutine at a time may use it.
type Encoder struct {
	cells    int
	keepBits int
	isa      isa
	rounded  []float32 // one block of rounded values, when keepBits < 23
	scratch  []byte    // one block, transposed
	chunk    []byte
}

// NewEncoder returns an encoder for frames of cells float32s that keeps
// keepBits bits of each mantissa (RoundMantissa); 23 is lossless.
func NewEncoder(cells, keepBits int) (*Encoder, error) {
	if cells < 1 {
		return nil, fmt.Errorf("codec: an encoder for %d cells: want at least 1", cells)
	}
	if keepBits < 1 || keepBits > MantissaBits {
		return nil, fmt.Errorf("codec: keeping %d mantissa bits: want 1 to %d", keepBits, MantissaBits)
	}
	if size := MaxChunkSize(cells); uint64(size) > maxChunk {
		return nil, fmt.Errorf("codec: frames of %d cells may take %d bytes, more than an HDF5 chunk holds (%d)", cells, size, uint64(maxChunk))
	}
	e := &Encoder{cells: cells, keepBits: keepBits, isa: bestISA,
		scratch: make([]byte, BlockSize), chunk: make([]byte, MaxChunkSize(cells))}
	if keepBits < MantissaBits {
		e.rounded = make([]float32, blockElems)
	}
	return e, nil
}

// Encode returns frame's chunk. It aliases e's buffer and is valid until
// the next Encode; frame is not changed or retained.
func (e *Encoder) Encode(frame []float32) ([]byte, error) {
	if len(frame) != e.cells {
		return nil, fmt.Errorf("codec: encoding %d floats with an encoder for %d", len(frame), e.cells)
	}
	full, last, leftover := layout(e.cells, blockElems)
	binary.BigEndian.PutUint64(e.chunk, uint64(elemSize*e.cells))
	binary.BigEndian.PutUint32(e.chunk[8:], BlockSize)
	o := headerSize
	for start, i := 0, 0; i <= full; i++ {
		n := blockElems
		if i == full {
			n = last
		}
		if n == 0 {
			break
		}
		c := encodeBlock(e.isa, frame[start:start+n], e.keepBits, e.rounded, e.scratch, e.chunk[o+4:])
		if c <= 0 {
			// MaxChunkSize leaves LZ4's bound for every block.
			return nil, fmt.Errorf("codec: LZ4 found no room for block %d in a chunk of %d bytes", i, len(e.chunk))
		}
		binary.BigEndian.PutUint32(e.chunk[o:], uint32(c))
		o += 4 + c
		start += n
	}
	tail := frame[e.cells-leftover:]
	if e.rounded != nil {
		roundMantissa(e.isa, e.rounded[:leftover], tail, e.keepBits)
		tail = e.rounded[:leftover]
	}
	o += copy(e.chunk[o:], floatBytes(tail))
	return e.chunk[:o], nil
}

// Decode decodes chunk, a bitshuffle+LZ4 chunk of float32s (ours or the
// plugin's, whatever its block size), into dst, which must have the
// chunk's size. It never panics on a damaged chunk: it returns an error
// that wraps ErrCorrupt and says what is wrong. Decode may be called from
// any goroutine.
func Decode(chunk []byte, dst []float32) error {
	return decode(bestISA, chunk, dst)
}

func decode(x isa, chunk []byte, dst []float32) error {
	if len(chunk) < headerSize {
		return corrupt("%d bytes, fewer than the %d-byte header", len(chunk), headerSize)
	}
	total := binary.BigEndian.Uint64(chunk)
	if want := uint64(elemSize) * uint64(len(dst)); total != want {
		return corrupt("it holds %d bytes of data, want %d (%d float32s)", total, want, len(dst))
	}
	blockBytes := binary.BigEndian.Uint32(chunk[8:])
	if blockBytes == 0 || blockBytes%(elemSize*groupElems) != 0 {
		return corrupt("block size %d bytes: want a positive multiple of %d", blockBytes, elemSize*groupElems)
	}
	block := int(blockBytes / elemSize)
	full, last, leftover := layout(len(dst), block)
	var scratch []byte
	out := floatBytes(dst)
	in := chunk[headerSize:]
	for i := 0; i <= full; i++ {
		n := block
		if i == full {
			n = last
		}
		if n == 0 {
			break
		}
		if elemSize*n > maxLZ4Input {
			return corrupt("block %d of %d bytes is larger than LZ4 blocks can be", i, elemSize*n)
		}
		if len(in) < 4 {
			return corrupt("it ends before block %d", i)
		}
		size := binary.BigEndian.Uint32(in)
		in = in[4:]
		if uint64(size) > uint64(len(in)) {
			return corrupt("block %d says %d bytes, %d are left", i, size, len(in))
		}
		if int(size) > lz4Bound(elemSize*n) {
			return corrupt("block %d says %d bytes, more than LZ4 makes of %d", i, size, elemSize*n)
		}
		if scratch == nil {
			scratch = make([]byte, elemSize*n)
		}
		if !decodeBlock(x, in[:size], scratch, out[:elemSize*n]) {
			return corrupt("block %d (%d bytes) is not LZ4 data of %d bytes", i, size, elemSize*n)
		}
		in = in[size:]
		out = out[elemSize*n:]
	}
	if len(in) != elemSize*leftover {
		return corrupt("%d bytes after the blocks, want the %d leftover float32s (%d bytes)", len(in), leftover, elemSize*leftover)
	}
	copy(out, in)
	return nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// floatBytes views f's memory as bytes: little-endian float32s on the
// machines this runs on (amd64, arm64), the files' IEEE_F32LE.
func floatBytes(f []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), elemSize*len(f))
}
