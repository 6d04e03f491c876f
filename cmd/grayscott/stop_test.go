package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// stopArgs is a run long enough to be stopped in the middle: on llvmpipe,
// hence --engine gpu (the CPU engine finishes it in a tenth of a second).
var stopArgs = []string{"--engine", "gpu", "-r", "48", "-c", "64", "-n", "300", "-e", "25", "--boundary", "periodic"}

// referenceRun writes the uninterrupted run once per test binary.
var referenceImages [][]float32

func reference(t *testing.T) [][]float32 {
	t.Helper()
	if referenceImages != nil {
		return referenceImages
	}
	out := filepath.Join(t.TempDir(), "reference.h5")
	code, _, stderr := runMain(append([]string{"run", "-q", "-o", out}, stopArgs...)...)
	requireGL(t, stderr)
	if code != exitOK {
		t.Fatalf("reference run: exit %d: %s", code, stderr)
	}
	referenceImages = h5test.ReadImages(t, out)
	return referenceImages
}

// startRun starts the binary on a run and returns it with its stderr.
func startRun(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := command(append([]string{"run", "-q"}, append(append([]string{}, stopArgs...), args...)...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr
}

// watchedRun is a run started with -v whose stderr is read as it comes:
// flushes sends the image count of each flush the run reports (a line
// "msg=flushed images=N" once the images are durable).
type watchedRun struct {
	cmd     *exec.Cmd
	stderr  *lockedBuffer
	flushes chan int
	exited  chan struct{} // closed once cmd.Wait has returned
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var flushedLine = regexp.MustCompile(`msg=flushed images=(\d+)`)

func startWatchedRun(t *testing.T, args ...string) *watchedRun {
	t.Helper()
	cmd := command(append([]string{"run", "-v"}, append(append([]string{}, stopArgs...), args...)...)...)
	pr, pw := io.Pipe()
	w := &watchedRun{cmd: cmd, stderr: &lockedBuffer{}, flushes: make(chan int, 1000), exited: make(chan struct{})}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			w.stderr.Write(append(sc.Bytes(), '\n'))
			if m := flushedLine.FindSubmatch(sc.Bytes()); m != nil {
				n, _ := strconv.Atoi(string(m[1]))
				w.flushes <- n
			}
		}
		close(w.flushes)
	}()
	go func() { cmd.Wait(); pw.Close(); close(w.exited) }()
	return w
}

// lastFlush returns the largest image count of the flushes the run
// reported, once its output has ended.
func (w *watchedRun) lastFlush() int {
	last := 0
	for n := range w.flushes {
		last = max(last, n)
	}
	for _, m := range flushedLine.FindAllStringSubmatch(w.stderr.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		last = max(last, n)
	}
	return last
}

// exitCode waits (with a deadline) for the run and returns its status.
func (w *watchedRun) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-w.exited:
	case <-time.After(60 * time.Second):
		w.cmd.Process.Kill()
		t.Fatalf("the run did not end within 60 s; stderr:\n%s", w.stderr)
	}
	ws := w.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// seededRand returns a generator seeded from GRAYSCOTT_TEST_SEED, or from
// the clock, logging the seed so that a failure can be replayed.
func seededRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("GRAYSCOTT_TEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (GRAYSCOTT_TEST_SEED=%d replays these trials)", seed, seed)
	return rand.New(rand.NewPCG(seed, 7))
}

// stopAfterFlush stops the run with sig after its k-th reported flush and
// a further delay of up to 40 ms; it reports false when the run ended
// before that flush (the trial then tests nothing).
func stopAfterFlush(w *watchedRun, sig os.Signal, k int, rng *rand.Rand) (time.Duration, bool) {
	for seen := 0; seen < k; {
		if _, ok := <-w.flushes; !ok {
			return 0, false
		}
		seen++
	}
	extra := time.Duration(rng.IntN(40)) * time.Millisecond
	time.Sleep(extra)
	return extra, w.cmd.Process.Signal(sig) == nil
}

// waitExit waits for cmd with a deadline and returns its exit status.
func waitExit(t *testing.T, cmd *exec.Cmd, stderr fmt.Stringer) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return 128 + int(ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the run did not end within 60 s; stderr:\n%s", stderr.String())
		return -1
	}
}

// checkPrefix asserts that path holds count images equal to the
// reference's first ones, bit for bit, and returns count.
func checkPrefix(t *testing.T, path string, ref [][]float32) int {
	t.Helper()
	got := h5test.ReadImages(t, path)
	for i := range got {
		if i >= len(ref) {
			t.Fatalf("%s holds %d images, the run has %d", path, len(got), len(ref))
		}
		for j := range got[i] {
			if got[i][j] != ref[i][j] {
				t.Fatalf("%s image %d cell %d = %v, uninterrupted run %v", path, i, j, got[i][j], ref[i][j])
			}
		}
	}
	return len(got)
}

// TestSignalStopsCleanlyAndResumes stops runs with SIGINT or SIGTERM after
// a random number of reported flushes (from a logged seed): each file
// opens, holds frames_written images equal to the uninterrupted run's,
// and --resume completes it to the identical file. A trial whose run ended
// before its stop tests nothing: it says so, and another is run.
func TestSignalStopsCleanlyAndResumes(t *testing.T) {
	ref := reference(t)
	rng := seededRand(t)
	shapes := [][]string{{"--flush-every", "9"}, {"--storage-buffer-len", "3", "--flush-every", "7"},
		{"--compression-level", "2", "--flush-every", "5"}, {"--storage-buffer-len", "0", "--readback-slots", "1", "--flush-every", "6"}}
	valid := 0
	for trial := 0; valid < len(shapes); trial++ {
		if trial == 3*len(shapes) {
			t.Fatalf("only %d of %d trials could stop a run in the middle", valid, len(shapes))
		}
		sig := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}[trial%2]
		extra := shapes[valid]
		out := filepath.Join(t.TempDir(), fmt.Sprintf("stop%d.h5", trial))
		w := startWatchedRun(t, append([]string{"-o", out}, extra...)...)
		k := 1 + rng.IntN(4)
		delay, stopped := stopAfterFlush(w, sig, k, rng)
		code := w.exitCode(t)
		requireGL(t, w.stderr.String())
		if !stopped || code == exitOK {
			t.Logf("trial %d %v: the run ended before flush %d: nothing tested, trying again", trial, extra, k)
			continue
		}
		valid++
		if code != 128+int(sig) {
			t.Fatalf("trial %d: exit %d after %v, want %d; stderr:\n%s", trial, code, sig, 128+int(sig), w.stderr)
		}
		n := checkPrefix(t, out, ref)
		if fw := h5test.Int(t, out, "frames_written"); fw != int64(n) {
			t.Errorf("trial %d: frames_written %d, /matrix holds %d", trial, fw, n)
		}
		if last := w.lastFlush(); n < last {
			t.Errorf("trial %d: the run reported %d images flushed, the file holds %d", trial, last, n)
		}
		if c := h5test.Int(t, out, "completed"); c != 0 {
			t.Errorf("trial %d: completed = %d after a signal", trial, c)
		}
		if !strings.Contains(w.stderr.String(), "--resume "+out) {
			t.Errorf("trial %d: stderr does not say how to resume:\n%s", trial, w.stderr)
		}
		r, err := h5.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		_, ckImages, ok := r.Checkpoint()
		r.Close()
		if !ok || ckImages != n {
			t.Errorf("trial %d: checkpoint after image %d (%v); a clean stop checkpoints its last image, %d", trial, ckImages, ok, n)
		}
		t.Logf("trial %d %v: %v after flush %d and %v kept %d images", trial, extra, sig, k, delay, n)

		code, _, errs := runMain("run", "-q", "--resume", out)
		if code != exitOK {
			t.Fatalf("trial %d: resume: exit %d: %s", trial, code, errs)
		}
		if n := checkPrefix(t, out, ref); n != len(ref) {
			t.Errorf("trial %d: resumed file holds %d images, want %d", trial, n, len(ref))
		}
		if c := h5test.Int(t, out, "completed"); c != 1 {
			t.Errorf("trial %d: completed = %d after resuming to the end", trial, c)
		}
		if r, err := h5.Open(out); err == nil {
			if reason, err := r.String("stop_reason"); err != nil || reason != "" {
				t.Errorf("trial %d: a completed file says stop_reason %q (%v), want \"\"", trial, reason, err)
			}
			r.Close()
		}
	}
}

// TestKillLosesAtMostWhatFollowsTheLastFlush kills runs with SIGKILL after
// a random number of reported flushes (from a logged seed), plain and
// compressed: the file opens as it is (no h5clear), for grayscott and for
// h5py with SWMR, and holds every image the run reported flushed, equal to
// the uninterrupted run's; --resume then completes it. The flushes are
// read from the run's own output, not from an attribute the run writes.
func TestKillLosesAtMostWhatFollowsTheLastFlush(t *testing.T) {
	ref := reference(t)
	rng := seededRand(t)
	// Raw images go to the file as they come and become visible at the
	// next publish or flush: the last shape publishes many times between
	// flushes, so that kills fall between publishes too.
	shapes := [][]string{{"--flush-every", "5"}, {"--flush-every", "4", "--compression-level", "1", "--storage-buffer-len", "2"},
		{"--flush-every", "3", "--storage-buffer-len", "0"}, {"--flush-every", "7", "--publish-every", "5ms"}}
	valid := 0
	for trial := 0; valid < len(shapes); trial++ {
		if trial == 3*len(shapes) {
			t.Fatalf("only %d of %d trials could kill a run in the middle", valid, len(shapes))
		}
		extra := shapes[valid]
		out := filepath.Join(t.TempDir(), fmt.Sprintf("kill%d.h5", trial))
		w := startWatchedRun(t, append([]string{"-o", out}, extra...)...)
		k := 1 + rng.IntN(6)
		delay, killed := stopAfterFlush(w, os.Kill, k, rng)
		code := w.exitCode(t)
		requireGL(t, w.stderr.String())
		if !killed || code != 128+int(syscall.SIGKILL) {
			t.Logf("trial %d %v: the run ended (exit %d) before flush %d: nothing tested, trying again", trial, extra, code, k)
			continue
		}
		valid++
		flushed := w.lastFlush()
		n := checkPrefix(t, out, ref)
		if got := h5pyImages(t, out); got >= 0 && got != n {
			t.Errorf("trial %d: h5py (SWMR) sees %d images in the killed file, grayscott %d", trial, got, n)
		}
		if n < flushed {
			t.Errorf("trial %d %v: the run reported %d images flushed before SIGKILL; the file holds %d", trial, extra, flushed, n)
		}
		// frames_written counts the images of the last flush or publish;
		// every image /matrix holds beyond it is complete too (checked
		// above against the uninterrupted run).
		if fw := h5test.Int(t, out, "frames_written"); fw > int64(n) || fw < int64(flushed) {
			t.Errorf("trial %d %v: frames_written %d, /matrix holds %d, %d reported flushed", trial, extra, fw, n, flushed)
		}
		t.Logf("trial %d %v: killed after flush %d and %v: %d images reported flushed, %d in /matrix", trial, extra, k, delay, flushed, n)
		code, _, errs := runMain("run", "-q", "--resume", out)
		if code != exitOK {
			t.Fatalf("trial %d: resume after kill: exit %d: %s", trial, code, errs)
		}
		if n := checkPrefix(t, out, ref); n != len(ref) {
			t.Errorf("trial %d: resumed file holds %d images", trial, n)
		}
	}
}

// h5pyImages opens path with h5py in SWMR mode, as a user would a file
// whose run was killed or is running, and returns its image count; -1
// where h5py is not installed (make test installs it).
func h5pyImages(t *testing.T, path string) int {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		return -1
	}
	out, err := exec.Command("/usr/bin/python3", "-c",
		`import sys, h5py; f = h5py.File(sys.argv[1], "r", swmr=True); print(f["matrix"].shape[0])`, path).CombinedOutput()
	if strings.Contains(string(out), "No module named 'h5py'") {
		return -1
	}
	if err != nil {
		t.Fatalf("h5py cannot open %s: %v: %s", path, err, out)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("h5py printed %q", out)
	}
	return n
}

func TestResumeRefusesOtherParameters(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.h5")
	code, _, stderr := runMain("run", "-q", "-r", "16", "-c", "16", "-n", "3", "-e", "5", "-o", out)
	requireGL(t, stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runMain("run", "-q", "--resume", out, "--preset", "worms"); code != exitUsage || !strings.Contains(stderr, "--preset worms (F 0.078, k 0.061; file: F 0.014, k 0.054)") {
		t.Errorf("resume with another preset: exit %d, %q", code, stderr)
	}
	code, _, stderr = runMain("run", "--resume", out, "-f", "0.03", "--boundary", "neumann", "-c", "16")
	if code != exitUsage {
		t.Fatalf("resume with other parameters: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"--feedrate 0.03 (file: 0.014)", "--boundary neumann (file: zero)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error %q does not name %q", stderr, want)
		}
	}
	if strings.Contains(stderr, "nbcol") {
		t.Errorf("error names -c although it matches the file: %q", stderr)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume", filepath.Join(t.TempDir(), "none.h5")}, "no such file"},
		{[]string{"--resume", out, "-o", "other.h5"}, "leave --output out"},
		{[]string{"--resume", out, "--force"}, "never overwrites"},
		{[]string{"--resume", out, "-n", "2"}, "already holds 3 images"},
	} {
		code, _, stderr := runMain(append([]string{"run", "-q"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	// Resuming a complete file says so and leaves it as it is.
	before, _ := os.ReadFile(out)
	if code, _, stderr := runMain("run", "--resume", out); code != exitOK || !strings.Contains(stderr, "is complete, with its 3 images: nothing to do") {
		t.Errorf("resuming a complete file: exit %d, %q", code, stderr)
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("resuming a complete file changed it")
	}
	// Extending a finished run with -n continues it.
	if code, _, stderr := runMain("run", "-q", "--resume", out, "-n", "5"); code != exitOK {
		t.Fatalf("extending with -n 5: exit %d: %s", code, stderr)
	}
	if n := len(h5test.ReadImages(t, out)); n != 5 {
		t.Errorf("extended file holds %d images, want 5", n)
	}
}

// TestWriteFailure injects an I/O error at an image: exit 1 with an error
// naming the file and the image, no hang, and the file keeps the images
// written before it.
func TestWriteFailure(t *testing.T) {
	ref := reference(t)
	for _, extra := range [][]string{{}, {"--storage-buffer-len", "0"}, {"--compression-level", "1", "--storage-buffer-len", "2"}} {
		out := filepath.Join(t.TempDir(), "fail.h5")
		cmd := command(append([]string{"run", "-q", "-o", out}, append(append([]string{}, stopArgs...), extra...)...)...)
		cmd.Env = append(cmd.Env, "GRAYSCOTT_FAIL_WRITE_AT=17")
		stderr := new(bytes.Buffer)
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		code := waitExit(t, cmd, stderr)
		requireGL(t, stderr.String())
		if code != exitFailure {
			t.Fatalf("%v: exit %d, want 1; stderr:\n%s", extra, code, stderr)
		}
		msg := strings.TrimSpace(stderr.String())
		if !strings.Contains(msg, "image 17") || !strings.Contains(msg, out) || !strings.Contains(msg, "input/output error") {
			t.Errorf("%v: error does not name the image, the file and the cause: %q", extra, msg)
		}
		if n := checkPrefix(t, out, ref); n != 17 {
			t.Errorf("%v: file holds %d images after a failure at image 17", extra, n)
		}
	}
}

// TestDiskFull runs out of space on a small tmpfs: exit 1 with an error
// naming the file, the image and the cause, and the file still opens with
// the images written before, raw, deflated or bitshuffled (lossless or
// with --keep-bits 10, against the uninterrupted rounded run): in
// grayscott, and for files with a codec in h5py through the plugin too.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root (CI runs as root); the injected-fault test covers the rest")
	}
	dir := t.TempDir()
	if b, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, b)
	}
	defer exec.Command("umount", dir).Run()
	rounded := []string{"--compression", "bitshuffle-lz4", "--keep-bits", "10"}
	for i, extra := range [][]string{{}, {"--storage-buffer-len", "0", "--flush-every", "10"},
		{"--compression-level", "1", "--flush-every", "5"}, {"--compression-level", "1", "--compress-workers", "0", "--flush-every", "5"},
		{"--compression-level", "1", "--storage-buffer-len", "0"},
		{"--compression", "bitshuffle-lz4", "--flush-every", "5"},
		{"--compression", "bitshuffle-lz4", "--compress-workers", "0", "--storage-buffer-len", "0"},
		append(rounded, "--flush-every", "7"),
		append(rounded, "--compress-workers", "0", "--flush-every", "3")} {
		ref := reference(t)
		if slices.Contains(extra, "--keep-bits") {
			ref = uninterrupted(t, rounded)
		}
		out := filepath.Join(dir, fmt.Sprintf("full%d.h5", i))
		var code int
		var stderr string
		done := make(chan struct{})
		go func() {
			defer close(done)
			code, _, stderr = runMain(append(append([]string{"run", "-q", "-o", out}, stopArgs...), extra...)...)
		}()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			t.Fatal("a run on a full disk did not end within 60 s")
		}
		requireGL(t, stderr)
		if code != exitFailure {
			t.Fatalf("%v: exit %d on a full disk, want 1: %s", extra, code, stderr)
		}
		if !strings.Contains(stderr, out) || !strings.Contains(stderr, "image ") || !strings.Contains(strings.ToLower(stderr), "no space left") {
			t.Errorf("%v: error does not name the file, the image and the cause: %q", extra, stderr)
		}
		n := checkPrefix(t, out, ref)
		if n == 0 || n >= len(ref) {
			t.Errorf("%v: %d images kept on a 1 MiB disk", extra, n)
		}
		// No phantom image: the file holds exactly what it says it holds.
		if fw := h5test.Int(t, out, "frames_written"); fw != int64(n) {
			t.Errorf("%v: /matrix holds %d images, frames_written says %d", extra, n, fw)
		}
		if slices.Contains(extra, "--compression") {
			testutil.SameImages(t, fmt.Sprintf("%v: the file of a full disk, read by h5py", extra), testutil.H5pyImages(t, out), ref[:n])
		}
		t.Logf("%v: %d images kept; error: %s", extra, n, strings.TrimSpace(stderr))
		os.Remove(out)
		os.Remove(h5.XDMFPath(out)) // its sidecar too: each shape has the whole disk
	}
}
