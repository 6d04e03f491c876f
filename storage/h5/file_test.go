package h5

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage"
)

func testParams(rows, cols, images int) sim.Params {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = rows, cols, images
	return p
}

func randomFrames(n, cells int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	frames := make([][]float32, n)
	for i := range frames {
		frames[i] = make([]float32, cells)
		for j := range frames[i] {
			frames[i][j] = rng.Float32()
		}
	}
	return frames
}

func writeFile(t *testing.T, path string, p sim.Params, frames [][]float32, level int) {
	t.Helper()
	f, err := Create(path, p, []storage.Attr{{Name: "gl_renderer", Value: "test renderer"}}, Options{Compression: storage.Deflate(level)})
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range frames {
		if err := f.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(true, ""); err != nil {
		t.Fatal(err)
	}
}

func TestWriteReopen(t *testing.T) {
	for _, level := range []int{0, 1, 6} {
		p := testParams(13, 21, 4)
		frames := randomFrames(4, p.Cells(), uint64(level))
		path := filepath.Join(t.TempDir(), "out.h5")
		writeFile(t, path, p, frames, level)

		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if n, rows, cols := r.Shape(); n != 4 || rows != 13 || cols != 21 {
			t.Fatalf("level %d: shape %d×%d×%d, want 4×13×21", level, n, rows, cols)
		}
		got := make([]float32, p.Cells())
		for i, want := range frames {
			if err := r.ReadFrame(i, got); err != nil {
				t.Fatal(err)
			}
			for j := range want {
				if got[j] != want[j] {
					t.Fatalf("level %d image %d cell %d: %v, want %v", level, i, j, got[j], want[j])
				}
			}
		}
		for name, want := range map[string]int64{"frames_written": 4, "completed": 1, "nbrow": 13, "nbcol": 21, "nbextrastep": 34, "compression_level": int64(level)} {
			if v, err := r.Int(name); err != nil || v != want {
				t.Errorf("level %d attribute %s = %d (%v), want %d", level, name, v, err, want)
			}
		}
		for name, want := range map[string]float32{"feedrate": p.Feed, "killrate": p.Kill, "deltat": p.DeltaT, "du": p.DiffU, "dv": p.DiffV} {
			if v, err := r.Float(name); err != nil || v != want {
				t.Errorf("attribute %s = %v (%v), want %v", name, v, err, want)
			}
		}
		if err := r.ReadFrame(4, got); err == nil {
			t.Error("reading image 4 of 4 succeeded")
		}
		r.Close()
	}
}

func TestStoppedRunKeepsWrittenImages(t *testing.T) {
	p := testParams(8, 8, 10)
	path := filepath.Join(t.TempDir(), "stopped.h5")
	f, err := Create(path, p, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range randomFrames(3, 64, 7) {
		if err := f.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(false, "interrupted"); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, _, _ := r.Shape(); n != 3 {
		t.Errorf("stopped run holds %d images, want the 3 written", n)
	}
	if c, _ := r.Int("completed"); c != 0 {
		t.Errorf("completed = %d after a stop", c)
	}
}

func TestCreateRefusesExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.h5")
	writeFile(t, path, testParams(4, 4, 1), randomFrames(1, 16, 1), 0)
	if _, err := Create(path, testParams(4, 4, 1), nil, Options{}); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second Create: %v, want an error suggesting --force", err)
	}
	if err := storage.CheckOutput(path, false); err == nil {
		t.Error("CheckOutput accepted an existing file without force")
	}
	if err := storage.CheckOutput(path, true); err != nil {
		t.Errorf("CheckOutput with force: %v", err)
	}
	if r, err := Open(path); err != nil {
		t.Errorf("the refused Create damaged the file: %v", err)
	} else {
		r.Close()
	}
	f, err := Create(path, testParams(4, 4, 1), nil, Options{Force: true})
	if err != nil {
		t.Fatalf("Create with Force: %v", err)
	}
	f.Close(true, "")
}

// TestH5Dump reads a file with HDF5's own command-line reader.
func TestH5Dump(t *testing.T) {
	h5dump, err := exec.LookPath("h5dump")
	if err != nil {
		testutil.MissingReader(t, "h5dump is not installed (Debian package hdf5-tools)")
	}
	path := filepath.Join(t.TempDir(), "dump.h5")
	p := testParams(3, 5, 2)
	frames := [][]float32{make([]float32, 15), make([]float32, 15)}
	frames[1][7] = 0.5
	writeFile(t, path, p, frames, 1)
	out, err := exec.Command(h5dump, "-H", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump -H: %v\n%s", err, out)
	}
	for _, want := range []string{"DATASET \"matrix\"", "H5T_IEEE_F32LE", "( 2, 3, 5 ) / ( H5S_UNLIMITED, 3, 5 )", "ATTRIBUTE \"feedrate\"", "ATTRIBUTE \"gl_renderer\""} {
		if !strings.Contains(string(out), want) {
			t.Errorf("h5dump -H lacks %q:\n%s", want, out)
		}
	}
	out, err = exec.Command(h5dump, "-d", "/matrix", "-s", "1,1,2", "-c", "1,1,1", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "0.5") {
		t.Errorf("h5dump of image 1 cell (1,2): %v\n%s", err, out)
	}
}

// TestH5py reads a compressed file with h5py, the reader most users have.
func TestH5py(t *testing.T) {
	testutil.RequireH5py(t)
	path := filepath.Join(t.TempDir(), "py.h5")
	p := testParams(6, 7, 3)
	frames := randomFrames(3, p.Cells(), 3)
	writeFile(t, path, p, frames, 4)
	script := `
import h5py, json, sys
f = h5py.File(sys.argv[1], "r")
m = f["matrix"]
print(json.dumps({"shape": list(m.shape), "chunks": list(m.chunks), "compression": m.compression,
  "shuffle": m.shuffle, "maxshape": [x if x is not None else -1 for x in m.maxshape],
  "sum": float(m[...].astype("float64").sum()), "boundary": f.attrs["boundary"],
  "feedrate": float(f.attrs["feedrate"]), "frames_written": int(f.attrs["frames_written"])}))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	var got struct {
		Shape, Chunks, Maxshape []int
		Compression             string
		Shuffle                 bool
		Sum                     float64
		Boundary                string
		Feedrate                float64
		FramesWritten           int `json:"frames_written"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	var want float64
	for _, fr := range frames {
		for _, v := range fr {
			want += float64(v)
		}
	}
	if got.Sum != want || got.Compression != "gzip" || !got.Shuffle || got.Boundary != "zero" ||
		got.FramesWritten != 3 || got.Maxshape[0] != -1 || got.Chunks[0] != 1 || got.Chunks[1] != 6 ||
		float32(got.Feedrate) != p.Feed {
		t.Errorf("h5py read %+v; want sum %v, gzip+shuffle, unlimited images, chunk 1×6×7", got, want)
	}
}

// BenchmarkWriteFrame measures an append, raw and compressed, of a small
// and a full-HD image, with and without SWMR: SWMR flushes the dataset
// after every image (what lets readers see it), the cost chosen against.
func BenchmarkWriteFrame(b *testing.B) {
	for _, size := range [][2]int{{64, 64}, {1080, 1920}} {
		for _, level := range []int{0, 1} {
			for _, swmr := range []bool{false, true} {
				name := fmt.Sprintf("%dx%d/%s/swmr=%v", size[0], size[1], map[int]string{0: "raw", 1: "deflate1"}[level], swmr)
				b.Run(name, func(b *testing.B) {
					p := testParams(size[0], size[1], 1)
					path := filepath.Join(b.TempDir(), "bench.h5")
					f, err := Create(path, p, nil, Options{Compression: storage.Deflate(level)})
					if err != nil {
						b.Fatal(err)
					}
					if swmr {
						if err := f.StartSWMR(); err != nil {
							b.Fatal(err)
						}
					}
					// A Gray-Scott-like frame: mostly smooth with some structure.
					frame := sim.InitialState(p.Rows, p.Cols).V
					b.SetBytes(int64(len(frame) * 4))
					for b.Loop() {
						if err := f.WriteFrame(frame); err != nil {
							b.Fatal(err)
						}
					}
					b.StopTimer()
					f.Close(true, "")
				})
			}
		}
	}
}

// TestFilesAreNotInherited: a process started while a file is open (for
// writing or reading) does not inherit its descriptor, and so not its
// lock: a sweep starts runs while it reads other points' files.
func TestFilesAreNotInherited(t *testing.T) {
	dir := t.TempDir()
	p := sim.Defaults()
	p.Rows, p.Cols = 4, 4
	create := func(path string) *File {
		f, err := Create(path, p, nil, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.WriteFrame(make([]float32, 16)); err != nil {
			t.Fatal(err)
		}
		return f
	}
	read, written := filepath.Join(dir, "read.h5"), filepath.Join(dir, "written.h5")
	if err := create(read).Close(true, ""); err != nil {
		t.Fatal(err)
	}
	r, err := Open(read)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f := create(written)
	defer f.Close(true, "")
	out, err := exec.Command("sh", "-c", "ls -l /proc/$$/fd").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{read, written} {
		if strings.Contains(string(out), path) {
			t.Errorf("a child process holds %s:\n%s", path, out)
		}
	}
}
