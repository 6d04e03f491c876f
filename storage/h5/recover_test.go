package h5

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/storage"
)

// The killed writer is this test binary run as TestKilledWriterHelper:
// it writes GRAYSCOTT_TEST_FRAMES random images (seed 7) to
// GRAYSCOTT_TEST_WRITE, the first before SWMR and the rest in SWMR mode,
// says "ready" and waits to be killed.
func TestKilledWriterHelper(t *testing.T) {
	path := os.Getenv("GRAYSCOTT_TEST_WRITE")
	if path == "" {
		t.Skip("a helper process of TestRecover*")
	}
	n, _ := strconv.Atoi(os.Getenv("GRAYSCOTT_TEST_FRAMES"))
	p := testParams(9, 11, n)
	f, err := Create(path, p, nil, Options{Compression: storage.Deflate(1)})
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range randomFrames(n, p.Cells(), 7) {
		if err := f.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := f.StartSWMR(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Publish(); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	select {}
}

// killedWriter leaves at path the file of a writer killed (SIGKILL) in
// SWMR mode after writing n images, and returns those images.
func killedWriter(t *testing.T, path string, n int) [][]float32 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterHelper$")
	cmd.Env = append(os.Environ(), "GRAYSCOTT_TEST_WRITE="+path, "GRAYSCOTT_TEST_FRAMES="+strconv.Itoa(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line == "ready\n"
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the writer failed: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the writer was not ready within 30 s")
	}
	cmd.Process.Kill()
	cmd.Wait()
	return randomFrames(n, 9*11, 7)
}

func checksum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// plainH5py opens path as most scripts do, with h5py and no SWMR, and
// returns its image count, or h5py's error; ok is false where h5py is
// missing.
func plainH5py(t *testing.T, path string) (images int, err error, ok bool) {
	t.Helper()
	if !testutil.HaveH5py(t) {
		return 0, nil, false
	}
	out, err := exec.Command("/usr/bin/python3", "-c",
		`import sys, h5py; print(h5py.File(sys.argv[1], "r")["matrix"].shape[0])`, path).CombinedOutput()
	if err != nil {
		return 0, errors.New(strings.TrimSpace(string(out))), true
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("h5py printed %q", out)
	}
	return n, nil, true
}

func TestWriterMark(t *testing.T) {
	dir := t.TempDir()
	healthy := filepath.Join(dir, "healthy.h5")
	writeFile(t, healthy, testParams(3, 4, 1), randomFrames(1, 12, 1), 0)
	killed := filepath.Join(dir, "killed.h5")
	killedWriter(t, killed, 3)
	text := filepath.Join(dir, "text.h5")
	os.WriteFile(text, []byte("not an HDF5 file, but longer than twelve bytes\n"), 0o644)
	empty := filepath.Join(dir, "empty.h5")
	os.WriteFile(empty, nil, 0o644)
	// A superblock after a 512-byte user block, version 3 with both flags,
	// and one of version 0 (whose byte 11 is reserved).
	userBlock := filepath.Join(dir, "userblock.h5")
	os.WriteFile(userBlock, append(make([]byte, 512), append(hdf5Signature, 3, 8, 8, 5)...), 0o644)
	v0 := filepath.Join(dir, "v0.h5")
	os.WriteFile(v0, append(hdf5Signature, 0, 0, 0, 5), 0o644)
	for _, c := range []struct {
		path    string
		set     bool
		wantErr error
	}{
		{healthy, false, nil}, {killed, true, nil}, {userBlock, true, nil}, {v0, false, nil},
		{text, false, ErrNotHDF5}, {empty, false, ErrNotHDF5}, {filepath.Join(dir, "missing.h5"), false, fs.ErrNotExist},
	} {
		set, err := WriterMark(c.path)
		if set != c.set || !errors.Is(err, c.wantErr) {
			t.Errorf("WriterMark(%s) = %v, %v; want %v, %v", filepath.Base(c.path), set, err, c.set, c.wantErr)
		}
	}
	if got, err := Abandoned(killed); !got || err != nil {
		t.Errorf("Abandoned(killed) = %v, %v; want true", got, err)
	}
	if got, err := Abandoned(healthy); got || err != nil {
		t.Errorf("Abandoned(healthy) = %v, %v; want false", got, err)
	}
}

// TestRecoverKilledWriter kills a writer in SWMR mode: plain HDF5 readers
// refuse its file until Recover, then read every image it wrote; Recover
// of the recovered file changes nothing; the file resumes.
func TestRecoverKilledWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "killed.h5")
	frames := killedWriter(t, path, 5)
	if _, err, ok := plainH5py(t, path); ok && (err == nil || !strings.Contains(err.Error(), "already open for write")) {
		t.Fatalf("plain h5py on a killed writer's file: %v; want it refused (else this test tests nothing)", err)
	}
	// A SWMR reader holding the file (in another process: HDF5 shares one
	// open file within a process) does not stop the recovery, and reads on.
	reader := swmrReader(t, path)
	res, err := Recover(path)
	if err != nil || !res.Cleared {
		t.Fatalf("Recover: %+v, %v; want cleared", res, err)
	}
	if set, err := WriterMark(path); set || err != nil {
		t.Fatalf("after Recover: WriterMark %v, %v", set, err)
	}
	if got := mustReadImages(t, path); len(got) != len(frames) {
		t.Fatalf("recovered file holds %d images, the writer wrote %d", len(got), len(frames))
	} else {
		for i := range got {
			if !equalBits(got[i], frames[i]) {
				t.Errorf("image %d differs from what the writer wrote", i)
			}
		}
	}
	if reader != nil {
		// numpy sums in another order: equal to about 1e-12.
		if got, want := reader(), sum64(frames[4]); math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("the SWMR reader open during the recovery read a sum of %v of image 4, want %v", got, want)
		}
	}
	if n, err, ok := plainH5py(t, path); ok && (err != nil || n != len(frames)) {
		t.Errorf("plain h5py after Recover: %d images, %v; want %d", n, err, len(frames))
	}
	if h5dump := testutil.H5dumpPath(t); h5dump != "" {
		if out, err := exec.Command(h5dump, "-H", path).CombinedOutput(); err != nil {
			t.Errorf("h5dump -H after Recover: %v\n%s", err, out)
		}
	}
	sum := checksum(t, path)
	if res, err := Recover(path); err != nil || res.Cleared {
		t.Errorf("Recover of a healthy file: %+v, %v; want nothing cleared", res, err)
	}
	if checksum(t, path) != sum {
		t.Error("Recover changed a healthy file")
	}
	f, _, _, err := Resume(path)
	if err != nil {
		t.Fatalf("resuming the recovered file: %v", err)
	}
	if err := f.Close(false, "test"); err != nil {
		t.Fatal(err)
	}
}

// TestRecoverRefusesLiveWriter: a file being written, before SWMR (HDF5's
// lock) and in SWMR mode (the writer's lock), is refused by Recover, a
// resume and an overwrite, and left unchanged.
func TestRecoverRefusesLiveWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "live.h5")
	p := testParams(5, 6, 3)
	frames := randomFrames(3, p.Cells(), 2)
	f, err := Create(path, p, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	refused := func(when string) {
		t.Helper()
		sum := checksum(t, path)
		if res, err := Recover(path); !errors.Is(err, ErrInUse) || res.Cleared {
			t.Errorf("%s: Recover = %+v, %v; want ErrInUse", when, res, err)
		}
		if g, _, _, err := Resume(path); !errors.Is(err, ErrInUse) {
			t.Errorf("%s: Resume: %v; want ErrInUse", when, err)
			if g != nil {
				g.Close(false, "")
			}
		}
		if checksum(t, path) != sum {
			t.Errorf("%s: the live file changed", when)
		}
		if a, err := Abandoned(path); a || err != nil {
			t.Errorf("%s: Abandoned = %v, %v; want false", when, a, err)
		}
	}
	refused("before SWMR")
	if err := f.WriteFrame(frames[0]); err != nil {
		t.Fatal(err)
	}
	if err := f.StartSWMR(); err != nil {
		t.Fatal(err)
	}
	if err := f.WriteFrame(frames[1]); err != nil {
		t.Fatal(err)
	}
	if err := f.Publish(); err != nil {
		t.Fatal(err)
	}
	refused("in SWMR mode")
	if g, err := Create(path, p, nil, Options{Force: true}); !errors.Is(err, ErrInUse) {
		t.Errorf("overwriting a live file: %v; want ErrInUse", err)
		if g != nil {
			g.Close(false, "")
		}
	}
	if err := f.WriteFrame(frames[2]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(true, ""); err != nil {
		t.Fatal(err)
	}
	got := mustReadImages(t, path)
	for i := range frames {
		if i >= len(got) || !equalBits(got[i], frames[i]) {
			t.Fatalf("the writer's file is damaged: image %d of %d", i, len(got))
		}
	}
	if res, err := Recover(path); err != nil || res.Cleared {
		t.Errorf("Recover after a clean close: %+v, %v", res, err)
	}
}

func sum64(frame []float32) float64 {
	var s float64
	for _, v := range frame {
		s += float64(v)
	}
	return s
}

// swmrReader opens path in h5py with SWMR, in a process that keeps it
// open; read then makes that process read the last image and returns the
// sum of its values. It returns nil where h5py is missing.
func swmrReader(t *testing.T, path string) (read func() float64) {
	t.Helper()
	if !testutil.HaveH5py(t) {
		return nil
	}
	_, in, out, stderr := startH5py(t, "h5py (SWMR) could not open", `
import sys, h5py
f = h5py.File(sys.argv[1], "r", swmr=True)
print("open", flush=True)
sys.stdin.readline()
m = f["matrix"]
print(repr(float(m[m.shape[0]-1].astype("float64").sum())), flush=True)
`, path)
	return func() float64 {
		in.Write([]byte("read\n"))
		line, _ := out.ReadString('\n')
		v, err := strconv.ParseFloat(strings.TrimSpace(line), 64)
		if err != nil {
			t.Fatalf("the SWMR reader: %q %s", line, stderr.String())
		}
		return v
	}
}

// startH5py runs a Python script on path, which holds the file open and
// prints "open"; it returns once that line came (failing the test with
// what, the line and the stderr otherwise), with the process, its stdin,
// stdout and stderr. The process is killed when the test ends.
func startH5py(t *testing.T, what, script, path string) (*exec.Cmd, io.Writer, *bufio.Reader, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command("/usr/bin/python3", "-c", script, path)
	in, _ := cmd.StdinPipe()
	outp, _ := cmd.StdoutPipe()
	stderr := new(bytes.Buffer)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	out := bufio.NewReader(outp)
	if line, _ := out.ReadString('\n'); line != "open\n" {
		t.Fatalf("%s %s: %q %s", what, path, line, stderr.String())
	}
	return cmd, in, out, stderr
}

// TestRecoverRefusesForeignWriter: a file that another HDF5 program has
// open for writing (h5py, outside SWMR: HDF5's own lock) is refused and
// left unchanged.
func TestRecoverRefusesForeignWriter(t *testing.T) {
	testutil.RequireH5py(t)
	path := filepath.Join(t.TempDir(), "foreign.h5")
	writeFile(t, path, testParams(3, 4, 1), randomFrames(1, 12, 1), 0)
	cmd, in, _, stderr := startH5py(t, "h5py could not open for writing", `
import sys, h5py
f = h5py.File(sys.argv[1], "r+")
print("open", flush=True)
sys.stdin.readline()
f.close()
`, path)
	if set, err := WriterMark(path); !set || err != nil {
		t.Fatalf("h5py's open for writing left no mark (%v): this test tests nothing", err)
	}
	sum := checksum(t, path)
	if res, err := Recover(path); !errors.Is(err, ErrInUse) || res.Cleared {
		t.Errorf("Recover of a file h5py writes: %+v, %v; want ErrInUse", res, err)
	}
	if checksum(t, path) != sum {
		t.Error("Recover changed a file h5py writes")
	}
	in.Write([]byte("close\n"))
	if err := cmd.Wait(); err != nil {
		t.Fatalf("h5py: %v: %s", err, stderr.String())
	}
	if set, err := WriterMark(path); set || err != nil {
		t.Errorf("after h5py closed the file: mark %v, %v", set, err)
	}
}

func mustReadImages(t *testing.T, path string) [][]float32 {
	t.Helper()
	images, err := ReadImages(path)
	if err != nil {
		t.Fatal(err)
	}
	return images
}
