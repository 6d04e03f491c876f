package h5

import (
	"context"
	"path/filepath"
	"testing"

	"grayscott/storage"
)

// TestFilesIdenticalAcrossBufferLens writes the same frames through every
// pipeline shape: the files hold identical images, compressed or not.
func TestFilesIdenticalAcrossBufferLens(t *testing.T) {
	p := testParams(17, 23, 12)
	frames := randomFrames(12, p.Cells(), 42)
	// Smooth frames too, which deflate actually shrinks.
	for i := 6; i < 12; i++ {
		for j := range frames[i] {
			frames[i][j] = float32(j%23) / 23
		}
	}
	var reference [][]float32
	for _, c := range []struct{ bufferLen, level, workers int }{
		{0, 0, 0}, {1, 0, 0}, {4, 0, 0}, {0, 3, 0}, {1, 3, 0}, {1, 3, 1}, {4, 3, 2}, {2, 9, 3},
	} {
		path := filepath.Join(t.TempDir(), "x.h5")
		opts := storage.WriterOptions{BufferLen: c.bufferLen, Workers: c.workers, FlushEvery: 5}
		pool := storage.NewPool(opts.PoolSize(), p.Cells())
		w, err := storage.StartWriter(func() (storage.Sink, error) {
			return Create(path, p, nil, Options{Compression: storage.Deflate(c.level)})
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
		if c.level > 0 && c.workers > 0 && st.StoredBytes >= st.Bytes {
			t.Errorf("%+v: stored %d bytes for %d raw: nothing compressed", c, st.StoredBytes, st.Bytes)
		}
		got, err := ReadImages(path)
		if err != nil {
			t.Fatal(err)
		}
		if reference == nil {
			reference = got
			for i := range frames {
				if !equalBits(got[i], frames[i]) {
					t.Fatalf("%+v: image %d differs from what was sent", c, i)
				}
			}
			continue
		}
		for i := range reference {
			if !equalBits(got[i], reference[i]) {
				t.Errorf("%+v: image %d differs from the synchronous raw file", c, i)
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
