package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grayscott/gpu"
	"grayscott/internal/testutil"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
)

// newContext makes a headless GL context, or skips where none can be made
// (fails instead under GRAYSCOTT_REQUIRE_GL=1, as in CI).
func newContext(tb testing.TB) *gpu.Context {
	tb.Helper()
	c, err := gpu.NewHeadless(gpu.Options{})
	if err != nil {
		testutil.RequireGL(tb, err)
	}
	tb.Cleanup(c.Release)
	return c
}

// TestRunOnTheGivenContext measures a tiny grid on the context it is given
// with the kernel and work group it is given: every stage appears, each
// figure lies inside its range, and the end-to-end rows name the
// configuration they ran.
func TestRunOnTheGivenContext(t *testing.T) {
	c := newContext(t)
	dir := t.TempDir()
	rep, err := Run(context.Background(), c, Options{Sizes: []Grid{Square(24)}, Engines: []string{"gpu", "cpu"}, Threads: []int{1, 2},
		BufferLens: []int{0, 2}, Compression: []storage.Compression{storage.Deflate(0), storage.Deflate(1)},
		Flushes: []int{1}, WorkGroups: []gpu.WorkGroup{{X: 8, Y: 8}, {X: 4, Y: 16}}, Kernels: gpu.Kernels,
		EndToEndKernel: gpu.KernelTiled, EndToEndWorkGroup: gpu.WorkGroup{X: 4, Y: 16},
		Images: 2, Steps: 2, EarlySteps: 5, DevelopedSteps: 20, Repeats: 1, Dir: dir, Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Renderer != c.Info().Renderer {
		t.Errorf("report of %q on a context of %q", rep.Renderer, c.Info().Renderer)
	}
	stages := map[string]int{}
	for _, f := range rep.Figures {
		stages[f.Stage]++
		if !(f.Median > 0) || f.Median < f.Min || f.Median > f.Max {
			t.Errorf("figure %+v: median outside its range, or not positive", f)
		}
		if f.Stage == "end-to-end" && f.Engine == "gpu" && (f.Kernel != gpu.KernelTiled || f.Workgroup != "4x16") {
			t.Errorf("end-to-end ran %s %s, not the kernel and work group given", f.Kernel, f.Workgroup)
		}
		if f.Stage == "end-to-end" && f.Engine == "cpu" && f.Threads != 2 {
			t.Errorf("the CPU's end-to-end ran %d threads, not the last given", f.Threads)
		}
		if f.Stage == "compute" && f.Engine == "cpu" && (f.Cache == "") != (rep.LLCBytes == 0) {
			t.Errorf("CPU compute figure %+v: cache %q with a last-level cache of %d bytes", f, f.Cache, rep.LLCBytes)
		}
	}
	cache := 0
	if rep.LLCBytes > 0 {
		cache = 1
	}
	// Two images; two codecs, one of which (deflate) encodes.
	want := map[string]int{"memory-copy": 1, "host-copy": 1, "cpu-cache": cache, "compute": 2*len(gpu.Kernels)*2 + 2, "readback": 2,
		"codec": 2, "disk-write": 1, "storage": 2 * 2, "end-to-end": 2 * 2 * 2}
	for st, n := range want {
		if stages[st] != n {
			t.Errorf("%d %s figures, want %d", stages[st], st, n)
		}
	}
	if best := rep.Fastest(); len(best) != 1 || best[0].Size != 24 || best[0].CellUpdatesPerS <= 0 {
		t.Errorf("Fastest: %+v", best)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
}

// TestRunWithoutGL measures the CPU engine alone, with no GL context at
// all (a machine without OpenGL 4.3), and refuses the GPU engine there.
func TestRunWithoutGL(t *testing.T) {
	o := Options{Sizes: []Grid{{Rows: 16, Cols: 9}}, Engines: []string{"cpu"}, Threads: []int{1}, BufferLens: []int{1},
		Compression: []storage.Compression{storage.Deflate(0)}, Flushes: []int{0}, Images: 2, Steps: 2, EarlySteps: 1, DevelopedSteps: 2,
		Repeats: 1, Dir: t.TempDir(), Quick: true}
	rep, err := Run(context.Background(), nil, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Figures {
		if f.Engine == "gpu" || f.Stage == "memory-copy" {
			t.Errorf("a GPU figure without a GPU: %+v", f)
		}
	}
	o.Engines = []string{"gpu", "cpu"}
	if _, err := Run(context.Background(), nil, o); err == nil || !strings.Contains(err.Error(), "needs a GL context") {
		t.Errorf("the gpu engine without a context: %v", err)
	}
}

// Benchmark sizes: compute and a flushed write take similar times on this
// project's 2-core machines with llvmpipe; other machines set
// GRAYSCOTT_BENCH_SIZE, GRAYSCOTT_BENCH_STEPS and GRAYSCOTT_BENCH_IMAGES.
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

func benchParams() sim.Params {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = benchSize, benchSize, benchImages, benchSteps
	return p
}

// discard is a sink that stores nothing.
type discard struct{}

func (discard) NewEncoder() storage.Encoder                       { return nil }
func (discard) WriteFrame([]float32) error                        { return nil }
func (discard) WriteChunk([]byte) error                           { return nil }
func (discard) WriteCheckpoint([]float32, []float32, int64) error { return nil }
func (discard) Publish() error                                    { return nil }
func (discard) Flush() error                                      { return nil }
func (discard) Frames() int                                       { return 0 }
func (discard) StoredSize() int64                                 { return 0 }
func (discard) Close(bool, string) error                          { return nil }

// newWarmSimulator returns a simulator of p on c that has already stepped
// once: llvmpipe compiles the shaders at the first dispatch.
func newWarmSimulator(b *testing.B, c *gpu.Context, p sim.Params) *gpu.Simulator {
	s, err := gpu.NewSimulator(c, p, gpu.Config{}, sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		b.Fatal(err)
	}
	s.Step(1)
	s.Finish()
	return s
}

// computeImages times p's steps for all its images on s, with no readback.
func computeImages(b *testing.B, s *gpu.Simulator, p sim.Params) {
	for b.Loop() {
		for range p.Images {
			s.Step(p.StepsPerImage)
		}
		s.Finish()
	}
}

// BenchmarkPipeline measures one run's wall time with --flush-every 1 for
// each storage buffer length (0 = synchronous) and, for the ratios, the
// compute alone, compute with readbacks into a discarding writer, and the
// storage alone on the same frames.
func BenchmarkPipeline(b *testing.B) {
	c := newContext(b)
	p := benchParams()
	newSim := func(b *testing.B) *gpu.Simulator { return newWarmSimulator(b, c, p) }
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "pipeline-ms")
		b.ReportMetric(float64(p.Images)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	}
	b.Run("compute-only", func(b *testing.B) {
		s := newSim(b)
		defer s.Release()
		computeImages(b, s, p)
		report(b)
	})
	b.Run("compute-and-readback", func(b *testing.B) {
		s := newSim(b)
		defer s.Release()
		frame := make([]float32, p.Cells())
		for b.Loop() {
			opts := storage.WriterOptions{BufferLen: 1}
			w, err := storage.StartWriter(func() (storage.Sink, error) { return discard{}, nil },
				storage.NewPool(opts.PoolSize(), p.Cells()), opts)
			if err != nil {
				b.Fatal(err)
			}
			for range p.Images {
				s.Step(p.StepsPerImage)
				s.QueueReadback(false)
				if s.PendingReadbacks() == s.ReadbackSlots() {
					f, _ := w.Frame(context.Background())
					s.CompleteReadback(f, nil)
					w.Send(f)
				}
			}
			for s.PendingReadbacks() > 0 {
				s.CompleteReadback(frame, nil)
			}
			w.Close(true, "")
		}
		report(b)
	})
	b.Run("storage-only", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "s.h5")
		frame := sim.InitialState(p.Rows, p.Cols).V
		for b.Loop() {
			f, err := h5.Create(path, p, nil, h5.Options{Force: true})
			if err != nil {
				b.Fatal(err)
			}
			for i := range p.Images {
				// What a run with --flush-every 1 stores: the image, the
				// checkpoint's U, a flush.
				if err := f.WriteFrame(frame); err != nil {
					b.Fatal(err)
				}
				if err := f.WriteCheckpoint(frame, frame, int64(i)); err != nil {
					b.Fatal(err)
				}
				if err := f.Flush(); err != nil {
					b.Fatal(err)
				}
			}
			f.Close(true, "")
		}
		report(b)
	})
	for _, bufferLen := range []int{0, 1, 2, 4} {
		b.Run(fmt.Sprintf("buffer-len-%d", bufferLen), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "e.h5")
			var images int
			for b.Loop() {
				s := newSim(b)
				s.SetState(sim.InitialState(p.Rows, p.Cols), 0)
				sum, err := pipeline.Run(context.Background(), s, pipeline.Config{Params: p, Output: path, Force: true,
					BufferLen: bufferLen, FlushEvery: 1})
				s.Release()
				if err != nil {
					b.Fatal(err)
				}
				images += sum.Images
			}
			report(b)
		})
	}
}

// BenchmarkImageOverhead compares steps/s with an image every 34 steps
// (the course's default; default pipeline, no flushes) against the same
// steps with no images at all.
func BenchmarkImageOverhead(b *testing.B) {
	c := newContext(b)
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 512, 512, 20
	newSim := func(b *testing.B) *gpu.Simulator { return newWarmSimulator(b, c, p) }
	b.Run("no-images", func(b *testing.B) {
		s := newSim(b)
		defer s.Release()
		computeImages(b, s, p)
		b.ReportMetric(float64(p.Images*p.StepsPerImage*b.N)/b.Elapsed().Seconds(), "steps/s")
	})
	b.Run("image-every-34", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "o.h5")
		for b.Loop() {
			s := newSim(b)
			s.SetState(sim.InitialState(p.Rows, p.Cols), 0)
			if _, err := pipeline.Run(context.Background(), s, pipeline.Config{Params: p, Output: path, Force: true, BufferLen: 1}); err != nil {
				b.Fatal(err)
			}
			s.Release()
		}
		b.ReportMetric(float64(p.Images*p.StepsPerImage*b.N)/b.Elapsed().Seconds(), "steps/s")
	})
}
