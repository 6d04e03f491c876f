//go:build !nowindow

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"grayscott/colormap"
	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// TestWindowScreenshotMatchesReference runs with --window --screenshot on
// each engine (the GPU's fields drawn from its own buffers, the CPU's
// uploaded) and compares the picture with the CPU reference through the
// same colormap; the file must equal a headless run's.
func TestWindowScreenshotMatchesReference(t *testing.T) {
	testutil.RequireDisplay(t)
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

func TestWindowWithoutDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	code, _, stderr := runMain("run", "--window", "-r", "16", "-c", "16", "-n", "1", "-o", filepath.Join(t.TempDir(), "x.h5"))
	if code != exitUsage || !strings.Contains(stderr, "no display") {
		t.Errorf("exit %d, %q; want 2 and a no-display error", code, stderr)
	}
}

// TestWindowStopsOnSignalsAsHeadless: SIGINT and SIGTERM stop a --window
// run as they stop a headless one: exit 130 and 143, the file recording
// "interrupted: received SIGINT" (SIGTERM), checkpointed and resumable;
// not "the window was closed" with exit 0.
func TestWindowStopsOnSignalsAsHeadless(t *testing.T) {
	testutil.RequireDisplay(t)
	for _, c := range []struct {
		sig  os.Signal
		code int
		name string
	}{{os.Interrupt, 130, "SIGINT"}, {syscall.SIGTERM, 143, "SIGTERM"}} {
		out := filepath.Join(t.TempDir(), "w.h5")
		w := startWatchedRun(t, "--window", "--steps-per-draw", "5", "--flush-every", "2", "-o", out)
		if _, ok := stopAfterFlush(w, c.sig, 2, seededRand(t)); !ok {
			t.Fatalf("%s: the run ended before its second flush:\n%s", c.name, w.stderr)
		}
		code := w.exitCode(t)
		st := h5test.Status(t, out)
		if code != c.code || st.Completed || st.StopReason != "interrupted: received "+c.name || st.Checkpoint == nil {
			t.Errorf("%s: exit %d (want %d), completed %v, stop_reason %q, checkpoint %v\n%s",
				c.name, code, c.code, st.Completed, st.StopReason, st.Checkpoint, w.stderr)
		}
	}
}
