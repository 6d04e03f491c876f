package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grayscott/cmd/grayscott/internal/runflags"
	"grayscott/gpu"
	"grayscott/sim"
	"grayscott/storage/h5"
)

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// requireGL skips when this machine cannot make a GL context (and fails
// instead under GRAYSCOTT_REQUIRE_GL=1, as in CI).
func requireGL(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "no OpenGL 4.3 context") {
		if os.Getenv("GRAYSCOTT_REQUIRE_GL") == "1" {
			t.Fatalf("no GL context although GRAYSCOTT_REQUIRE_GL=1: %s", stderr)
		}
		t.Skipf("no OpenGL 4.3 context on this machine: %s", stderr)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "exists.h5")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "new.h5")
	cases := []struct {
		args []string
		want string // part of the one-line error
	}{
		{[]string{"-r", "0"}, "--nbrow 0: must be a positive integer"},
		{[]string{"-c", "-5"}, "--nbcol -5: must be a positive integer"},
		{[]string{"-n", "0"}, "--nbimage 0"},
		{[]string{"-e", "-1"}, "--nbextrastep -1"},
		{[]string{"-f", "NaN"}, "--feedrate NaN: must be a number"},
		{[]string{"-k", "-0.1"}, "--killrate -0.1: must not be negative"},
		{[]string{"--du", "-1"}, "--du -1: must not be negative"},
		{[]string{"--dv", "+Inf"}, "--dv +Inf: must be finite"},
		{[]string{"-t", "0"}, "--deltat 0: must be positive"},
		{[]string{"-t", "6"}, "--deltat 6: beyond the stencil's stability limit"},
		{[]string{"-f", "abc"}, "--feedrate abc: want a number"},
		{[]string{"-r", "1.5"}, "--nbrow 1.5: want an integer"},
		{[]string{"--tuning", ""}, "--tuning: want a file, or none"},
		{[]string{"-f", "5"}, "--feedrate 5: must be at most 1"},
		{[]string{"-o", ""}, "--output : empty file name"},
		{[]string{"-q", "-v"}, "--quiet and --verbose"},
		{[]string{"-o", filepath.Join(dir, "run.xmf")}, "XDMF sidecar would have the same name"},
		{[]string{"--json", out}, "would overwrite the output"},
		{[]string{"--json", strings.TrimSuffix(out, ".h5") + ".xmf"}, "would overwrite the XDMF sidecar"},
		{[]string{"-e", "1000000000", "-n", "100000000"}, "exceed 9007199254740992 steps"},
		{[]string{"--preset", "spirals"}, "--preset spirals: want one of"},
		{[]string{"--preset", "worms", "-f", "0.02"}, "leave -f and -k out"},
		{[]string{"--boundary", "mirror"}, "--boundary mirror: want zero, periodic or neumann"},
		{[]string{"--compression-level", "10"}, "--compression-level 10"},
		{[]string{"--workgroup", "0x16"}, "--workgroup 0x16"},
		{[]string{"--workgroup", "64x64"}, "--workgroup 64x64"},
		{[]string{"--kernel", "fast"}, "--kernel fast: want naive, tiled or auto"},
		{[]string{"--egl-platform", "x11"}, "--egl-platform x11"},
		{[]string{"--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-r", "100000", "-c", "100000"}, "--nbrow 100000: grid 100000×100000 has more than"},
		{[]string{"-o", filepath.Join(dir, "missing", "x.h5")}, "does not exist"},
		{[]string{"-o", "/proc/x.h5"}, "not writable"},
		{[]string{"-o", existing}, "exists (use --force to overwrite)"},
	}
	for _, c := range cases {
		args := append([]string{"run", "-o", out}, c.args...)
		code, _, stderr := runMain(args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, exitUsage, stderr)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q lacks %q", c.args, stderr, c.want)
		}
		if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: error is not one line: %q", c.args, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a rejected run created the output file")
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("a rejected run touched the existing file")
	}
	if code, _, _ := runMain("frobnicate"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}
}

func TestHelpListsEveryFlagWithDefaults(t *testing.T) {
	code, stdout, _ := runMain("run", "--help")
	if code != exitOK {
		t.Fatalf("run --help: exit %d", code)
	}
	for _, want := range []string{"-r, --nbrow int", "(default 1080)", "-c, --nbcol", "(default 1920)", "-n, --nbimage", "(default 1000)",
		"-e, --nbextrastep", "(default 34)", "-o, --output", `(default "output.h5")`, "-f, --feedrate", "(default 0.014)",
		"-k, --killrate", "(default 0.054)", "-t, --deltat", "--du", "(default 0.1)", "--dv", "(default 0.05)",
		"--boundary", `(default "zero")`, "--compression-level", "--force", "--workgroup", `(default "auto")`, "--kernel"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"help", "help"}, {"--help", "--help"}, {"-h", "help"}} {
		if code, stdout, _ := runMain(args...); code != exitOK || !strings.Contains(stdout, "grayscott run") {
			t.Errorf("%v: exit %d, %q", args, code, stdout)
		}
	}
	if code, stdout, _ := runMain("help", "info"); code != exitOK || !strings.Contains(stdout, "grayscott info FILE.h5") {
		t.Errorf("help info: exit %d, %q", code, stdout)
	}
}

// TestRunMatchesReference runs the whole command and compares every image
// in the file with the CPU reference.
func TestRunMatchesReference(t *testing.T) {
	for _, level := range []string{"0", "3"} {
		out := filepath.Join(t.TempDir(), "run.h5")
		code, _, stderr := runMain("run", "-r", "24", "-c", "40", "-n", "4", "-e", "50", "--boundary", "periodic",
			"-o", out, "--compression-level", level, "-q")
		requireGL(t, stderr)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		p := sim.Defaults()
		p.Rows, p.Cols, p.Images, p.StepsPerImage, p.Boundary = 24, 40, 4, 50, sim.Periodic
		ref := sim.NewReference(p, sim.InitialState(24, 40))
		r, err := h5.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if n, rows, cols := r.Shape(); n != 4 || rows != 24 || cols != 40 {
			t.Fatalf("shape %d×%d×%d", n, rows, cols)
		}
		got := make([]float32, p.Cells())
		for i := range 4 {
			ref.Step(p.StepsPerImage)
			if err := r.ReadFrame(i, got); err != nil {
				t.Fatal(err)
			}
			for j, want := range ref.State().V {
				if d := math.Abs(float64(got[j] - want)); d > 1e-5 {
					t.Fatalf("image %d cell %d: %g, reference %g", i, j, got[j], want)
				}
			}
		}
		if fw, _ := r.Int("frames_written"); fw != 4 {
			t.Errorf("frames_written = %d", fw)
		}
		r.Close()
	}
}

func TestTuningPicksTheNearestMeasuredSize(t *testing.T) {
	entries := []tuningEntry{
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
		e, ok := bestTuning(entries, c.renderer, c.cells)
		if ok != c.ok || (ok && e.Kernel+" "+e.Workgroup != c.want) {
			t.Errorf("%s %d cells: %+v %v, want %q", c.renderer, c.cells, e, ok, c.want)
		}
	}
}

func TestFlagDefaultsMatchTheLibraries(t *testing.T) {
	if runflags.DefaultReadbackSlots != gpu.DefaultReadbackSlots || runflags.DefaultWorkGroup != gpu.DefaultWorkGroup.String() ||
		runflags.MaxInvocations != gpu.MaxInvocations {
		t.Errorf("runflags defaults (%d slots, %s, %d) differ from gpu's (%d, %s, %d)",
			runflags.DefaultReadbackSlots, runflags.DefaultWorkGroup, runflags.MaxInvocations,
			gpu.DefaultReadbackSlots, gpu.DefaultWorkGroup, gpu.MaxInvocations)
	}
}
