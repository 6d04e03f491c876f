package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// TestReadersSeeARunningFile: while a run writes its file, readers open it
// as it is (SWMR; no lock error, no h5clear): grayscott's reader and h5py
// (swmr=True) see the number of images grow, each image equal to the
// uninterrupted run's; render --follow redraws the newest image as the run
// goes and ends when the run completes, with the last image drawn.
func TestReadersSeeARunningFile(t *testing.T) {
	ref := reference(t)
	dir := t.TempDir()
	out, last := filepath.Join(dir, "live.h5"), filepath.Join(dir, "last.png")
	w := startWatchedRun(t, "-o", out, "--publish-every", "100ms")
	defer w.cmd.Process.Kill()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(out); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run made no file in 30 s: %s", w.stderr)
		}
	}
	follow := command("render", "--follow", out, "-o", last, "--interval", "50ms")
	followLog := &lockedBuffer{}
	follow.Stderr = followLog
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()

	var seen []int // image counts read while the run was still going
	h5pySaw, failures := -1, 0
	running := func() bool {
		select {
		case <-w.exited:
			return false
		default:
			return true
		}
	}
	for running() {
		n, err := readLivePrefix(t, out, ref)
		if err != nil {
			// The run holds the file outside SWMR for a moment at its
			// very start and end (creating it; closing attributes).
			failures++
			t.Logf("reading the running file: %v", err)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if running() {
			seen = append(seen, n)
		}
		if h5pySaw < 0 && n > 0 && n < len(ref)/2 {
			h5pySaw = h5pyImages(t, out)
			if h5pySaw >= 0 && h5pySaw < n {
				t.Errorf("h5py (swmr=True) saw %d images after grayscott saw %d", h5pySaw, n)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := w.exitCode(t); code != exitOK {
		requireGL(t, w.stderr.String())
		t.Fatalf("the run: exit %d: %s", code, w.stderr)
	}
	seen = slices.Compact(seen)
	t.Logf("image counts seen during the run: %v (%d failed opens); h5py saw %d", seen, failures, h5pySaw)
	if !slices.IsSorted(seen) {
		t.Errorf("readers saw the image count go back: %v", seen)
	}
	// The last counts may be the complete file of a run that is exiting.
	within := slices.DeleteFunc(slices.Clone(seen), func(n int) bool { return n == 0 || n == len(ref) })
	if len(within) < 2 {
		t.Errorf("readers saw the running file hold %v images: want at least two counts between 0 and %d", seen, len(ref))
	}
	if code := waitExit(t, follow, nil); code != exitOK {
		t.Fatalf("render --follow: exit %d: %s", code, followLog)
	}
	var drawn []int
	for _, m := range regexp.MustCompile(`image (\d+)\n`).FindAllStringSubmatch(followLog.String(), -1) {
		i, _ := strconv.Atoi(m[1])
		drawn = append(drawn, i)
	}
	if len(drawn) < 2 || drawn[0] >= len(ref)-1 || drawn[len(drawn)-1] != len(ref)-1 ||
		!regexp.MustCompile(fmt.Sprintf(`completed with %d images`, len(ref))).MatchString(followLog.String()) {
		t.Errorf("render --follow drew images %v: want some during the run, then %d, then the end:\n%s", drawn, len(ref)-1, followLog)
	}
	final := filepath.Join(dir, "final.png")
	if code, _, errs := runMain("render", "-q", out, "-o", final); code != exitOK {
		t.Fatalf("render: %s", errs)
	}
	if ok, why := testutil.SamePixels(decodePNG(t, last), decodePNG(t, final), 0); !ok {
		t.Errorf("render --follow left %s, not the last image as render draws it: %s", last, why)
	}
}

// readLivePrefix opens a file a run is writing, checks each image it
// holds against the uninterrupted run's, bit for bit, and returns their
// number; an error where the file cannot be read now.
func readLivePrefix(t *testing.T, path string, ref [][]float32) (int, error) {
	t.Helper()
	r, err := h5.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, rows, cols := r.Shape()
	buf := make([]float32, rows*cols)
	for i := range n {
		if err := r.ReadFrame(i, buf); err != nil {
			return 0, err
		}
		if i >= len(ref) || !slices.Equal(buf, ref[i]) {
			t.Errorf("image %d of the %d a reader sees in the running file differs from the uninterrupted run's", i, n)
			return n, nil
		}
	}
	return n, nil
}

// TestFollowEndsWithTheRun: render --follow of a file whose run has ended
// draws its last image and returns at once, saying how the run ended:
// completed, or stopped with its reason.
func TestFollowEndsWithTheRun(t *testing.T) {
	dir := t.TempDir()
	completed := h5test.ReferenceFile(t, 3)
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 8, 8, 5
	stopped := h5test.File(t, "stopped.h5", p, [][]float32{make([]float32, 64), make([]float32, 64)}, false, "interrupted: by a test")
	for _, c := range []struct{ file, want string }{
		{completed, "completed with 3 images; "},
		{stopped, "stopped (interrupted: by a test) with 2 images; "},
	} {
		out := filepath.Join(dir, filepath.Base(c.file)+".png")
		done := make(chan struct{})
		var code int
		var stderr string
		go func() {
			defer close(done)
			code, _, stderr = runMain("render", "--follow", c.file, "-o", out, "--interval", "10ms")
		}()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("render --follow %s still runs after 30 s", c.file)
		}
		if code != exitOK || !strings.Contains(stderr, c.want) {
			t.Errorf("render --follow %s: exit %d, %q; want 0 and %q", c.file, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err != nil {
			t.Errorf("render --follow %s drew nothing: %v", c.file, err)
		}
	}
}

// TestFollowFromBeforeTheRunToItsKill starts render --follow before the
// run has created its file: it waits, draws the run's images, and ends
// when the run is killed, saying so, instead of waiting forever.
func TestFollowFromBeforeTheRunToItsKill(t *testing.T) {
	dir := t.TempDir()
	in, png := filepath.Join(dir, "run.h5"), filepath.Join(dir, "last.png")
	follow := command("render", "--follow", in, "-o", png, "--interval", "20ms")
	var ferr lockedBuffer
	follow.Stderr = &ferr
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitUntil(t, "follow says it waits", func() bool { return strings.Contains(ferr.String(), "not there yet") })
	run := command("run", "-q", "--engine", "cpu", "--threads", "1", "-r", "64", "-c", "64", "-n", "100000", "-e", "50",
		"--publish-every", "10ms", "-o", in)
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitUntil(t, "follow draws an image", func() bool { _, err := os.Stat(png); return err == nil })
	run.Process.Kill()
	run.Wait()
	if code := waitExit(t, follow, &ferr); code != exitOK || !strings.Contains(ferr.String(), "killed (its run ended without closing the file)") {
		t.Errorf("follow after the run's kill: exit %d\n%s", code, ferr.String())
	}
}
