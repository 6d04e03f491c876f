package testutil

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Readers outside grayscott, run as their users run them: h5py (Debian's,
// for /usr/bin/python3) and h5dump. A bitshuffle-lz4 file reaches them
// through the real bitshuffle plugin (Debian's bitshuffle package, which
// scripts/install-deps.sh --test installs), never through grayscott's own
// decoder.

// Python is Debian's python3, the one with h5py (the python3 on PATH may
// lack it).
const Python = "/usr/bin/python3"

// pluginDirs are where Debian's HDF5 looks for filter plugins by default.
var pluginDirs = []string{
	"/usr/lib/x86_64-linux-gnu/hdf5/serial/plugins",
	"/usr/lib/aarch64-linux-gnu/hdf5/serial/plugins",
}

// BitshufflePlugin returns the path of the bitshuffle HDF5 plugin
// (filter 32008), libh5bshuf.so, skipping the test where it is not
// installed.
func BitshufflePlugin(tb testing.TB) string {
	tb.Helper()
	for _, d := range pluginDirs {
		lib := filepath.Join(d, "libh5bshuf.so")
		if _, err := os.Stat(lib); err == nil {
			return lib
		}
	}
	MissingReader(tb, "the bitshuffle HDF5 plugin (libh5bshuf.so) is not installed in %v (Debian package bitshuffle, scripts/install-deps.sh --test)", pluginDirs)
	return ""
}

// HaveH5py reports whether /usr/bin/python3 imports h5py, for a check
// that is one part of a test; under GRAYSCOTT_REQUIRE_READERS=1 its
// absence fails the test (see MissingReader).
func HaveH5py(tb testing.TB) bool {
	tb.Helper()
	if out, err := exec.Command(Python, "-c", "import h5py").CombinedOutput(); err != nil {
		if readersRequired() {
			tb.Fatalf("GRAYSCOTT_REQUIRE_READERS=1, but h5py is not installed for %s: %v %s", Python, err, out)
		}
		return false
	}
	return true
}

// H5dumpPath returns h5dump's path, or "" where it is not installed (a
// failure under GRAYSCOTT_REQUIRE_READERS=1), for a check that is one part
// of a test.
func H5dumpPath(tb testing.TB) string {
	tb.Helper()
	h5dump, err := exec.LookPath("h5dump")
	if err != nil && readersRequired() {
		tb.Fatal("GRAYSCOTT_REQUIRE_READERS=1, but h5dump is not installed (Debian package hdf5-tools)")
	}
	return h5dump
}

// RequireH5py skips the test where /usr/bin/python3 cannot import h5py.
func RequireH5py(tb testing.TB) {
	tb.Helper()
	if out, err := exec.Command(Python, "-c", "import h5py").CombinedOutput(); err != nil {
		MissingReader(tb, "h5py is not installed for %s (Debian package python3-h5py, scripts/install-deps.sh --test): %v %s", Python, err, out)
	}
}

// H5py runs a Python script (with h5py, numpy, json and sys imported) on
// args, with the bitshuffle plugin installed, and returns its standard
// output; the script's failure fails the test. The script loads no plugin
// itself: HDF5 finds it in its default folder, as for any user.
func H5py(tb testing.TB, script string, args ...string) []byte {
	tb.Helper()
	out, err := H5pyErr(tb, script, args...)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// H5pyErr is H5py returning the script's failure (with its stderr's last
// line, Python's exception) instead of failing the test.
func H5pyErr(tb testing.TB, script string, args ...string) ([]byte, error) {
	tb.Helper()
	return H5pyEnv(tb, nil, script, args...)
}

// H5pyEnv is H5pyErr with env added to the script's environment (for
// example HDF5_PLUGIN_PRELOAD=::, which keeps every plugin out of it).
func H5pyEnv(tb testing.TB, env []string, script string, args ...string) ([]byte, error) {
	tb.Helper()
	RequireH5py(tb)
	BitshufflePlugin(tb)
	cmd := exec.Command(Python, append([]string{"-c", "import sys, json, h5py, numpy as np\n" + script}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		return out, fmt.Errorf("h5py %v: %v: %s", args, err, lines[len(lines)-1])
	}
	return out, nil
}

// h5pyRead writes dataset name of the file given first, as little-endian
// float32s, to the file given third, and prints its shape and type.
const h5pyRead = `
with h5py.File(sys.argv[1], "r") as f:
    d = f[sys.argv[2]]
    a = d[...]
    np.ascontiguousarray(a, dtype="<f4").tofile(sys.argv[3])
    print(json.dumps({"shape": list(a.shape), "dtype": str(d.dtype)}))
`

// H5pyDataset reads dataset name (a float32 dataset, "matrix" or
// "checkpoint/u0") of the file at path with h5py, opened plainly
// (h5py.File(path, "r")), and returns its values and shape.
func H5pyDataset(tb testing.TB, path, name string) ([]float32, []int) {
	tb.Helper()
	raw := filepath.Join(tb.TempDir(), "h5py.f32")
	var got struct {
		Shape []int
		Dtype string
	}
	out := H5py(tb, h5pyRead, path, name, raw)
	if err := json.Unmarshal(out, &got); err != nil {
		tb.Fatalf("h5py reading %s:/%s printed %q: %v", path, name, out, err)
	}
	if got.Dtype != "float32" {
		tb.Fatalf("h5py: %s:/%s is %s, want float32", path, name, got.Dtype)
	}
	return readFloats(tb, raw, product(got.Shape)), got.Shape
}

// H5pyImages reads every image of /matrix of the file at path with h5py.
func H5pyImages(tb testing.TB, path string) [][]float32 {
	tb.Helper()
	v, shape := H5pyDataset(tb, path, "matrix")
	if len(shape) != 3 {
		tb.Fatalf("h5py: %s:/matrix has shape %v, want 3 dimensions", path, shape)
	}
	return frames(v, shape[1]*shape[2])
}

var dataspace = regexp.MustCompile(`DATASPACE\s+SIMPLE\s+\{\s*\(\s*([0-9, ]+)\)`)

// H5dumpImages reads every image of /matrix of the file at path with
// h5dump, HDF5_PLUGIN_PATH naming the bitshuffle plugin's folder (as the
// README tells users to run it): the values it writes (h5dump -b LE), not
// just its exit status. It skips where h5dump is not installed.
func H5dumpImages(tb testing.TB, path string) [][]float32 {
	tb.Helper()
	h5dump, err := exec.LookPath("h5dump")
	if err != nil {
		MissingReader(tb, "h5dump is not installed (Debian package hdf5-tools, scripts/install-deps.sh)")
	}
	env := append(os.Environ(), "HDF5_PLUGIN_PATH="+filepath.Dir(BitshufflePlugin(tb)))
	cmd := exec.Command(h5dump, "-H", "-d", "/matrix", path)
	cmd.Env = env
	head, err := cmd.CombinedOutput()
	m := dataspace.FindSubmatch(head)
	if err != nil || m == nil {
		tb.Fatalf("h5dump -H -d /matrix %s: %v\n%s", path, err, head)
	}
	var shape []int
	for _, s := range strings.Split(string(m[1]), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			tb.Fatalf("h5dump's dataspace %q: %v", m[1], err)
		}
		shape = append(shape, n)
	}
	if len(shape) != 3 {
		tb.Fatalf("h5dump: %s:/matrix has shape %v, want 3 dimensions", path, shape)
	}
	raw := filepath.Join(tb.TempDir(), "h5dump.f32")
	cmd = exec.Command(h5dump, "-d", "/matrix", "-b", "LE", "-o", raw, path)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	return frames(readFloats(tb, raw, product(shape)), shape[1]*shape[2])
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// readFloats reads n little-endian float32s, the whole of the file at path.
func readFloats(tb testing.TB, path string, n int) []float32 {
	tb.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && n == 0 {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) != 4*n {
		tb.Fatalf("%s: %d bytes, want %d float32s (%d bytes)", path, len(b), n, 4*n)
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func frames(v []float32, cells int) [][]float32 {
	out := [][]float32{}
	for ; cells > 0 && len(v) >= cells; v = v[cells:] {
		out = append(out, v[:cells:cells])
	}
	return out
}

// SameRounded fails unless every value of got is a value of exact rounded
// to keepBits mantissa bits as --keep-bits promises, checked from its
// definition rather than from grayscott's rounding: |got − exact| ≤
// 2^-(keepBits+1)·|exact|, got has no more than keepBits mantissa bits
// after its leading one (subnormals included), and NaN, ±Inf and zeros
// are kept as they are. It also fails when nothing was rounded at all
// (rounding skipped passes the bound), and returns how many values the
// rounding changed.
func SameRounded(tb testing.TB, what string, got, exact [][]float32, keepBits int) int {
	tb.Helper()
	if len(got) != len(exact) {
		tb.Fatalf("%s: %d images, want %d", what, len(got), len(exact))
	}
	bound := math.Ldexp(1, -(keepBits + 1))
	changed := 0
	for i := range exact {
		if len(got[i]) != len(exact[i]) {
			tb.Fatalf("%s: image %d has %d values, want %d", what, i, len(got[i]), len(exact[i]))
		}
		for j, v := range exact[i] {
			g := got[i][j]
			gb, vb := math.Float32bits(g), math.Float32bits(v)
			if gb != vb {
				changed++
			}
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v == 0 {
				if gb != vb {
					tb.Fatalf("%s: image %d cell %d = %v, want %v kept as it is", what, i, j, g, v)
				}
				continue
			}
			if d := math.Abs(float64(g) - float64(v)); d > bound*math.Abs(float64(v)) {
				tb.Fatalf("%s: image %d cell %d = %v for %v: |error| %g > 2^-%d·|v| = %g", what, i, j, g, v, d, keepBits+1, bound*math.Abs(float64(v)))
			}
			if extra := extraBits(gb, keepBits); extra != 0 {
				tb.Fatalf("%s: image %d cell %d = %v (%#08x) keeps mantissa bits beyond %d (%#x)", what, i, j, g, gb, keepBits, extra)
			}
		}
	}
	if changed == 0 && keepBits < 23 {
		tb.Fatalf("%s: every value is exactly as it was: nothing rounded to %d bits", what, keepBits)
	}
	return changed
}

// extraBits returns the mantissa bits of the float32 b beyond keep after
// its leading one (0 for a value of at most keep bits).
func extraBits(b uint32, keep int) uint32 {
	exp, m := b>>23&0xff, b&0x7fffff
	drop := 23 - keep
	if exp == 0 { // subnormal: its leading one is the highest bit set
		lead := 0
		for x := m; x > 1; x >>= 1 {
			lead++
		}
		drop = max(0, lead-keep)
	}
	return m & (1<<drop - 1)
}
