package gpu

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"grayscott/internal/testutil"
	"grayscott/shaders"
	"grayscott/sim"
)

// newTestContext makes a headless context or skips when this machine cannot
// make one. With GRAYSCOTT_REQUIRE_GL=1 (as in CI, where Mesa's llvmpipe is
// installed) a missing context fails the test instead.
func newTestContext(tb testing.TB) *Context {
	tb.Helper()
	c, err := NewHeadless(Options{})
	if err != nil {
		testutil.RequireGL(tb, err)
	}
	tb.Cleanup(c.Release)
	return c
}

func maxAbsDiff(a, b []float32) (float64, int) {
	worst, at := 0.0, -1
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1), i
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

func TestContextInfo(t *testing.T) {
	c := newTestContext(t)
	info := c.Info()
	if info.Renderer == "" || info.Version == "" || info.Vendor == "" {
		t.Fatalf("empty GL strings: %+v", info)
	}
	if !strings.HasPrefix(info.Platform, "egl ") {
		t.Errorf("platform %q does not say how the context was made", info.Platform)
	}
	if c.Limits().MaxWorkGroupInvocations < MaxInvocations {
		t.Errorf("limits %+v below GL 4.3's minimum", c.Limits())
	}
	t.Logf("%+v", info)
}

func TestEveryShaderCompiles(t *testing.T) {
	c := newTestContext(t)
	var vert, frag string
	for _, name := range shaders.Names() {
		switch {
		case strings.HasSuffix(name, ".vert"):
			vert = name
			continue
		case strings.HasSuffix(name, ".frag"):
			frag = name
			continue
		}
		for b := sim.Zero; b <= sim.Neumann; b++ {
			src, err := shaders.Source(name,
				shaders.Define{Name: "WG_X", Value: "16"}, shaders.Define{Name: "WG_Y", Value: "16"},
				shaders.Define{Name: "BOUNDARY", Value: string(rune('0' + b))}, shaders.Define{Name: "CELLS_X", Value: "2"}, shaders.Define{Name: "CELLS_Y", Value: "3"})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.CompileShader(name, src); err != nil {
				t.Errorf("%s boundary %v: %v", name, b, err)
			}
		}
	}
	if vert == "" || frag == "" {
		t.Fatalf("no vertex or fragment shader among %v", shaders.Names())
	}
	vs, _ := shaders.Source(vert)
	fs, _ := shaders.Source(frag)
	var err error
	c.Call(func() error {
		var p uint32
		if p, err = CompileProgram(Stage{gl.VERTEX_SHADER, vert, vs}, Stage{gl.FRAGMENT_SHADER, frag, fs}); err == nil {
			gl.DeleteProgram(p)
		}
		return nil
	})
	if err != nil {
		t.Errorf("%s + %s: %v", vert, frag, err)
	}
}

func TestCompileErrorCarriesInfoLog(t *testing.T) {
	c := newTestContext(t)
	err := c.CompileShader("broken.comp", shaders.Version+"\nlayout(local_size_x=1) in;\nvoid main() { undeclared_name = 1; }\n")
	if err == nil {
		t.Fatal("a shader with an undeclared name compiled")
	}
	if !strings.Contains(err.Error(), "broken.comp") || !strings.Contains(err.Error(), "undeclared_name") {
		t.Errorf("error lacks the shader's name or info log: %v", err)
	}
}

// flushFloor bounds the values in which devices may differ from
// sim.Reference: GLSL lets a device flush subnormal floats (below 1.2e-38)
// to zero, and NVIDIA's does, so where V decays towards 0 (the zero
// boundary drains it) a GPU holds 0 or a tiny normal number where the
// reference holds a subnormal one. Such a difference stays in numbers far
// below any that can change a cell of order 1e-7 or more.
const flushFloor = 1e-30

// firstBitDiff returns the first cell whose float32 bits differ, or -1;
// values both below floor in magnitude count as equal (0: none do).
func firstBitDiff(a, b []float32, floor float64) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && (math.Abs(float64(a[i])) >= floor || math.Abs(float64(b[i])) >= floor) {
			return i
		}
	}
	return -1
}

// TestMatchesReference runs GPU and CPU side by side for every kernel and
// boundary, on grids the pattern reaches the edge of and on sizes that are
// not multiples of the work group (nor of the column kernel's cells): U
// and V must equal sim.Reference's bit for bit (the shaders' arithmetic is
// precise, in the reference's order).
func TestMatchesReference(t *testing.T) {
	c := newTestContext(t)
	const images, steps = 5, 200
	grids := []struct {
		rows, cols int
		wg         WorkGroup
	}{
		{32, 48, WorkGroup{X: 16, Y: 16}},
		{37, 53, WorkGroup{X: 16, Y: 16}},
		{37, 53, WorkGroup{X: 8, Y: 8}},
		{29, 71, WorkGroup{X: 32, Y: 8}},
		{1, 40, WorkGroup{X: 16, Y: 16}},
		{40, 1, WorkGroup{X: 4, Y: 4}},
		{2, 3, WorkGroup{X: 8, Y: 8}},
		{9, 17, WorkGroup{X: 5, Y: 7}},
	}
	finals := map[sim.Boundary][]float32{}
	floor := flushFloorFor(c) // llvmpipe keeps subnormals: there every bit must match
	for _, kernel := range Kernels {
		for _, g := range grids {
			for b := sim.Zero; b <= sim.Neumann; b++ {
				p := sim.Defaults()
				p.Rows, p.Cols, p.Images, p.StepsPerImage, p.Boundary = g.rows, g.cols, images, steps, b
				init := sim.InitialState(p.Rows, p.Cols)
				if sim.SeedEmpty(g.rows, g.cols) { // the course's seed is empty on tiny grids
					init.V[p.Cells()/2], init.U[p.Cells()/2] = 1, 0
				}
				s, err := NewSimulator(c, p, Config{WorkGroup: g.wg, Kernel: kernel}, init)
				if err != nil {
					t.Fatal(err)
				}
				ref := sim.NewReference(p, init)
				got := make([]float32, p.Cells())
				for img := range images {
					if err := s.Step(steps); err != nil {
						t.Fatal(err)
					}
					ref.Step(steps)
					if err := s.ReadV(got); err != nil {
						t.Fatal(err)
					}
					if at := firstBitDiff(got, ref.State().V, floor); at >= 0 {
						t.Fatalf("%s %d×%d wg %s %v image %d: V differs at cell %d (row %d, col %d): gpu %g, reference %g",
							kernel, g.rows, g.cols, g.wg, b, img, at, at/g.cols, at%g.cols, got[at], ref.State().V[at])
					}
				}
				if err := s.ReadU(got); err != nil {
					t.Fatal(err)
				}
				if at := firstBitDiff(got, ref.State().U, floor); at >= 0 {
					t.Fatalf("%s %d×%d %v: U differs at cell %d: gpu %g, reference %g", kernel, g.rows, g.cols, b, at, got[at], ref.State().U[at])
				}
				if g.rows == 32 {
					v := ref.State().V
					var edge float32
					for col := range g.cols {
						edge = max(edge, v[col], v[(g.rows-1)*g.cols+col])
					}
					if b != sim.Zero && edge < 1e-2 { // zero drains V at the border by design
						t.Errorf("%v: pattern never reached the border (max V there %g): the boundary is not exercised", b, edge)
					}
					finals[b] = append([]float32(nil), ref.State().V...)
				}
				s.Release()
			}
		}
	}
	// The three boundaries must be told apart, or the test could not catch a mix-up.
	for _, pair := range [][2]sim.Boundary{{sim.Zero, sim.Periodic}, {sim.Zero, sim.Neumann}, {sim.Periodic, sim.Neumann}} {
		if d, _ := maxAbsDiff(finals[pair[0]], finals[pair[1]]); d < 1e-3 {
			t.Errorf("%v and %v give the same field (max diff %g)", pair[0], pair[1], d)
		}
	}
}

func TestSimulatorRejects(t *testing.T) {
	c := newTestContext(t)
	p := sim.Defaults()
	p.Rows, p.Cols = 8, 8
	if _, err := NewSimulator(c, p, Config{}, sim.InitialState(9, 8)); err == nil {
		t.Error("a 9×8 initial state was accepted for an 8×8 grid")
	}
	s, err := NewSimulator(c, p, Config{}, sim.InitialState(8, 8))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if err := s.ReadV(make([]float32, 63)); err == nil {
		t.Error("ReadV into 63 floats was accepted for 64 cells")
	}
	c2 := newTestContext(t)
	c2.Release()
	if err := c2.Call(func() error { return nil }); !errors.Is(err, ErrReleased) {
		t.Errorf("Call after Release: %v, want ErrReleased", err)
	}
}

func BenchmarkStep(b *testing.B) {
	c := newTestContext(b)
	for _, kernel := range Kernels {
		for _, n := range []int{256, 1024, 2048} {
			b.Run(kernel+"/"+sizeName(n), func(b *testing.B) {
				p := sim.Defaults()
				p.Rows, p.Cols = n, n
				s, err := NewSimulator(c, p, Config{Kernel: kernel}, sim.InitialState(n, n))
				if err != nil {
					b.Fatal(err)
				}
				defer s.Release()
				// The first dispatch JIT-compiles the shader on llvmpipe: keep it out.
				_ = s.Step(1)
				_ = s.Finish()
				b.ResetTimer()
				for b.Loop() {
					_ = s.Step(1)
				}
				_ = s.Finish()
				b.ReportMetric(float64(b.N)*float64(n*n)/b.Elapsed().Seconds(), "cells/s")
			})
		}
	}
}

func TestMemoryBandwidthAndTimers(t *testing.T) {
	c := newTestContext(t)
	rates, timed, err := c.MemoryBandwidth(1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rates) != 2 || !(rates[0] > 0) || !(rates[1] > 0) {
		t.Errorf("rates %v", rates)
	}
	p := sim.Defaults()
	p.Rows, p.Cols = 64, 64
	s, err := NewSimulator(c, p, Config{}, sim.InitialState(64, 64))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	d, timedSteps, err := s.TimedStep(3)
	if err != nil || d <= 0 || s.Steps() != 3 {
		t.Errorf("TimedStep: %v %v %v, %d steps", d, timedSteps, err, s.Steps())
	}
	t.Logf("timer queries: copy %v, steps %v", timed, timedSteps)
}

func sizeName(n int) string { return fmt.Sprintf("%dx%d", n, n) }

// TestNoContextErrorListsRoutes hides every EGL vendor from glvnd in a child
// process: the error must name each route tried and why it failed.
func TestNoContextErrorListsRoutes(t *testing.T) {
	if os.Getenv("GRAYSCOTT_TEST_CHILD") == "1" {
		_, err := NewHeadless(Options{})
		fmt.Print(err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoContextErrorListsRoutes$")
	if run := os.Getenv("GRAYSCOTT_BUNDLE_RUN"); run != "" {
		// In a bundle (scripts/bundle.sh) the test binary needs the
		// bundle's loader and libraries: its run script provides them.
		cmd = exec.Command(run, os.Args[0], "-test.run=^TestNoContextErrorListsRoutes$")
	}
	cmd.Env = append(os.Environ(), "GRAYSCOTT_TEST_CHILD=1", "__EGL_VENDOR_LIBRARY_FILENAMES=/nonexistent/vendor.json")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"no OpenGL 4.3 context", "device platform:", "surfaceless:"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error %q lacks %q", out, want)
		}
	}
}

// TestReadbackRing runs the overlapped pipeline pattern (queue a copy after
// each image, complete the oldest when the ring is full) and checks every
// image against the reference, for several ring sizes, mapped both ways;
// every other image carries U.
func TestReadbackRing(t *testing.T) {
	c := newTestContext(t)
	if !c.Limits().BufferStorage {
		t.Log("no ARB_buffer_storage: only per-read mapping is exercised")
	}
	p := sim.Defaults()
	p.Rows, p.Cols, p.Boundary = 20, 36, sim.Neumann
	const images, steps = 7, 30
	init := sim.InitialState(p.Rows, p.Cols)
	ref := sim.NewReference(p, init)
	var want, wantU [][]float32
	for range images {
		ref.Step(steps)
		want = append(want, append([]float32(nil), ref.State().V...))
		wantU = append(wantU, append([]float32(nil), ref.State().U...))
	}
	withU := func(image int) bool { return image%2 == 1 }
	for _, slots := range []int{1, 2, 3, 8} {
		for _, noPersistent := range []bool{false, true} {
			s, err := NewSimulator(c, p, Config{ReadbackSlots: slots, NoPersistentMap: noPersistent}, init)
			if err != nil {
				t.Fatal(err)
			}
			got, gotU := make([]float32, p.Cells()), make([]float32, p.Cells())
			next := 0
			complete := func() {
				var step int64
				var err error
				if withU(next) {
					step, err = s.CompleteReadback(got, gotU)
				} else {
					step, err = s.CompleteReadback(got, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				if step != int64((next+1)*steps) {
					t.Fatalf("slots %d: readback %d taken at step %d, want %d", slots, next, step, (next+1)*steps)
				}
				if d, at := maxAbsDiff(got, want[next]); d > 1e-5 {
					t.Fatalf("slots %d persistent %v: image %d differs by %g at %d", slots, !noPersistent, next, d, at)
				}
				if withU(next) {
					if d, at := maxAbsDiff(gotU, wantU[next]); d > 1e-5 {
						t.Fatalf("slots %d persistent %v: U of image %d differs by %g at %d", slots, !noPersistent, next, d, at)
					}
				}
				next++
			}
			for i := range images {
				if err := s.Step(steps); err != nil {
					t.Fatal(err)
				}
				if err := s.QueueReadback(withU(i)); err != nil {
					t.Fatal(err)
				}
				if s.PendingReadbacks() == slots {
					complete()
				}
			}
			for s.PendingReadbacks() > 0 {
				complete()
			}
			if next != images {
				t.Fatalf("slots %d: %d images read back, want %d", slots, next, images)
			}
			for range slots {
				if err := s.QueueReadback(false); err != nil {
					t.Fatalf("slots %d: queue into a free slot: %v", slots, err)
				}
			}
			if err := s.QueueReadback(false); err == nil {
				t.Errorf("slots %d: queue into a full ring succeeded", slots)
			}
			if _, err := s.CompleteReadback(make([]float32, 3), nil); err == nil {
				t.Error("readback into 3 floats accepted")
			}
			s.Release()
		}
	}
}

// TestReadbackUWithoutCopy asks for U of a readback queued without it:
// served from the current state while no step was queued since (the last
// image of a stopped run), refused once the state has moved on.
func TestReadbackUWithoutCopy(t *testing.T) {
	c := newTestContext(t)
	p := sim.Defaults()
	p.Rows, p.Cols = 17, 23
	init := sim.InitialState(p.Rows, p.Cols)
	ref := sim.NewReference(p, init)
	ref.Step(40)
	s, err := NewSimulator(c, p, Config{ReadbackSlots: 2}, init)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	v, u := make([]float32, p.Cells()), make([]float32, p.Cells())
	s.Step(20)
	s.QueueReadback(false)
	s.Step(20)
	s.QueueReadback(false)
	if _, err := s.CompleteReadback(v, u); err == nil || !strings.Contains(err.Error(), "was not read back") {
		t.Errorf("U of step 20 after 40 steps: %v, want a refusal", err)
	}
	if _, err := s.CompleteReadback(v, nil); err != nil {
		t.Fatal(err)
	}
	step, err := s.CompleteReadback(v, u)
	if err != nil || step != 40 {
		t.Fatalf("U of the newest readback: step %d, %v", step, err)
	}
	if d, at := maxAbsDiff(u, ref.State().U); d > 1e-5 {
		t.Errorf("U from the current state differs from the reference by %g at %d", d, at)
	}
	if d, at := maxAbsDiff(v, ref.State().V); d > 1e-5 {
		t.Errorf("V differs from the reference by %g at %d", d, at)
	}
}

// TestReadbackFenceIsBounded: a readback whose fence never signals (a
// hung GPU, simulated by a wait that always times out) is reported within
// its bound instead of waited for forever, and the slot stays pending.
func TestReadbackFenceIsBounded(t *testing.T) {
	c := newTestContext(t)
	p := sim.Defaults()
	p.Rows, p.Cols = 64, 64
	s, err := NewSimulator(c, p, Config{}, sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	s.fenceWait, s.fenceRate = 50*time.Millisecond, 1e12
	var waits atomic.Int32
	s.ring.clientWait = func(uintptr, uint32, uint64) uint32 {
		waits.Add(1)
		time.Sleep(time.Millisecond)
		return gl.TIMEOUT_EXPIRED
	}
	s.Step(10)
	s.QueueReadback(false)
	v := make([]float32, p.Cells())
	start := time.Now()
	_, err = s.CompleteReadback(v, nil)
	if err == nil || !strings.Contains(err.Error(), "has not arrived") {
		t.Fatalf("a fence that never signals: %v, want an error saying the readback has not arrived", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("the bound of 50 ms took %v", el)
	}
	if waits.Load() < 2 {
		t.Errorf("waited %d times; the loop should retry until the bound", waits.Load())
	}
	if s.PendingReadbacks() != 1 {
		t.Errorf("%d readbacks pending after the timeout, want 1 (the slot stays pending)", s.PendingReadbacks())
	}
	s.ring.clientWait = gl.ClientWaitSync
	if _, err := s.CompleteReadback(v, nil); err != nil {
		t.Errorf("with a working fence the readback completes: %v", err)
	}
}

// BenchmarkReadback compares ways of bringing V back per image at 256²:
// none (steps only), a blocking glGetBufferSubData, and the fenced ring
// with persistent or per-read mapping.
func BenchmarkReadback(b *testing.B) {
	c := newTestContext(b)
	p := sim.Defaults()
	p.Rows, p.Cols = 256, 256
	dst := make([]float32, p.Cells())
	for _, mode := range []string{"none", "get-buffer-sub-data", "ring-persistent", "ring-mapped"} {
		b.Run(mode, func(b *testing.B) {
			s, err := NewSimulator(c, p, Config{NoPersistentMap: mode == "ring-mapped"}, sim.InitialState(p.Rows, p.Cols))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Release()
			s.Step(1)
			s.Finish()
			b.ResetTimer()
			for b.Loop() {
				s.Step(1)
				switch mode {
				case "get-buffer-sub-data":
					s.ReadV(dst)
				case "ring-persistent", "ring-mapped":
					s.QueueReadback(false)
					if s.PendingReadbacks() == s.ReadbackSlots() {
						s.CompleteReadback(dst, nil)
					}
				}
			}
			for s.PendingReadbacks() > 0 {
				s.CompleteReadback(dst, nil)
			}
			s.Finish()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

func TestInfoSoftware(t *testing.T) {
	for _, c := range []struct {
		info Info
		want bool
	}{
		{Info{Renderer: "llvmpipe (LLVM 15.0.6, 256 bits)", Platform: "egl surfaceless"}, true},
		{Info{Renderer: "softpipe", Platform: "egl device 0 (software)"}, true},
		{Info{Renderer: "Mesa X", Platform: "egl device 1 (software)"}, true},
		{Info{Renderer: "NVIDIA H100 80GB HBM3/PCIe/SSE2", Platform: "egl device 0 (hardware)"}, false},
		{Info{Renderer: "AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 15.0.6, DRM 3.54)", Platform: "glfw window"}, false},
	} {
		if got := c.info.Software(); got != c.want {
			t.Errorf("%+v: Software() = %v, want %v", c.info, got, c.want)
		}
	}
}

// TestSetKernelKeepsTheState switches kernels and work groups between
// steps on the same buffers: the state goes on bit for bit as the
// reference's, and each switch takes effect (its work group is reported).
func TestSetKernelKeepsTheState(t *testing.T) {
	c := newTestContext(t)
	p := sim.Defaults()
	p.Rows, p.Cols, p.Boundary = 37, 53, sim.Periodic
	init := sim.InitialState(p.Rows, p.Cols)
	s, err := NewSimulator(c, p, Config{Kernel: KernelNaive, WorkGroup: WorkGroup{X: 16, Y: 16}}, init)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	ref := sim.NewReference(p, init)
	got := make([]float32, p.Cells())
	wgs := []WorkGroup{{X: 8, Y: 8}, {X: 32, Y: 8}, {X: 5, Y: 7}, {X: 64, Y: 4}}
	for i, k := range append(Kernels, KernelNaive) {
		wg := wgs[i%len(wgs)]
		if err := s.SetKernel(k, wg); err != nil {
			t.Fatal(err)
		}
		if s.WorkGroup() != wg {
			t.Fatalf("after SetKernel(%s, %s): work group %s", k, wg, s.WorkGroup())
		}
		if err := s.Step(40); err != nil {
			t.Fatal(err)
		}
		ref.Step(40)
		if err := s.ReadV(got); err != nil {
			t.Fatal(err)
		}
		if at := firstBitDiff(got, ref.State().V, flushFloorFor(c)); at >= 0 {
			t.Fatalf("after switching to %s %s: V differs at cell %d: %g against %g", k, wg, at, got[at], ref.State().V[at])
		}
	}
	if err := s.SetKernel("nonesuch", WorkGroup{}); err == nil || !strings.Contains(err.Error(), "unknown kernel") {
		t.Errorf("SetKernel(nonesuch): %v", err)
	}
}

// flushFloorFor is flushFloor on devices that may flush subnormals, 0 on
// llvmpipe, which keeps them.
func flushFloorFor(c *Context) float64 {
	if c.Info().Software() {
		return 0
	}
	return flushFloor
}
