package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/storage/h5"
	"grayscott/storage/h5/guard"
	"grayscott/storage/h5/h5test"
)

// cpuKillArgs is a run of the CPU engine long enough to be killed in the
// middle (stopArgs' run takes it a tenth of a second).
var cpuKillArgs = []string{"--engine", "cpu", "--threads", "1", "-e", "600"}

// uninterrupted returns the images of the uninterrupted run of stopArgs
// followed by extra, computed once per test binary.
var uninterruptedRuns = map[string][][]float32{}

func uninterrupted(t *testing.T, extra []string) [][]float32 {
	t.Helper()
	if len(extra) == 0 {
		return reference(t)
	}
	key := strings.Join(extra, " ")
	if ref, ok := uninterruptedRuns[key]; ok {
		return ref
	}
	out := filepath.Join(t.TempDir(), "uninterrupted.h5")
	code, _, stderr := runMain(append(append([]string{"run", "-q", "-o", out}, stopArgs...), extra...)...)
	requireGL(t, stderr)
	if code != exitOK {
		t.Fatalf("uninterrupted run %v: exit %d: %s", extra, code, stderr)
	}
	uninterruptedRuns[key] = h5test.ReadImages(t, out)
	return uninterruptedRuns[key]
}

// waitUnmarked waits (at most 10 s) for path to lose its writer's mark
// (its run's guardian clears it) and for the guardian to end.
func waitUnmarked(t *testing.T, path string) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 10*time.Second {
		if set, err := h5.WriterMark(path); err == nil && !set && len(guardians(t, path)) == 0 {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	set, err := h5.WriterMark(path)
	t.Fatalf("%s: 10 s after its run was killed: writer's mark %v (%v), guardians %v", path, set, err, guardians(t, path))
	return 0
}

// guardians returns the pids of the live guardians of path (their
// command line names it).
func guardians(t *testing.T, path string) []int {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
		args := strings.Split(string(b), "\x00")
		if err != nil || len(args) < 4 || args[1] != guard.Subcommand || args[3] != abs {
			continue
		}
		if st, err := os.ReadFile("/proc/" + p.Name() + "/stat"); err == nil && !strings.Contains(string(st), ") Z ") {
			pid, _ := strconv.Atoi(p.Name())
			pids = append(pids, pid)
		}
	}
	return pids
}

// plainReaders opens path as scripts and tools do, without SWMR: h5py
// (its image count) and h5dump -H. It fails the test where either refuses
// the file; n is -1 where h5py is not installed.
func plainReaders(t *testing.T, path string) (n int) {
	t.Helper()
	testutil.HaveH5py(t) // its absence fails where the readers are required
	n, err := plainH5py(path)
	if err != nil {
		t.Fatalf("plain h5py.File(%s, \"r\"): %v", path, err)
	}
	if h5dump := testutil.H5dumpPath(t); h5dump != "" {
		if out, err := exec.Command(h5dump, "-H", path).CombinedOutput(); err != nil {
			t.Fatalf("h5dump -H %s: %v\n%s", path, err, out)
		}
	}
	return n
}

// plainH5py returns the image count h5py reads from path opened plainly
// (no SWMR), or h5py's refusal; -1 where h5py is not installed.
func plainH5py(path string) (int, error) {
	out, err := exec.Command("/usr/bin/python3", "-c",
		`import sys, h5py; print(h5py.File(sys.argv[1], "r")["matrix"].shape[0])`, path).CombinedOutput()
	if strings.Contains(string(out), "No module named 'h5py'") || errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// killTrial runs stopArgs followed by base and extra (base selects the
// uninterrupted run to compare with, extra does not change the images),
// SIGKILLs it after its k-th
// reported flush and up to 40 ms more (k at random up to a quarter of its
// flushes, from rng), and checks what a user then finds: the file loses
// its writer's mark within 10 s (its guardian), opens in plain h5py and
// h5dump, holds every flushed image equal to the uninterrupted run's, and
// --resume completes it bit-identical. It reports false when the run
// ended before the kill (nothing tested).
func killTrial(t *testing.T, name string, base, extra []string, rng *rand.Rand) bool {
	t.Helper()
	ref := uninterrupted(t, base)
	out := filepath.Join(t.TempDir(), "killed.h5")
	w := startWatchedRun(t, append([]string{"-o", out}, extra...)...)
	flushEvery := 1
	for i, a := range extra {
		if a == "--flush-every" {
			flushEvery, _ = strconv.Atoi(extra[i+1])
		}
	}
	k := 1 + rng.IntN(max(1, len(ref)/flushEvery/4))
	delay, killed := stopAfterFlush(w, os.Kill, k, rng)
	code := w.exitCode(t)
	requireGL(t, w.stderr.String())
	if !killed || code != 128+int(syscall.SIGKILL) {
		t.Logf("%s: the run ended (exit %d) before flush %d: nothing tested", name, code, k)
		return false
	}
	cleared := waitUnmarked(t, out)
	py := plainReaders(t, out)
	n := checkPrefix(t, out, ref)
	if py >= 0 && py != n {
		t.Errorf("%s: plain h5py sees %d images, grayscott %d", name, py, n)
	}
	if py >= 0 {
		// No phantom image in h5py either (through the plugin for
		// bitshuffle): each image it reads is the uninterrupted run's.
		testutil.SameImages(t, name+": the killed file read by h5py", testutil.H5pyImages(t, out), ref[:n])
	}
	if flushed := w.lastFlush(); n < flushed {
		t.Errorf("%s: the run reported %d images flushed; the file holds %d", name, flushed, n)
	}
	t.Logf("%s: killed after flush %d and %v with %d images; readable everywhere %v later", name, k, delay, n, cleared.Round(time.Millisecond))
	code, _, errs := runMain("run", "-q", "--resume", out)
	if code != exitOK {
		t.Fatalf("%s: resume after the kill: exit %d: %s", name, code, errs)
	}
	if n := checkPrefix(t, out, ref); n != len(ref) {
		t.Errorf("%s: the resumed file holds %d images, want %d", name, n, len(ref))
	}
	if slices.Contains(extra, "--compression") && py >= 0 {
		testutil.SameImages(t, name+": the resumed file read by h5py", testutil.H5pyImages(t, out), ref)
	}
	return true
}

// TestKilledRunsOpenInEveryReader kills runs of both engines with SIGKILL
// at random moments (from a logged seed), ten per engine: during flushes
// (--flush-every 1), publishes (--publish-every 1ms) and plain appends,
// raw, deflated and bitshuffled (lossless, and with --keep-bits 10, whose
// images are compared with the uninterrupted rounded run). Every file
// opens in plain h5py and h5dump within 10 s, holds the uninterrupted
// run's images (in grayscott and in h5py, through the bitshuffle plugin),
// and resumes to it bit for bit.
func TestKilledRunsOpenInEveryReader(t *testing.T) {
	rounded := []string{"--compression", "bitshuffle-lz4", "--keep-bits", "10"}
	shapes := []struct{ images, other []string }{ // images: flags that change the images
		{nil, []string{"--flush-every", "1"}},
		{nil, []string{"--flush-every", "8", "--publish-every", "1ms"}},
		{nil, []string{"--flush-every", "1", "--compression-level", "1"}},
		{nil, []string{"--flush-every", "5", "--publish-every", "1ms", "--compression-level", "1", "--storage-buffer-len", "2"}},
		{nil, []string{"--flush-every", "3", "--storage-buffer-len", "0", "--readback-slots", "1"}},
		{nil, []string{"--flush-every", "2", "--compression", "bitshuffle-lz4"}},
		{rounded, []string{"--flush-every", "4", "--publish-every", "1ms", "--compress-workers", "0"}},
		{rounded, []string{"--flush-every", "1", "--storage-buffer-len", "2"}},
	}
	for _, engine := range []string{"gpu", "cpu"} {
		t.Run(engine, func(t *testing.T) {
			rng := seededRand(t)
			valid := 0
			for trial := 0; valid < 10; trial++ {
				if trial == 30 {
					t.Fatalf("only %d of 30 trials could kill a run in the middle", valid)
				}
				var base []string
				if engine == "cpu" {
					base = cpuKillArgs
				}
				shape := shapes[trial%len(shapes)]
				base = append(append([]string{}, base...), shape.images...)
				extra := append(append([]string{}, base...), shape.other...)
				if killTrial(t, fmt.Sprintf("%s trial %d %v", engine, trial, extra), base, extra, rng) {
					valid++
				}
			}
		})
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// oneLine asserts that a command printed exactly one line in all, holding
// want.
func oneLine(t *testing.T, what, stdout, stderr, want string) {
	t.Helper()
	all := stdout + stderr
	if strings.Count(all, "\n") != 1 || !strings.HasSuffix(all, "\n") || !strings.Contains(all, want) {
		t.Errorf("%s printed %q; want one line with %q", what, all, want)
	}
}

// TestRecoverAnswers: recover on a healthy file, a missing file and files
// that are not HDF5 answers in one line with exit status 0, 2 and 1, and
// changes nothing.
func TestRecoverAnswers(t *testing.T) {
	dir := t.TempDir()
	healthy := filepath.Join(dir, "healthy.h5")
	if code, _, stderr := runMain("run", "-q", "--engine", "cpu", "-r", "8", "-c", "9", "-n", "2", "-e", "3", "-o", healthy); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	text := filepath.Join(dir, "notes.h5")
	os.WriteFile(text, []byte("these are not images\n"), 0o644)
	empty := filepath.Join(dir, "empty.h5")
	os.WriteFile(empty, nil, 0o644)
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{healthy, exitOK, "nothing to do"},
		{text, exitFailure, "not an HDF5 file; nothing changed"},
		{empty, exitFailure, "not an HDF5 file; nothing changed"},
		{filepath.Join(dir, "missing.h5"), exitUsage, "no such file"},
	} {
		var before [32]byte
		if c.code != exitUsage {
			before = fileSum(t, c.path)
		}
		code, stdout, stderr := runMain("recover", c.path)
		if code != c.code {
			t.Errorf("recover %s: exit %d, want %d (%s%s)", filepath.Base(c.path), code, c.code, stdout, stderr)
		}
		oneLine(t, "recover "+filepath.Base(c.path), stdout, stderr, c.want)
		if c.code != exitUsage && fileSum(t, c.path) != before {
			t.Errorf("recover %s changed the file", filepath.Base(c.path))
		}
	}
	if code, _, stderr := runMain("recover"); code != exitUsage {
		t.Errorf("recover without a file: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := runMain("recover", "--help"); code != exitOK || !strings.Contains(stdout, "Usage: grayscott recover") {
		t.Errorf("recover --help: exit %d: %s", code, stdout)
	}
}

// TestRecoverRefusedWhileRunning: while a run writes its file, recover,
// a resume and an overwrite of it are refused (their guardians leave at
// once), info asks for nothing, and the run completes with exactly the
// uninterrupted run's images.
func TestRecoverRefusedWhileRunning(t *testing.T) {
	ref := reference(t)
	out := filepath.Join(t.TempDir(), "live.h5")
	w := startWatchedRun(t, "-o", out, "--flush-every", "5")
	if _, ok := <-w.flushes; !ok {
		requireGL(t, w.stderr.String())
		t.Fatalf("the run ended before its first flush: %s", w.stderr)
	}
	// Paused, the run holds its file as it does while it runs, however
	// long the attempts below take.
	w.cmd.Process.Signal(syscall.SIGSTOP)
	code, stdout, stderr := runMain("recover", out)
	if code != exitFailure {
		t.Errorf("recover of a file being written: exit %d, want 1", code)
	}
	oneLine(t, "recover of a file being written", stdout, stderr, "being written by a running process")
	if code, _, stderr := runMain("run", "-q", "--engine", "cpu", "--resume", out); code == exitOK || !strings.Contains(stderr, "being written by another process") {
		t.Errorf("resume of a file being written: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runMain(append(append([]string{"run", "-q", "--force", "-o", out}, stopArgs...), "--engine", "cpu")...); code == exitOK || !strings.Contains(stderr, "being written by another process") {
		t.Errorf("overwriting a file being written: exit %d: %s", code, stderr)
	}
	if _, stdout, _ := runMain("info", out); strings.Contains(stdout, "recover") {
		t.Errorf("info of a file being written says to recover it:\n%s", stdout)
	}
	if set, err := h5.WriterMark(out); !set || err != nil {
		t.Errorf("the mark of a file being written was cleared (%v)", err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if g := guardians(t, out); len(g) == 1 {
			break
		} else if time.Now().After(deadline) {
			t.Errorf("the file has guardians %v; want the run's only (those of the refused runs leave at once)", g)
			break
		}
	}
	w.cmd.Process.Signal(syscall.SIGCONT)
	if code := w.exitCode(t); code != exitOK {
		t.Fatalf("the run: exit %d: %s", code, w.stderr)
	}
	if n := checkPrefix(t, out, ref); n != len(ref) {
		t.Errorf("the run's file holds %d images, want %d", n, len(ref))
	}
	if py := plainReaders(t, out); py >= 0 && py != len(ref) {
		t.Errorf("plain h5py sees %d images, want %d", py, len(ref))
	}
	waitUnmarked(t, out) // and its guardian gone
}

// TestRecoverAfterGuardianKilled kills a run's guardian, then the run:
// the file keeps its writer's mark; info, render and xdmf say in one line
// to run grayscott recover, which makes it open in plain h5py and h5dump
// with every image, and --resume completes it.
func TestRecoverAfterGuardianKilled(t *testing.T) {
	ref := reference(t)
	out := filepath.Join(t.TempDir(), "orphan.h5")
	w := startWatchedRun(t, "-o", out, "--flush-every", "3")
	var g []int
	for deadline := time.Now().Add(10 * time.Second); len(g) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		g = guardians(t, out)
	}
	if len(g) != 1 {
		requireGL(t, w.stderr.String())
		t.Fatalf("the run has guardians %v, want one", g)
	}
	for seen := 0; seen < 2; seen++ {
		if _, ok := <-w.flushes; !ok {
			t.Fatalf("the run ended before its second flush: %s", w.stderr)
		}
	}
	syscall.Kill(g[0], syscall.SIGKILL)
	for deadline := time.Now().Add(10 * time.Second); len(guardians(t, out)) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the guardian survived SIGKILL for 10 s")
		}
	}
	w.cmd.Process.Kill()
	if code := w.exitCode(t); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("the run ended with exit %d before it was killed", code)
	}
	if set, err := h5.WriterMark(out); !set || err != nil {
		t.Fatalf("the file of a run killed with its guardian carries no mark (%v): this test tests nothing", err)
	}
	if _, err := plainH5py(out); err == nil || !strings.Contains(err.Error(), "already open for write") {
		t.Fatalf("plain h5py on a marked file: %v; want it refused", err)
	}
	hint := "grayscott recover " + out
	_, stdout, _ := runMain("info", out)
	if strings.Count(stdout, hint) != 1 {
		t.Errorf("info does not say once to run %q:\n%s", hint, stdout)
	}
	for _, args := range [][]string{{"xdmf", out}, {"render", out, "-o", filepath.Join(t.TempDir(), "last.png")}} {
		if code, _, stderr := runMain(args...); code != exitOK || strings.Count(stderr, hint) != 1 {
			t.Errorf("%s: exit %d; stderr does not say once to run %q:\n%s", args[0], code, hint, stderr)
		}
	}
	code, stdout, stderr := runMain("recover", out)
	if code != exitOK {
		t.Fatalf("recover: exit %d: %s", code, stderr)
	}
	oneLine(t, "recover", stdout, stderr, "cleared")
	n := checkPrefix(t, out, ref)
	if py := plainReaders(t, out); py >= 0 && py != n {
		t.Errorf("plain h5py sees %d images, grayscott %d", py, n)
	}
	if _, stdout, _ := runMain("info", out); strings.Contains(stdout, "recover") {
		t.Errorf("info of a recovered file still says to recover it:\n%s", stdout)
	}
	if code, _, errs := runMain("run", "-q", "--resume", out); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if n := checkPrefix(t, out, ref); n != len(ref) {
		t.Errorf("the resumed file holds %d images, want %d", n, len(ref))
	}
}
