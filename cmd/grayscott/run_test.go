package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"grayscott/gpu"
	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
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
		testutil.RequireGL(t, stderr)
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
		{[]string{"-t", "-1"}, "--deltat -1: must be positive"},
		{[]string{"-t", "6"}, "--deltat 6: beyond the stencil's stability limit"},
		{[]string{"-f", "abc"}, "--feedrate abc: want a number"},
		{[]string{"-f", "1e40"}, "--feedrate 1e40: out of float32's range"},
		{[]string{"-r", "1.5"}, "--nbrow 1.5: want an integer"},
		{[]string{"--tuning", ""}, "--tuning: want a file, or none"},
		{[]string{"--tuning", filepath.Join(dir, "missing.json")}, "missing.json: no such file"},
		{[]string{"--json", dir}, "is a folder; name a file"},
		{[]string{"--engine", "fpga"}, "--engine fpga: want auto, gpu or cpu"},
		{[]string{"--threads", "-2"}, "--threads -2: must be at least 0"},
		{[]string{"--engine", "gpu", "--threads", "2"}, "--engine gpu has none"},
		{[]string{"--engine", "cpu", "--kernel", "tiled"}, "tune the GPU engine"},
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
		{[]string{"--compression", "bitshuffle-lz4", "--keep-bits", "0"}, "--keep-bits 0: want 1 to 23"},
		{[]string{"--compression", "bitshuffle-lz4", "--keep-bits", "24"}, "--keep-bits 24: want 1 to 23"},
		{[]string{"--compression", "deflate", "--keep-bits", "-1"}, "--keep-bits -1: want 1 to 23"},
		{[]string{"--keep-bits", "10"}, "--keep-bits 10: rounding saves space only with a codec"},
		{[]string{"--compression", "none", "--keep-bits", "10"}, "--keep-bits 10: rounding saves space only with a codec"},
		{[]string{"--compression-level", "0", "--keep-bits", "10"}, "--keep-bits 10: rounding saves space only with a codec"},
		{[]string{"--compression", "bitshuffle-lz4:1"}, "takes no level"},
		{[]string{"--workgroup", "0x16"}, "--workgroup 0x16"},
		{[]string{"--workgroup", "64x64"}, "--workgroup 64x64"},
		{[]string{"--kernel", "fast"}, "--kernel fast: want naive, column, block, tiled or auto"},
		{[]string{"--egl-platform", "x11"}, "--egl-platform x11"},
		{[]string{"--publish-every", "-1s"}, "--publish-every -1s: must be at least 0"},
		{[]string{"--publish-every", "5"}, "--publish-every 5: want a duration with a unit, e.g. 1s or 500ms"},
		{[]string{"--feedrat", "0.1"}, "unknown flag: --feedrat (did you mean --feedrate?)"},
		{[]string{"--window=maybe"}, "--window maybe: want true or false"},
		{[]string{"--storage-buffer-len", "two"}, "--storage-buffer-len two: want an integer"},
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
	for _, args := range [][]string{{"frobnicate"}, {"version", "--bogus"}} {
		if code, _, stderr := runMain(args...); code != exitUsage {
			t.Errorf("%v: exit %d, %q; want 2", args, code, stderr)
		}
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

// TestRunMatchesReference runs the whole command on each engine, each GPU
// kernel and unusual work groups, on odd grids, and compares every cell of
// every image (the four edges included) with the CPU reference, bit for
// bit: the CPU engine follows its operations exactly, and so does llvmpipe.
func TestRunMatchesReference(t *testing.T) {
	for _, c := range []struct {
		engine, level string
		extra         []string
	}{
		{"gpu", "0", []string{"--kernel", "naive", "--workgroup", "16x16"}},
		{"gpu", "3", []string{"--kernel", "tiled", "--workgroup", "5x7"}},
		{"gpu", "0", []string{"--kernel", "column", "--workgroup", "32x4"}},
		{"gpu", "0", []string{"--kernel", "block", "--workgroup", "3x9"}},
		{"cpu", "0", []string{"--threads", "3"}},
		{"cpu", "3", nil},
	} {
		out := filepath.Join(t.TempDir(), "run.h5")
		args := append([]string{"run", "-r", "23", "-c", "41", "-n", "4", "-e", "50", "--boundary", "periodic",
			"-o", out, "--compression-level", c.level, "--engine", c.engine, "--tuning", "none", "-q"}, c.extra...)
		code, _, stderr := runMain(args...)
		requireGL(t, stderr)
		if code != exitOK {
			t.Fatalf("%+v: exit %d: %s", c, code, stderr)
		}
		p := sim.Defaults()
		p.Rows, p.Cols, p.Images, p.StepsPerImage, p.Boundary = 23, 41, 4, 50, sim.Periodic
		ref := sim.NewReference(p, sim.InitialState(23, 41))
		r, err := h5.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if n, rows, cols := r.Shape(); n != 4 || rows != 23 || cols != 41 {
			t.Fatalf("shape %d×%d×%d", n, rows, cols)
		}
		got := make([]float32, p.Cells())
		for i := range 4 {
			ref.Step(p.StepsPerImage)
			if err := r.ReadFrame(i, got); err != nil {
				t.Fatal(err)
			}
			for j, want := range ref.State().V {
				if math.Float32bits(got[j]) != math.Float32bits(want) {
					t.Fatalf("%+v: image %d cell %d: %g, reference %g", c, i, j, got[j], want)
				}
			}
		}
		if fw, _ := r.Int("frames_written"); fw != 4 {
			t.Errorf("frames_written = %d", fw)
		}
		if e, _ := r.String("engine"); e != c.engine {
			t.Errorf("engine attribute %q, want %q", e, c.engine)
		}
		r.Close()
	}
}

// TestResumeOnTheOtherEngine starts a file on one engine and continues it
// on the other: the images are those of one uninterrupted run, and the
// file names the engine that finished it, without the other's attributes.
func TestResumeOnTheOtherEngine(t *testing.T) {
	args := []string{"-q", "-r", "30", "-c", "26", "-e", "40", "--boundary", "neumann"}
	whole := filepath.Join(t.TempDir(), "whole.h5")
	if code, _, stderr := runMain(append([]string{"run", "-n", "6", "--engine", "cpu", "-o", whole}, args...)...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := h5test.ReadImages(t, whole)
	for _, c := range []struct{ first, second string }{{"gpu", "cpu"}, {"cpu", "gpu"}} {
		out := filepath.Join(t.TempDir(), "split.h5")
		code, _, stderr := runMain(append([]string{"run", "-n", "3", "--engine", c.first, "-o", out}, args...)...)
		requireGL(t, stderr)
		if code != exitOK {
			t.Fatalf("%+v: exit %d: %s", c, code, stderr)
		}
		if code, _, stderr := runMain("run", "-q", "--resume", out, "-n", "6", "--engine", c.second); code != exitOK {
			t.Fatalf("%+v: resume: exit %d: %s", c, code, stderr)
		}
		got := h5test.ReadImages(t, out)
		if len(got) != len(want) {
			t.Fatalf("%+v: %d images, want %d", c, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				if got[i][j] != want[i][j] {
					t.Fatalf("%+v: image %d cell %d = %v, the uninterrupted run wrote %v", c, i, j, got[i][j], want[i][j])
				}
			}
		}
		r, err := h5.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		engine, _ := r.String("engine")
		_, glErr := r.String("gl_renderer")
		_, thErr := r.Int("threads")
		r.Close()
		if engine != c.second || (c.second == "cpu") != (glErr != nil) || (c.second == "cpu") != (thErr == nil) {
			t.Errorf("%+v: engine %q, gl_renderer present %v, threads present %v", c, engine, glErr == nil, thErr == nil)
		}
	}
}

// TestAutoEngine: --engine auto (the default) takes the GPU where EGL finds
// a hardware device and the CPU engine where the only GL is a software
// rasterizer, saying why in one log line.
func TestAutoEngine(t *testing.T) {
	c, err := gpu.NewHeadless(gpu.Options{})
	want := "gpu"
	if err != nil || c.Info().Software() {
		want = "cpu"
	}
	if err == nil {
		c.Release()
	}
	out := filepath.Join(t.TempDir(), "auto.h5")
	code, _, stderr := runMain("run", "-r", "16", "-c", "16", "-n", "2", "-e", "3", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if e, _ := r.String("engine"); e != want {
		t.Errorf("auto chose %q here, want %q", e, want)
	}
	if why := strings.Count(stderr, "engine: cpu"); (want == "cpu") != (why == 1) {
		t.Errorf("%d log lines say why the CPU engine was chosen; stderr:\n%s", why, stderr)
	}
}

// TestJSONHasTheREADMEFields reads the field list of the README's
// "--json fields" section and checks that a completed run's --json has
// every one (stop_reason too, empty).
func TestJSONHasTheREADMEFields(t *testing.T) {
	fields := testutil.Names(testutil.READMESection(t, "../../README.md", "### `--json` fields"))
	if len(fields) < 30 {
		t.Fatalf("read only %d fields from the README: %v", len(fields), fields)
	}
	dir := t.TempDir()
	js := filepath.Join(dir, "s.json")
	if code, _, stderr := runMain("run", "-q", "--engine", "cpu", "-r", "16", "-c", "16", "-n", "2", "-e", "3",
		"-o", filepath.Join(dir, "o.h5"), "--json", js); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, f := range fields {
		if _, ok := got[f]; !ok && f != "gpu" && f != "cpu" {
			t.Errorf("--json of a completed CPU run lacks %q (the README lists it)", f)
		}
	}
	if got["stop_reason"] != "" || got["completed"] != true {
		t.Errorf("completed %v, stop_reason %q", got["completed"], got["stop_reason"])
	}
}

// TestInstallDepsCheckSaysNothingMissing: make test installs the test
// packages first, so the check of them says, in words, that none is missing.
func TestInstallDepsCheckSaysNothingMissing(t *testing.T) {
	out, err := exec.Command("../../scripts/install-deps.sh", "--check", "--test").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "install-deps: nothing missing (") {
		t.Errorf("install-deps.sh --check --test: %v, %q", err, out)
	}
}
