package engine

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"grayscott/gpu"
	"grayscott/gpu/gpuconf"
	"grayscott/internal/testutil"
	"grayscott/sim"
)

func TestTuningPicksTheNearestMeasuredSize(t *testing.T) {
	entries := []Tuning{
		{Renderer: "A", Size: 256, Kernel: "tiled", Workgroup: "8x8"},
		{Renderer: "A", Size: 2048, Kernel: "naive", Workgroup: "32x8"},
		{Renderer: "B", Size: 1024, Kernel: "tiled", Workgroup: "16x16"},
	}
	for _, c := range []struct {
		renderer string
		cells    int
		want     string
		ok       bool
	}{{"A", 300 * 300, "tiled 8x8", true}, {"A", 1080 * 1920, "naive 32x8", true}, {"B", 16, "tiled 16x16", true}, {"C", 1 << 20, "", false}} {
		e, ok := BestTuning(entries, c.renderer, c.cells)
		if ok != c.ok || (ok && e.Kernel+" "+e.Workgroup != c.want) {
			t.Errorf("%s %d cells: %+v %v, want %q", c.renderer, c.cells, e, ok, c.want)
		}
	}
}

// TestTuningFileRoundTrip saves measurements, replaces those of the same
// device and size, and resolves auto from them; what was given on the
// command line stays.
func TestTuningFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache", "tuning.json")
	if err := SaveTuning(path, []Tuning{{Renderer: "R", Size: 512, Kernel: "naive", Workgroup: "8x8"},
		{Renderer: "R", Size: 64, Kernel: "block", Workgroup: "16x16"}}); err != nil {
		t.Fatal(err)
	}
	if err := SaveTuning(path, []Tuning{{Renderer: "R", Size: 512, Kernel: "tiled", Workgroup: "32x8", Date: "today"}}); err != nil {
		t.Fatal(err)
	}
	entries, err := LoadTuning(path)
	if err != nil || len(entries) != 2 {
		t.Fatalf("after a replacement: %v entries, %v", entries, err)
	}
	for _, c := range []struct {
		kernel string
		wg     gpuconf.WorkGroup
		path   string
		want   string
	}{
		{"auto", gpuconf.WorkGroup{}, path, "tiled 32x8 measured best here at 512²"},
		{"naive", gpuconf.WorkGroup{}, path, "naive 32x8 measured"},
		{"", gpuconf.WorkGroup{X: 4, Y: 4}, path, "tiled 4x4 measured"},
		{"auto", gpuconf.WorkGroup{}, "", "column 16x16 defaults: --tuning none"},
		{"auto", gpuconf.WorkGroup{}, filepath.Join(t.TempDir(), "none.json"), "column 16x16 defaults: no grayscott bench"},
	} {
		k, wg, why := ResolveTuning(c.kernel, c.wg, c.path, "R", 500*500)
		got := k + " " + wg.String() + " " + why[strings.Index(why, "(")+1:]
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("ResolveTuning(%q, %v, %q) = %q, want %q…", c.kernel, c.wg, c.path, got, c.want)
		}
	}
	if k, wg, why := ResolveTuning("block", gpuconf.WorkGroup{X: 8, Y: 8}, path, "R", 100); k != "block" || wg.X != 8 || why != "" {
		t.Errorf("nothing to resolve: %s %v %q", k, wg, why)
	}
}

// TestOpenEachEngine makes both engines on the same parameters and
// checks they step to the same V (the model is bit-exact on both here),
// with the provenance each records and the other's it drops.
func TestOpenEachEngine(t *testing.T) {
	p := sim.Defaults()
	p.Rows, p.Cols, p.StepsPerImage, p.Images = 24, 32, 5, 1
	var vs [][]float32
	for _, kind := range []string{CPU, GPU} {
		e, info, err := Open(p, Options{Kind: kind, Threads: 2, Tuning: ""})
		if err != nil {
			if kind == GPU {
				testutil.RequireGL(t, err)
			}
			t.Fatal(err)
		}
		if err := e.Step(7); err != nil {
			t.Fatal(err)
		}
		v := make([]float32, p.Cells())
		if err := e.ReadV(v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
		e.Release()
		set, drop := info.Attrs()
		names := []string{}
		for _, a := range set {
			names = append(names, a.Name)
		}
		other := map[string]string{CPU: "gl_renderer", GPU: "threads"}[kind]
		if info.Name != kind || !slices.Contains(names, "engine") || slices.Contains(names, other) || !slices.Contains(drop, other) {
			t.Errorf("%s: info %v, attrs %v, drops %v", kind, info, names, drop)
		}
		if kind == GPU && (info.Kernel != gpuconf.DefaultKernel || info.WorkGroup != gpuconf.DefaultWorkGroup) {
			t.Errorf("gpu with no tuning file: kernel %s work group %v, want the defaults", info.Kernel, info.WorkGroup)
		}
	}
	testutil.SameImages(t, "cpu against gpu after 7 steps", vs[:1], vs[1:])
}

// TestAutoTakesTheCPUOverASoftwareRasterizer: auto takes the GPU engine
// on a hardware device and the CPU engine on llvmpipe (or no GL), saying
// why in one log line; an explicit gpu runs on whatever GL there is.
func TestAutoTakesTheCPUOverASoftwareRasterizer(t *testing.T) {
	c, err := gpu.NewHeadless(gpu.Options{})
	want := GPU
	if err != nil || c.Info().Software() {
		want = CPU
	}
	if err == nil {
		c.Release()
	}
	p := sim.Defaults()
	p.Rows, p.Cols = 16, 16
	var log bytes.Buffer
	e, info, err := Open(p, Options{Log: slog.New(slog.NewTextHandler(&log, nil)), Kernel: "naive"})
	if err != nil {
		t.Fatal(err)
	}
	e.Release()
	said := strings.Count(log.String(), "engine: cpu")
	if info.Name != want || (want == CPU) != (said == 1) {
		t.Errorf("auto chose %s (want %s); log:\n%s", info.Name, want, log.String())
	}
	if want == CPU && !strings.Contains(log.String(), "the CPU engine ignores them") {
		t.Errorf("--kernel given to an auto run that took the CPU: no warning in\n%s", log.String())
	}
	if _, _, err := Open(p, Options{Kind: "tpu"}); err == nil {
		t.Error("an unknown engine was accepted")
	}
}
