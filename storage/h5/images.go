package h5

import (
	"fmt"
	"unsafe"

	"grayscott/storage"
	"grayscott/storage/codec"
)

// filterDeflate is HDF5's deflate filter.
const filterDeflate = 1

// images reads /matrix's images: through HDF5's filters, or, for a
// dataset of bitshuffle chunks (filter 32008, which no plugin decodes in
// this process), as stored, decoded by storage/codec. Not for concurrent
// use: it holds the buffer of one chunk.
type images struct {
	dset       int64
	rows, cols int
	bitshuffle bool
	chunk      []byte
}

func newImages(dset int64, rows, cols int) (*images, error) {
	_, bitshuffle, err := filterValues(dset, codec.FilterBitshuffle)
	if err != nil {
		return nil, err
	}
	im := &images{dset: dset, rows: rows, cols: cols, bitshuffle: bitshuffle}
	if bitshuffle {
		im.chunk = make([]byte, codec.MaxChunkSize(rows*cols))
	}
	return im, nil
}

// read reads image n into dst (rows·cols floats). A chunk that does not
// decode is an error naming the image.
func (im *images) read(n int, dst []float32) error {
	if !im.bitshuffle {
		return readImage(im.dset, n, im.rows, im.cols, dst)
	}
	chunk, filtered, err := readChunk(im.dset, n, im.chunk)
	if err != nil {
		return err
	}
	if !filtered { // a writer without the filter stored it raw (it is optional)
		if len(chunk) != 4*len(dst) {
			return fmt.Errorf("h5: image %d: a raw chunk of %d bytes for %d floats", n, len(chunk), len(dst))
		}
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), chunk)
		return nil
	}
	if err := codec.Decode(chunk, dst); err != nil {
		return fmt.Errorf("h5: image %d is damaged: %w", n, err)
	}
	return nil
}

// matrixCompression reads how /matrix is stored from its filters (the
// course's own files included) and the root attribute keep_bits (absent:
// every bit).
func matrixCompression(dset, root int64) (storage.Compression, error) {
	c := storage.Compression{Codec: storage.CodecNone, KeepBits: storage.LosslessBits}
	if _, ok, err := filterValues(dset, codec.FilterBitshuffle); err != nil {
		return c, err
	} else if ok {
		c.Codec = storage.CodecBitshuffleLZ4
	} else if cd, ok, err := filterValues(dset, filterDeflate); err != nil {
		return c, err
	} else if ok {
		c.Codec, c.Level = storage.CodecDeflate, deflateLevel(cd)
	}
	if attrExists(root, "keep_bits") {
		n, err := readIntAttr(root, "keep_bits")
		if err != nil {
			return c, err
		}
		c.KeepBits = int(n)
	}
	return c, nil
}

// deflateLevel is deflate's level among its client values (HDF5 stores
// it first), zlib's default when there is none.
func deflateLevel(cd []uint32) int {
	if len(cd) == 0 {
		return storage.DefaultDeflateLevel
	}
	return int(cd[0])
}

// compressionAttrs are the root attributes that say how /matrix is
// stored: compression (as --compression takes it), compression_level
// (deflate's level, 0 otherwise; what files of earlier versions have),
// keep_bits and max_relative_error, the bound on |stored − V|/|V|.
func compressionAttrs(c storage.Compression) []storage.Attr {
	return []storage.Attr{
		{Name: "compression", Value: c.String()},
		{Name: "compression_level", Value: c.Level},
		{Name: "keep_bits", Value: c.KeepBits},
		{Name: "max_relative_error", Value: float32(codec.RelativeErrorBound(c.KeepBits))},
	}
}
