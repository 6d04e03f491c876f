package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"grayscott/internal/testutil"
	"grayscott/storage/codec"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// The codec's tests through the command: what other readers make of our
// bitshuffle files (h5py and h5dump through the real plugin), a plugin on
// the host, resuming rounded files, and damaged chunks. Kills and full
// disks with the codec are among the shapes of the kill and disk-full
// tests (recover_test.go, stop_test.go); the codecs' images against raw
// ones in TestPipelineShapesGiveIdenticalFiles.

// codecRun is a small bitshuffle run of the CPU engine (a few
// milliseconds).
var codecRun = []string{"run", "-q", "--engine", "cpu", "-r", "24", "-c", "40", "-e", "30", "--compression", "bitshuffle-lz4"}

// h5pyChunks prints /matrix's filters (id, flags, client values) and each
// image's chunk as stored: its filter mask, size and SHA-256.
const h5pyChunks = `
import hashlib
with h5py.File(sys.argv[1], "r") as f:
    d = f["matrix"]
    dcpl = d.id.get_create_plist()
    filters = [list(dcpl.get_filter(i)[:3]) for i in range(dcpl.get_nfilters())]
    chunks = []
    for i in range(d.shape[0]):
        mask, b = d.id.read_direct_chunk((i, 0, 0))
        chunks.append([mask, len(b), hashlib.sha256(b).hexdigest()])
    print(json.dumps({"filters": filters, "chunks": chunks}))
`

type storedChunks struct {
	Filters [][]any `json:"filters"`
	Chunks  [][]any `json:"chunks"`
}

// TestHostPluginChangesNothing runs the writer as a user would on a host
// with Debian's bitshuffle plugin, HDF5_PLUGIN_PATH naming its folder, and
// once with every plugin kept out by HDF5 itself (HDF5_PLUGIN_PRELOAD=::):
// both files declare filter 32008 as optional with the client values
// {0, 3, 4, 0, 2} (h5dump -p, h5py) and store the very same chunks, and
// h5py reads the same images from both.
func TestHostPluginChangesNothing(t *testing.T) {
	dir := filepath.Dir(testutil.BitshufflePlugin(t))
	var files []string
	for i, env := range []string{"HDF5_PLUGIN_PRELOAD=::", "HDF5_PLUGIN_PATH=" + dir} {
		out := filepath.Join(t.TempDir(), fmt.Sprintf("plugin%d.h5", i))
		cmd := command(append(append([]string{}, codecRun...), "-n", "5", "-o", out)...)
		cmd.Env = append(cmd.Env, env)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, cmd, &stderr); code != exitOK {
			t.Fatalf("the run with %s: exit %d: %s", env, code, stderr.String())
		}
		files = append(files, out)
	}
	h5dump, err := exec.LookPath("h5dump")
	if err != nil {
		testutil.MissingReader(t, "h5dump is not installed (Debian package hdf5-tools)")
	}
	cmd := exec.Command(h5dump, "-p", "-H", "-d", "/matrix", files[1])
	cmd.Env = append(os.Environ(), "HDF5_PLUGIN_PATH="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump -p: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`FILTER_ID 32008\s[^}]*PARAMS \{ 0 3 4 0 2 \}`).Match(out) {
		t.Errorf("h5dump -p shows no filter 32008 with PARAMS { 0 3 4 0 2 }:\n%s", out)
	}
	var stored [2]storedChunks
	for i, f := range files {
		if err := json.Unmarshal(testutil.H5py(t, h5pyChunks, f), &stored[i]); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(stored[1].Filters); got != "[[32008 1 [0 3 4 0 2]]]" {
		t.Errorf("written with the plugin on the path, /matrix declares the filters %s; want [[32008 1 [0 3 4 0 2]]] (32008, optional)", got)
	}
	if a, b := fmt.Sprint(stored[0]), fmt.Sprint(stored[1]); a != b || len(stored[0].Chunks) != 5 {
		t.Errorf("without any plugin the file stores\n%s\nwith the plugin on the path\n%s", a, b)
	}
	testutil.SameImages(t, "h5py, written with the plugin on the path", testutil.H5pyImages(t, files[1]), testutil.H5pyImages(t, files[0]))
}

// checkpointState is a file's newest checkpoint as h5py reads it: the
// image count and step of its slot, U, and V where the slot keeps it.
type checkpointState struct {
	Images, Step, Slot int
	U, V               []float32
}

const h5pyCheckpoint = `
with h5py.File(sys.argv[1], "r") as f:
    g = f["checkpoint"]
    n, s = max((int(g["u%d" % s].attrs["images"]), s) for s in (0, 1))
    g["u%d" % s][...].astype("<f4").tofile(sys.argv[2])
    if "v%d" % s in g:
        g["v%d" % s][...].astype("<f4").tofile(sys.argv[3])
    print(json.dumps({"images": n, "step": int(g["u%d" % s].attrs["step"]), "slot": s}))
`

func newestCheckpoint(t *testing.T, path string) checkpointState {
	t.Helper()
	dir := t.TempDir()
	u, v := filepath.Join(dir, "u.f32"), filepath.Join(dir, "v.f32")
	var ck checkpointState
	if err := json.Unmarshal(testutil.H5py(t, h5pyCheckpoint, path, u, v), &ck); err != nil {
		t.Fatal(err)
	}
	ck.U = float32File(t, u)
	if _, err := os.Stat(v); err == nil {
		ck.V = float32File(t, v)
	}
	return ck
}

func float32File(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return v
}

// TestKeepBitsResumesBitExact: a run with --keep-bits 10 keeps V exactly
// beside U in its checkpoints (equal to the raw run's image, where /matrix
// holds it rounded), so a run stopped after 5 images and resumed to 12
// equals the uninterrupted run of 12: /matrix and the final state (U and
// V of its last checkpoint), all read by h5py. The resume keeps the
// file's codec; resuming with other bits or another codec is refused in
// one line.
func TestKeepBitsResumesBitExact(t *testing.T) {
	dir := t.TempDir()
	base := append(append([]string{}, codecRun...), "--boundary", "neumann", "--keep-bits", "10", "--flush-every", "4")
	raw5, whole, part := filepath.Join(dir, "raw5.h5"), filepath.Join(dir, "whole.h5"), filepath.Join(dir, "part.h5")
	for _, r := range []struct {
		out  string
		args []string
	}{
		{raw5, []string{"run", "-q", "--engine", "cpu", "-r", "24", "-c", "40", "-e", "30", "--boundary", "neumann", "-n", "5"}},
		{whole, append(append([]string{}, base...), "-n", "12")},
		{part, append(append([]string{}, base...), "-n", "5")},
	} {
		if code, _, stderr := runMain(append(r.args, "-o", r.out)...); code != exitOK {
			t.Fatalf("%v: exit %d: %s", r.args, code, stderr)
		}
	}
	// The checkpoint after image 5: grayscott finds it valid, and its V is
	// the exact image of the raw run, not /matrix's rounded one.
	r, err := h5.Open(part)
	if err != nil {
		t.Fatal(err)
	}
	step, images, ok := r.Checkpoint()
	r.Close()
	if !ok || images != 5 || step != 150 {
		t.Fatalf("the stopped file's checkpoint: images %d, step %d, valid %v; want 5, 150, true", images, step, ok)
	}
	rawImages := testutil.H5pyImages(t, raw5)
	ck, rawCk := newestCheckpoint(t, part), newestCheckpoint(t, raw5)
	if ck.V == nil {
		t.Fatalf("the rounded file's checkpoint (slot %d) keeps no V beside U", ck.Slot)
	}
	testutil.SameImages(t, "the checkpoint's V against the raw run's last image", [][]float32{ck.V}, rawImages[4:])
	testutil.SameImages(t, "the checkpoint's U against the raw run's", [][]float32{ck.U}, [][]float32{rawCk.U})
	testutil.SameRounded(t, "the stopped file's images", testutil.H5pyImages(t, part), rawImages, 10)

	if code, _, stderr := runMain("run", "-q", "--resume", part, "-n", "12"); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	testutil.SameImages(t, "the resumed file's images, by h5py", testutil.H5pyImages(t, part), testutil.H5pyImages(t, whole))
	got, want := newestCheckpoint(t, part), newestCheckpoint(t, whole)
	if got.Images != 12 || got.Step != want.Step || got.V == nil {
		t.Errorf("the resumed file's last checkpoint: images %d step %d (V kept: %v); the uninterrupted run's: images %d step %d",
			got.Images, got.Step, got.V != nil, want.Images, want.Step)
	}
	testutil.SameImages(t, "the final state (U, V) of the resumed run", [][]float32{got.U, got.V}, [][]float32{want.U, want.V})
	if c := h5test.Status(t, part).Compression; c.String() != "bitshuffle-lz4" || c.KeepBits != 10 {
		t.Errorf("the resumed file stores %s keeping %d bits; want bitshuffle-lz4 keeping 10", c, c.KeepBits)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--keep-bits", "12"}, "--keep-bits 12 (file: 10)"},
		{[]string{"--keep-bits", "23"}, "--keep-bits 23 (file: 10)"},
		{[]string{"--compression", "deflate"}, "--compression deflate:6 (file: bitshuffle-lz4)"},
	} {
		before := fileSum(t, whole)
		code, _, stderr := runMain(append([]string{"run", "-q", "--resume", whole, "-n", "13"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("resume %v: exit %d, %q; want 2 and one line with %q", c.args, code, stderr, c.want)
		}
		if fileSum(t, whole) != before {
			t.Errorf("the refused resume %v changed the file", c.args)
		}
	}
}

// h5pyChunkAt prints where image N's chunk lies in the file (its byte
// offset and size, H5Dget_chunk_info).
const h5pyChunkAt = `
with h5py.File(sys.argv[1], "r") as f:
    info = f["matrix"].id.get_chunk_info_by_coord((int(sys.argv[2]), 0, 0))
    print(json.dumps({"offset": info.byte_offset, "size": info.size, "mask": info.filter_mask}))
`

// TestDamagedChunkNamesTheImage flips the bytes of one image's chunk in a
// bitshuffle file: render of that image, or of all of them, fails with
// exit 1 and one line naming the image and the file (no panic), while the
// other images still render; h5py through the plugin fails on the same
// image. The chunk is found where h5py says it lies, and checked there to
// be our encoding of the image.
func TestDamagedChunkNamesTheImage(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "damaged.h5")
	if code, _, stderr := runMain(append(append([]string{}, codecRun...), "-n", "6", "-o", path)...); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	images := testutil.H5pyImages(t, path)
	damage := func(n int) {
		t.Helper()
		var at struct{ Offset, Size, Mask int }
		if err := json.Unmarshal(testutil.H5py(t, h5pyChunkAt, path, fmt.Sprint(n)), &at); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := codec.NewEncoder(len(images[n]), codec.MantissaBits)
		if err != nil {
			t.Fatal(err)
		}
		chunk, err := enc.Encode(images[n])
		if err != nil {
			t.Fatal(err)
		}
		if at.Mask != 0 || at.Size != len(chunk) || bytes.Index(b, chunk) != at.Offset {
			t.Fatalf("image %d: h5py puts its chunk at %+v; our encoding of it (%d bytes) is at %d", n, at, len(chunk), bytes.Index(b, chunk))
		}
		for i := at.Offset; i < at.Offset+at.Size; i++ {
			b[i] ^= 0xff
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	damage(3)
	if _, err := testutil.H5pyErr(t, `h5py.File(sys.argv[1], "r")["matrix"][3]`, path); err == nil {
		t.Fatal("h5py reads the damaged image 3 through the plugin: the damage went unseen")
	}
	out := filepath.Join(dir, "x")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"render", path, "-o", out + ".png", "--frames", "3"}, exitFailure, "image 3 is damaged"},
		{[]string{"render", path, "-o", out + ".gif"}, exitFailure, "image 3 is damaged"},
		{[]string{"render", path, "-o", out + "-2.png", "--frames", "2"}, exitOK, "wrote image 2"},
		{[]string{"render", path, "-o", out + "-last.png"}, exitOK, "wrote image 5"},
		{[]string{"info", path}, exitOK, ""},
	} {
		code, stdout, stderr := runMain(c.args...)
		msg := strings.TrimSpace(stderr + stdout)
		if c.code != exitOK {
			if code != c.code || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, path) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%v: exit %d, %q; want %d and one line naming the file and %q", c.args[:len(c.args)-2], code, stderr, c.code, c.want)
			}
		} else if code != exitOK || !strings.Contains(msg, c.want) {
			t.Errorf("%v: exit %d: %s", c.args, code, msg)
		}
		if strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") {
			t.Errorf("%v: %s", c.args, msg)
		}
	}
	// The checkpoint's V is the last image, in a lossless file: damaged,
	// the checkpoint cannot be checked. render names the image; info shows
	// no checkpoint, and --resume starts over (as it does from a torn
	// checkpoint), which gives back every image bit for bit.
	damage(5)
	if code, _, stderr := runMain("render", path, "-o", out+"-last.png"); code != exitFailure || !strings.Contains(stderr, "image 5 is damaged") {
		t.Errorf("render of the damaged last image: exit %d, %q", code, stderr)
	}
	code, stdout, stderr := runMain("info", path)
	if code != exitOK || !regexp.MustCompile(`\n    checkpoint +-\n`).MatchString(stdout) {
		t.Errorf("info of a file whose checkpoint image is damaged: exit %d: %s%s", code, stdout, stderr)
	}
	if code, _, stderr := runMain("run", "-q", "--resume", path, "-n", "7"); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	got := testutil.H5pyImages(t, path)
	if len(got) != 7 {
		t.Fatalf("the resumed file holds %d images, want 7", len(got))
	}
	testutil.SameImages(t, "the resumed file's first images, by h5py", got[:6], images)
}
