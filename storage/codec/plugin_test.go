package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"grayscott/internal/testutil"
)

// The tests here check our chunks against the real bitshuffle HDF5 plugin
// (Debian's bitshuffle package, which scripts/install-deps.sh --test
// installs), through h5py and h5dump.

const python = "/usr/bin/python3" // Debian's, with h5py; the one on PATH may lack it

// needPlugin skips when this machine lacks Debian's python3 with h5py and
// the bitshuffle module (and so the plugin the same package installs).
func needPlugin(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		testutil.MissingReader(t, "no %s here: the plugin checks need Debian's python3-h5py and bitshuffle (scripts/install-deps.sh --test)", python)
	}
	if out, err := exec.Command(python, "-c", "import h5py").CombinedOutput(); err != nil {
		testutil.MissingReader(t, "h5py is not installed for %s (Debian package python3-h5py, scripts/install-deps.sh --test): %s", python, out)
	}
	if out, err := exec.Command(python, "-c", "import bitshuffle.h5").CombinedOutput(); err != nil {
		testutil.MissingReader(t, "the bitshuffle plugin is not installed (Debian package bitshuffle, scripts/install-deps.sh --test): %s", out)
	}
}

// pluginImages are the frames the plugin tests store: each image kind as a
// dataset of three frames (the image, its square, and it rounded to 10 bits,
// as --keep-bits 10 will store it).
func pluginImages(t *testing.T) []image {
	var out []image
	for _, im := range smallImages(t) {
		v := append([]float32(nil), im.v...)
		sq := make([]float32, len(im.v))
		rounded := make([]float32, len(im.v))
		for i, x := range im.v {
			sq[i] = x * x
		}
		RoundMantissa(rounded, im.v, 10)
		v = append(append(v, sq...), rounded...)
		out = append(out, image{name: im.name, rows: im.rows, cols: im.cols, v: v})
	}
	return out
}

// writeManifest writes what plugin.py reads: the frames of each image and
// their manifest.
func writeManifest(t *testing.T, dir string, images []image) {
	t.Helper()
	type dataset struct {
		Name   string `json:"name"`
		Rows   int    `json:"rows"`
		Cols   int    `json:"cols"`
		Frames int    `json:"frames"`
	}
	m := struct {
		CDValues [5]uint32 `json:"cd_values"`
		Datasets []dataset `json:"datasets"`
	}{CDValues: BitshuffleCDValues}
	for _, im := range images {
		m.Datasets = append(m.Datasets, dataset{Name: im.name, Rows: im.rows, Cols: im.cols, Frames: len(im.v) / (im.rows * im.cols)})
		if err := os.WriteFile(filepath.Join(dir, im.name+".f32"), floatBytes(im.v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runPlugin runs testdata/plugin.py; its output is a JSON line.
func runPlugin(t *testing.T, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(python, append([]string{"testdata/plugin.py"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("plugin.py %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

type filterInfo struct {
	ID       int      `json:"id"`
	Flags    int      `json:"flags"`
	CDValues []uint32 `json:"cd_values"`
}

// readRaw returns the float32s of a little-endian file, frame by frame.
func readRaw(t *testing.T, path string, cells int) [][]float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%(4*cells) != 0 {
		t.Fatalf("%s: %d bytes, not whole frames of %d float32s", path, len(b), cells)
	}
	var frames [][]float32
	for len(b) > 0 {
		f := make([]float32, cells)
		copy(floatBytes(f), b[:4*cells])
		frames = append(frames, f)
		b = b[4*cells:]
	}
	return frames
}

func compareFrames(t *testing.T, what string, got [][]float32, im image) {
	t.Helper()
	cells := im.rows * im.cols
	if len(got) != len(im.v)/cells {
		t.Fatalf("%s %s: %d frames, want %d", what, im.name, len(got), len(im.v)/cells)
	}
	for i, f := range got {
		want := im.v[i*cells : (i+1)*cells]
		if j, ok := sameBits(f, want); !ok {
			t.Fatalf("%s %s frame %d: element %d (row %d, col %d) is %g, want %g", what, im.name, i, j, j/im.cols, j%im.cols, f[j], want[j])
		}
	}
}

// TestPluginReadsOurChunks: our chunks, written as grayscott's writer will
// (direct chunk writes, filter 32008 optional with BitshuffleCDValues, no
// plugin loaded in the writer), read back through the plugin by h5py and by
// h5dump, bit for bit.
func TestPluginReadsOurChunks(t *testing.T) {
	needPlugin(t)
	dir := t.TempDir()
	images := pluginImages(t)
	writeManifest(t, dir, images)
	for _, im := range images {
		cells := im.rows * im.cols
		e, err := NewEncoder(cells, MantissaBits)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(im.v) / cells {
			chunk, err := e.Encode(im.v[i*cells : (i+1)*cells])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.chunk", im.name, i)), chunk, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := filepath.Join(dir, "ours.h5")
	// HDF5_PLUGIN_PRELOAD=:: keeps plugins out of the writing process.
	runPlugin(t, []string{"HDF5_PLUGIN_PRELOAD=::"}, "direct", dir, file)
	var seen map[string][]filterInfo
	if err := json.Unmarshal(runPlugin(t, nil, "read", dir, file), &seen); err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		f := seen[im.name]
		if len(f) != 1 || f[0].ID != FilterBitshuffle || fmt.Sprint(f[0].CDValues) != fmt.Sprint(BitshuffleCDValues[:]) {
			t.Errorf("%s: the file declares filters %+v, want 32008 with %v", im.name, f, BitshuffleCDValues)
		}
		compareFrames(t, "h5py through the plugin:", readRaw(t, filepath.Join(dir, im.name+".read.f32"), im.rows*im.cols), im)
	}

	t.Run("h5dump", func(t *testing.T) {
		h5dump, err := exec.LookPath("h5dump")
		if err != nil {
			testutil.MissingReader(t, "no h5dump here (Debian package hdf5-tools, scripts/install-deps.sh)")
		}
		for _, im := range images {
			out := filepath.Join(dir, im.name+".h5dump")
			cmd := exec.Command(h5dump, "-d", "/"+im.name, "-b", "LE", "-o", out, file)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", cmd, err, msg)
			}
			compareFrames(t, "h5dump:", readRaw(t, out, im.rows*im.cols), im)
		}
	})
}

// TestWeDecodePluginChunks: chunks that the plugin wrote (h5py through
// bitshuffle.h5, LZ4), taken raw with read_direct_chunk, decode to the
// frames bit for bit; and our encoder makes the very same bytes, since both
// run liblz4's LZ4_compress_default on the same blocks.
func TestWeDecodePluginChunks(t *testing.T) {
	needPlugin(t)
	dir := t.TempDir()
	images := pluginImages(t)
	writeManifest(t, dir, images)
	var seen map[string]struct {
		Filters []filterInfo `json:"filters"`
	}
	if err := json.Unmarshal(runPlugin(t, nil, "plugin", dir, filepath.Join(dir, "plugin.h5")), &seen); err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		if f := seen[im.name].Filters; len(f) != 1 || f[0].ID != FilterBitshuffle || fmt.Sprint(f[0].CDValues) != fmt.Sprint(BitshuffleCDValues[:]) {
			t.Errorf("%s: the plugin declared %+v; we declare %v", im.name, f, BitshuffleCDValues)
		}
		cells := im.rows * im.cols
		e, err := NewEncoder(cells, MantissaBits)
		if err != nil {
			t.Fatal(err)
		}
		var frames [][]float32
		for i := range len(im.v) / cells {
			chunk, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s-%d.plugin.chunk", im.name, i)))
			if err != nil {
				t.Fatal(err)
			}
			f := make([]float32, cells)
			if err := Decode(chunk, f); err != nil {
				t.Fatalf("%s frame %d: %v", im.name, i, err)
			}
			frames = append(frames, f)
			ours, err := e.Encode(im.v[i*cells : (i+1)*cells])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(ours, chunk) {
				t.Errorf("%s frame %d: our chunk (%d bytes) differs from the plugin's (%d bytes)", im.name, i, len(ours), len(chunk))
			}
		}
		compareFrames(t, "decoding the plugin's chunks:", frames, im)
	}
}
