//go:build !nowindow

package preview

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-gl/glfw/v3.3/glfw"

	"grayscott/gpu"
	"grayscott/internal/testutil"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage/h5"
)

// TestWindowKeysAndMouse injects input through the handlers GLFW calls and
// checks the effects frame by frame.
func TestWindowKeysAndMouse(t *testing.T) {
	testutil.RequireDisplay(t)
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = 32, 48, 1000, 10
	v, err := Open(p, Options{StepsPerDraw: 4, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		testutil.RequireGL(t, err)
	}
	defer v.Close()
	s, err := gpu.NewSimulator(v.Context(), p, gpu.Config{}, sim.InitialState(p.Rows, p.Cols))
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
		quit, ended, err := v.frame(ctx)
		if err != nil || ended {
			t.Fatalf("frame: ended %v, %v", ended, err)
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
	if err := v.finish(); err != nil {
		t.Fatal(err)
	}
	if _, err := pl.Close(ErrClosed); err != nil {
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
