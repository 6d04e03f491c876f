//go:build !nowindow

package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-gl/glfw/v3.3/glfw"

	"grayscott/colormap"
	"grayscott/gpu"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// requireDisplay skips where no X display exists (make test runs the
// tests under xvfb-run; GRAYSCOTT_REQUIRE_DISPLAY=1 makes its absence fail).
func requireDisplay(t *testing.T) {
	t.Helper()
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		if os.Getenv("GRAYSCOTT_REQUIRE_DISPLAY") == "1" {
			t.Fatal("no display although GRAYSCOTT_REQUIRE_DISPLAY=1")
		}
		t.Skip("no X display here: make test runs the window tests under xvfb-run")
	}
}

// TestWindowScreenshotMatchesReference runs with --window --screenshot on
// each engine (the GPU's fields drawn from its own buffers, the CPU's
// uploaded) and compares the picture with the CPU reference through the
// same colormap; the file must equal a headless run's.
func TestWindowScreenshotMatchesReference(t *testing.T) {
	requireDisplay(t)
	for _, engine := range []string{"gpu", "cpu"} {
		t.Run(engine, func(t *testing.T) { testWindowScreenshot(t, engine) })
	}
}

func testWindowScreenshot(t *testing.T, engine string) {
	dir := t.TempDir()
	shot, out, headless := filepath.Join(dir, "shot.png"), filepath.Join(dir, "win.h5"), filepath.Join(dir, "headless.h5")
	args := []string{"-r", "32", "-c", "48", "-n", "3", "-e", "50", "--boundary", "neumann", "-q"}
	code, _, stderr := runMain(append([]string{"run", "--window", "--engine", engine, "--screenshot", shot, "-o", out}, args...)...)
	requireGL(t, stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runMain(append([]string{"run", "-o", headless}, args...)...); code != exitOK {
		t.Fatalf("headless: exit %d: %s", code, stderr)
	}
	r, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := r.String("engine"); e != engine {
		t.Errorf("the window run used engine %q, want %q", e, engine)
	}
	r.Close()
	a, b := h5test.ReadImages(t, out), h5test.ReadImages(t, headless)
	for i := range b {
		for j := range b[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("image %d cell %d: window run %v, headless %v", i, j, a[i][j], b[i][j])
			}
		}
	}
	p := sim.Defaults()
	p.Rows, p.Cols, p.Boundary = 32, 48, sim.Neumann
	ref := sim.NewReference(p, sim.InitialState(32, 48))
	ref.Step(150)
	img := decodePNG(t, shot)
	const scale = 21 // window.initialSize for 32×48
	if img.Bounds().Dx() != 48*scale || img.Bounds().Dy() != 32*scale {
		t.Fatalf("screenshot %v, want %d×%d", img.Bounds(), 48*scale, 32*scale)
	}
	cm, _ := colormap.Lookup(colormap.Default)
	var off int
	for y := range 32 * scale {
		for x := range 48 * scale {
			want := cm.Table()[colormap.Index(ref.State().V[(y/scale)*48+x/scale], 0, 0.5)]
			r, g, bl, _ := img.At(x, y).RGBA()
			if absDiff(int(r>>8), int(want[0])) > 2 || absDiff(int(g>>8), int(want[1])) > 2 || absDiff(int(bl>>8), int(want[2])) > 2 {
				off++
			}
		}
	}
	// A value within 1e-5 of a colormap step may land on the next entry.
	if total := 32 * 48 * scale * scale; off > total/200 {
		t.Errorf("%d of %d pixels differ from the colormapped reference", off, total)
	}
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// TestWindowKeysAndMouse injects input through the handlers GLFW calls and
// checks the effects frame by frame.
func TestWindowKeysAndMouse(t *testing.T) {
	requireDisplay(t)
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = 32, 48, 1000, 10
	cfg := &runConfig{pipe: pipeline.Config{Params: p}, window: true, stepsPerDraw: 4}
	vw, glctx, err := openViewer(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		requireGL(t, err.Error())
		t.Fatal(err)
	}
	v := vw.(*windowViewer)
	defer v.close()
	s, err := gpu.NewSimulator(glctx, p, gpu.Config{}, sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	out := filepath.Join(t.TempDir(), "keys.h5")
	pl, err := pipeline.New(s, pipeline.Config{Params: p, Output: out, BufferLen: 1}, pipeline.OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	v.eng, v.pl = s, pl
	ctx := context.Background()
	frame := func() bool {
		t.Helper()
		quit, err := v.frame(ctx, pl)
		if err != nil {
			t.Fatal(err)
		}
		return quit
	}
	press := func(k glfw.Key) { v.win.Key(k, glfw.Press); v.win.Key(k, glfw.Release) }

	frame()
	if s.Steps() != 4 {
		t.Fatalf("%d steps after one frame at --steps-per-draw 4", s.Steps())
	}
	press(glfw.KeySpace)
	for range 3 {
		frame()
	}
	if s.Steps() != 4 {
		t.Errorf("paused, yet the step count moved to %d", s.Steps())
	}
	press(glfw.KeyEqual) // '+'
	press(glfw.KeySpace)
	frame()
	if s.Steps() != 12 || v.stepsPerDraw != 8 {
		t.Errorf("after + and resume: %d steps, %d per draw; want 12 and 8", s.Steps(), v.stepsPerDraw)
	}
	for range 5 {
		frame()
	}
	press(glfw.KeySpace) // pause, then reset
	press(glfw.KeyR)
	frame()
	init := sim.InitialState(p.Rows, p.Cols)
	got := make([]float32, p.Cells())
	if err := s.ReadV(got); err != nil {
		t.Fatal(err)
	}
	if d, at := maxDiff(got, init.V); d != 0 || s.Steps() != 0 {
		t.Errorf("after r: V differs from the initial state by %g at %d, step %d", d, at, s.Steps())
	}
	// Paint at cell (row 5, col 40), far from the seed: the window is 21
	// pixels per cell.
	v.win.CursorPos(40.5*21, 5.5*21)
	v.win.MouseButton(glfw.MouseButtonLeft, glfw.Press)
	v.win.MouseButton(glfw.MouseButtonLeft, glfw.Release)
	frame()
	if err := s.ReadV(got); err != nil {
		t.Fatal(err)
	}
	if got[5*48+40] != 1 || got[5*48+20] != 0 {
		t.Errorf("painting at (5,40): V there %v, at (5,20) %v; want 1 and 0", got[5*48+40], got[5*48+20])
	}
	press(glfw.KeyP)
	frame()
	if pr := s.Params(); pr.Feed != sim.Presets[0].Feed || pr.Kill != sim.Presets[0].Kill {
		t.Errorf("after p: F %v k %v, want preset %+v", pr.Feed, pr.Kill, sim.Presets[0])
	}
	before := v.win.Colormap()
	press(glfw.KeyC)
	if frame(); v.win.Colormap() == before {
		t.Error("c did not change the colormap")
	}
	press(glfw.KeyEscape)
	if !frame() {
		t.Error("Esc did not quit")
	}
	if err := v.finish(pl); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Close(errWindowClosed); err != nil {
		t.Fatal(err)
	}
	r, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	changes, _ := r.String("interactive_changes")
	for _, want := range []string{"reset", "painted", "preset default"} {
		if !strings.Contains(changes, want) {
			t.Errorf("interactive_changes %q lacks %q", changes, want)
		}
	}
}

func maxDiff(a, b []float32) (float32, int) {
	var worst float32
	at := -1
	for i := range a {
		d := a[i] - b[i]
		if d < 0 {
			d = -d
		}
		if d > worst {
			worst, at = d, i
		}
	}
	return worst, at
}

func TestWindowWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	code, _, stderr := runMain("run", "--window", "-r", "16", "-c", "16", "-n", "1", "-o", filepath.Join(t.TempDir(), "x.h5"))
	if code != exitUsage || !strings.Contains(stderr, "no display") {
		t.Errorf("exit %d, %q; want 2 and a no-display error", code, stderr)
	}
}
