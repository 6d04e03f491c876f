package h5

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"testing"

	"grayscott/storage"
)

// spotsField is a deterministic stand-in for a Gray-Scott V field: smooth
// spots with low-order noise in the mantissas, compressing roughly like
// real output.
func spotsField(rows, cols int, seed int) []float32 {
	f := make([]float32, rows*cols)
	for r := range rows {
		for c := range cols {
			x, y := float64(c+seed*7)/9, float64(r+seed*3)/11
			v := 0.3 * math.Max(0, math.Sin(x)*math.Sin(y)-0.2)
			h := uint32(r*cols+c) * 2654435761
			f[r*cols+c] = float32(v) + float32(h>>20)*1e-9
		}
	}
	return f
}

// BenchmarkCompressedWriter writes the same 1080×1920 frames through the
// asynchronous writer with HDF5's in-line deflate (workers-0) and with
// parallel encoding (one worker per core), both at level 1 with shuffle.
func BenchmarkCompressedWriter(b *testing.B) {
	p := testParams(1080, 1920, 16)
	frames := make([][]float32, 4)
	for i := range frames {
		frames[i] = spotsField(p.Rows, p.Cols, i)
	}
	for _, workers := range []int{0, runtime.NumCPU()} {
		b.Run(fmt.Sprintf("workers-%d", workers), func(b *testing.B) {
			var stored, raw int64
			for b.Loop() {
				opts := storage.WriterOptions{BufferLen: 4, Workers: workers}
				pool := storage.NewPool(opts.PoolSize(), p.Cells())
				path := filepath.Join(b.TempDir(), "c.h5")
				w, err := storage.StartWriter(func() (storage.Sink, error) {
					return Create(path, p, nil, Options{Compression: storage.Deflate(1), Force: true})
				}, pool, opts)
				if err != nil {
					b.Fatal(err)
				}
				for i := range p.Images {
					f, _ := w.Frame(context.Background())
					copy(f, frames[i%len(frames)])
					if err := w.Send(f); err != nil {
						b.Fatal(err)
					}
				}
				st, err := w.Close(true, "")
				if err != nil {
					b.Fatal(err)
				}
				stored += st.StoredBytes
				raw += st.Bytes
			}
			b.ReportMetric(float64(raw)/1e6/b.Elapsed().Seconds(), "MB/s")
			b.ReportMetric(float64(raw)/float64(stored), "ratio")
		})
	}
}
