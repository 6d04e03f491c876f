package h5

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"grayscott/internal/testutil"
	"grayscott/storage"
	"grayscott/storage/codec"
)

// TestFilesIdenticalAcrossBufferLens writes the same frames through every
// pipeline shape and codec: the files hold the frames given, bit for bit
// (with --keep-bits, the frames rounded as it promises), in grayscott's
// reader and, for bitshuffle and rounded files, in h5py and h5dump
// through the real bitshuffle plugin.
func TestFilesIdenticalAcrossBufferLens(t *testing.T) {
	p := testParams(17, 23, 12)
	frames := randomFrames(12, p.Cells(), 42)
	// Smooth frames too, which deflate actually shrinks.
	for i := 6; i < 12; i++ {
		for j := range frames[i] {
			frames[i][j] = float32(j%23) / 23
		}
	}
	bitshuffle := storage.Compression{Codec: storage.CodecBitshuffleLZ4, KeepBits: storage.LosslessBits}
	rounded := func(c storage.Compression, bits int) storage.Compression { c.KeepBits = bits; return c }
	for _, c := range []struct {
		bufferLen, workers int
		comp               storage.Compression
	}{
		{0, 0, storage.Deflate(0)}, {1, 0, storage.Deflate(0)}, {4, 0, storage.Deflate(0)},
		{0, 0, storage.Deflate(3)}, {1, 0, storage.Deflate(3)}, {1, 1, storage.Deflate(3)}, {4, 2, storage.Deflate(3)}, {2, 3, storage.Deflate(9)},
		// bitshuffle on the writer's thread (synchronous, or without
		// workers) and on workers.
		{0, 0, bitshuffle}, {1, 0, bitshuffle}, {1, 1, bitshuffle}, {4, 2, bitshuffle}, {2, 3, bitshuffle},
		// --keep-bits on each path: deflate in HDF5's filter or on the
		// workers, bitshuffle on the writer's thread or on the workers.
		{0, 0, rounded(storage.Deflate(1), 10)}, {2, 2, rounded(storage.Deflate(1), 10)},
		{0, 0, rounded(bitshuffle, 10)}, {1, 0, rounded(bitshuffle, 10)}, {3, 2, rounded(bitshuffle, 10)},
	} {
		path := filepath.Join(t.TempDir(), "x.h5")
		opts := storage.WriterOptions{BufferLen: c.bufferLen, Workers: c.workers, FlushEvery: 5}
		pool := storage.NewPool(opts.PoolSize(), p.Cells())
		w, err := storage.StartWriter(func() (storage.Sink, error) {
			return Create(path, p, nil, Options{Compression: c.comp})
		}, pool, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, fr := range frames {
			f, err := w.Frame(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			copy(f, fr)
			if err := w.Send(f); err != nil {
				t.Fatal(err)
			}
		}
		st, err := w.Close(true, "")
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("buffer %d, workers %d, %s keeping %d bits", c.bufferLen, c.workers, c.comp, c.comp.Normal().KeepBits)
		if c.comp.Normal().Codec != storage.CodecNone && c.workers > 0 && st.StoredBytes >= st.Bytes {
			t.Errorf("%s: stored %d bytes for %d raw: nothing compressed", name, st.StoredBytes, st.Bytes)
		}
		got, err := ReadImages(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		readers := map[string][][]float32{"grayscott": got}
		if c.comp.Codec == storage.CodecBitshuffleLZ4 || !c.comp.Lossless() {
			readers["h5py"] = testutil.H5pyImages(t, path)
			readers["h5dump"] = testutil.H5dumpImages(t, path)
		}
		for reader, got := range readers {
			if c.comp.Lossless() {
				testutil.SameImages(t, name+", read by "+reader, got, frames)
			} else {
				testutil.SameRounded(t, name+", read by "+reader, got, frames, c.comp.KeepBits)
				want := make([][]float32, len(frames))
				for i := range frames {
					want[i] = make([]float32, len(frames[i]))
					codec.RoundMantissa(want[i], frames[i], c.comp.KeepBits)
				}
				testutil.SameImages(t, name+", read by "+reader, got, want)
			}
		}
	}
}

func equalBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
