package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"grayscott/gpu"
	"grayscott/sim"
	"grayscott/storage"
)

func readImages(t testing.TB, path string) [][]float32 {
	t.Helper()
	r, err := storage.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, rows, cols := r.Shape()
	out := make([][]float32, n)
	for i := range out {
		out[i] = make([]float32, rows*cols)
		if err := r.ReadFrame(i, out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestPipelineShapesGiveIdenticalFiles: synchronous, queued, deep queues,
// one or many readback slots, compressed in parallel or not: every file
// holds bit-identical images.
func TestPipelineShapesGiveIdenticalFiles(t *testing.T) {
	dir := t.TempDir()
	base := []string{"run", "-r", "33", "-c", "45", "-n", "9", "-e", "20", "--boundary", "neumann", "-q"}
	var want [][]float32
	for i, extra := range [][]string{
		{"--storage-buffer-len", "0", "--readback-slots", "1"},
		{"--storage-buffer-len", "1"},
		{"--storage-buffer-len", "4", "--readback-slots", "3", "--flush-every", "2"},
		{"--storage-buffer-len", "2", "--readback-slots", "16"},
		{"--storage-buffer-len", "0", "--compression-level", "5"},
		{"--storage-buffer-len", "3", "--compression-level", "5", "--compress-workers", "2", "--flush-every", "1"},
		{"--storage-buffer-len", "1", "--compression-level", "1", "--compress-workers", "0"},
	} {
		out := filepath.Join(dir, fmt.Sprintf("run%d.h5", i))
		code, _, stderr := runMain(append(append(base, "-o", out), extra...)...)
		requireGL(t, stderr)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		got := readImages(t, out)
		if len(got) != 9 {
			t.Fatalf("%v: %d images", extra, len(got))
		}
		if want == nil {
			want = got
			continue
		}
		for j := range want {
			for k := range want[j] {
				if got[j][k] != want[j][k] {
					t.Fatalf("%v: image %d cell %d = %v, the synchronous run wrote %v", extra, j, k, got[j][k], want[j][k])
				}
			}
		}
	}
}

// benchConfig is a runConfig for benchmarks: a balanced size on llvmpipe.
func benchConfig(b *testing.B, bufferLen int) *runConfig {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = benchSize, benchSize, benchImages, benchSteps
	return &runConfig{params: p, output: filepath.Join(b.TempDir(), "bench.h5"), force: true,
		workGroup: gpu.DefaultWorkGroup, eglPlatform: "auto", bufferLen: bufferLen,
		readbackSlots: gpu.DefaultReadbackSlots, flushEvery: 1, compressWorkers: 0}
}

// benchSize and benchSteps make compute and a flushed write take similar
// times on this project's 2-core machines with llvmpipe; other machines
// set GRAYSCOTT_BENCH_SIZE and GRAYSCOTT_BENCH_STEPS.
var (
	benchSize   = envInt("GRAYSCOTT_BENCH_SIZE", 256)
	benchSteps  = envInt("GRAYSCOTT_BENCH_STEPS", 1)
	benchImages = envInt("GRAYSCOTT_BENCH_IMAGES", 400)
)

func envInt(name string, def int) int {
	var n int
	if _, err := fmt.Sscan(os.Getenv(name), &n); err == nil && n > 0 {
		return n
	}
	return def
}

// BenchmarkPipeline measures one run's wall time with --flush-every 1 for
// each storage buffer length (0 = synchronous) and, for the ratios, the
// compute alone and the storage alone on the same frames.
func BenchmarkPipeline(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b.Run("compute-only", func(b *testing.B) {
		cfg := benchConfig(b, 0)
		c, err := gpu.NewHeadless(gpu.Options{})
		if err != nil {
			b.Skip(err)
		}
		defer c.Release()
		p := cfg.params
		s, err := gpu.NewSimulator(c, p, gpu.Config{}, sim.InitialState(p.Rows, p.Cols))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Release()
		s.Step(1)
		s.Finish()
		b.ResetTimer()
		for b.Loop() {
			for range p.Images {
				s.Step(p.StepsPerImage)
			}
			s.Finish()
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "pipeline-ms")
		b.ReportMetric(float64(p.Images)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("compute-and-readback", func(b *testing.B) {
		cfg := benchConfig(b, 1)
		c, err := gpu.NewHeadless(gpu.Options{})
		if err != nil {
			b.Skip(err)
		}
		defer c.Release()
		p := cfg.params
		for b.Loop() {
			s, err := gpu.NewSimulator(c, p, gpu.Config{}, sim.InitialState(p.Rows, p.Cols))
			if err != nil {
				b.Fatal(err)
			}
			opts := storage.WriterOptions{BufferLen: 1}
			w, err := storage.StartWriter(func() (storage.Sink, error) { return discard{}, nil },
				storage.NewPool(opts.PoolSize(), p.Cells()), opts)
			if err != nil {
				b.Fatal(err)
			}
			pl := pipeline{sim: s, writer: w, images: p.Images, steps: p.StepsPerImage}
			if _, err := pl.produce(context.Background()); err != nil {
				b.Fatal(err)
			}
			w.Close(true, "")
			s.Release()
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "pipeline-ms")
		b.ReportMetric(float64(p.Images)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("storage-only", func(b *testing.B) {
		cfg := benchConfig(b, 0)
		p := cfg.params
		frame := sim.InitialState(p.Rows, p.Cols).V
		for b.Loop() {
			f, err := storage.Create(cfg.output, p, nil, storage.Options{Force: true})
			if err != nil {
				b.Fatal(err)
			}
			for i := range p.Images {
				if err := f.WriteFrame(frame); err != nil {
					b.Fatal(err)
				}
				// What a run with --flush-every 1 stores: the image, the
				// checkpoint's U, a flush.
				if err := f.WriteCheckpoint(frame, frame, int64(i)); err != nil {
					b.Fatal(err)
				}
				if err := f.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			f.Close(true, "")
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "pipeline-ms")
		b.ReportMetric(float64(p.Images)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	})
	for _, bufferLen := range []int{0, 1, 2, 4} {
		b.Run(fmt.Sprintf("buffer-len-%d", bufferLen), func(b *testing.B) {
			cfg := benchConfig(b, bufferLen)
			var wall time.Duration // the pipeline alone, without GL context creation and shader compilation
			for b.Loop() {
				st, err := simulate(context.Background(), cfg, log, noProgress{})
				if err != nil {
					b.Fatal(err)
				}
				wall += st.wall
			}
			b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "pipeline-ms")
			b.ReportMetric(float64(cfg.params.Images)*float64(b.N)/wall.Seconds(), "images/s")
		})
	}
}

type discard struct{}

func (discard) WriteFrame([]float32) error { return nil }
func (discard) Flush() error               { return nil }
func (discard) Close(bool, string) error   { return nil }

// BenchmarkImageOverhead compares steps/s with an image every 34 steps
// (the course's default; default pipeline, no flushes) against the same
// steps with no images at all.
func BenchmarkImageOverhead(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 512, 512, 20
	b.Run("no-images", func(b *testing.B) {
		c, err := gpu.NewHeadless(gpu.Options{})
		if err != nil {
			b.Skip(err)
		}
		defer c.Release()
		s, err := gpu.NewSimulator(c, p, gpu.Config{}, sim.InitialState(p.Rows, p.Cols))
		if err != nil {
			b.Fatal(err)
		}
		defer s.Release()
		s.Step(1)
		s.Finish()
		b.ResetTimer()
		for b.Loop() {
			for range p.Images {
				s.Step(p.StepsPerImage)
			}
			s.Finish()
		}
		b.ReportMetric(float64(p.Images*p.StepsPerImage*b.N)/b.Elapsed().Seconds(), "steps/s")
	})
	b.Run("image-every-34", func(b *testing.B) {
		cfg := &runConfig{params: p, output: filepath.Join(b.TempDir(), "o.h5"), force: true,
			workGroup: gpu.DefaultWorkGroup, eglPlatform: "auto", bufferLen: 1, readbackSlots: gpu.DefaultReadbackSlots}
		var wall time.Duration
		for b.Loop() {
			st, err := simulate(context.Background(), cfg, log, noProgress{})
			if err != nil {
				b.Fatal(err)
			}
			wall += st.wall
		}
		b.ReportMetric(float64(p.Images*p.StepsPerImage*b.N)/wall.Seconds(), "steps/s")
	})
}
