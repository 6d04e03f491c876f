package main

import (
	"bufio"
	"image"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/internal/testutil/browser"
)

// slowRun is a run of the CPU engine on one thread that takes a few
// tenths of a second per image: long enough to watch, tiny to store.
var slowRun = []string{"--engine", "cpu", "--threads", "1", "-r", "48", "-c", "64", "-e", "20000"}

// served is a grayscott process that serves a page (its stderr read as
// it comes, as a watchedRun's).
type served struct {
	*watchedRun
	url string
}

var pageURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// startServed starts grayscott with args and waits until its stderr names
// the page's address; the process is killed at the test's end if it still
// runs.
func startServed(t *testing.T, args ...string) *served {
	t.Helper()
	s := &served{watchedRun: &watchedRun{cmd: command(args...), stderr: &lockedBuffer{}, exited: make(chan struct{})}}
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.stderr.Write(append(sc.Bytes(), '\n'))
			if u := pageURL.FindString(sc.Text()); u != "" {
				select {
				case found <- u:
				default:
				}
			}
		}
	}()
	go func() { s.cmd.Wait(); pw.Close(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
	})
	select {
	case s.url = <-found:
	case <-s.exited:
		t.Fatalf("grayscott %s ended before serving: %s", strings.Join(args, " "), s.stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("grayscott %s names no page within 30 s: %s", strings.Join(args, " "), s.stderr)
	}
	return s
}

// startBackground starts grayscott with args; the channel gets what its
// Wait returns. It is killed at the test's end if it still runs.
func startBackground(t *testing.T, args ...string) <-chan error {
	t.Helper()
	cmd := command(args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return exited
}

// interrupt sends the process SIGINT, waits until the page shows the end
// and cond (a JavaScript condition) holds, and checks the exit status.
func (s *served) interrupt(t *testing.T, tab *browser.Tab, cond string, want int) {
	t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	tab.WaitUntil("the page shows the end", "document.body.dataset.ended === 'true' && "+cond)
	if code := s.exitCode(t); code != want {
		t.Errorf("exit %d after SIGINT, want %d; stderr:\n%s", code, want, s.stderr)
	}
}

// imagesDone reads the page's "N of M" images.
func imagesDone(tab *browser.Tab) int {
	return browser.Eval[int](tab, `parseInt(document.getElementById('done').textContent) || 0`)
}

// sameAsRender checks that pixels, which the page showed as image index
// of file, are those of grayscott render's PNG of that image.
func sameAsRender(t *testing.T, file, index string, pixels image.Image) {
	t.Helper()
	if _, err := strconv.Atoi(index); err != nil {
		t.Fatalf("the page's image has no index (%q)", index)
	}
	png := filepath.Join(t.TempDir(), "render.png")
	if code, _, stderr := runMain("render", file, "--frames", index, "-o", png, "--colorbar=false"); code != exitOK {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	if same, where := testutil.SamePixels(pixels, testutil.DecodePNG(t, png), 0); !same {
		t.Errorf("the page's image %s differs from render's PNG of it at %s", index, where)
	}
}

// TestServeRunInTheBrowser watches a run with --serve from Chromium: the
// page loads with no console error, its progress advances while the run
// goes on, its image is render's PNG of the same image pixel for pixel,
// and after SIGINT it shows the stop while the run exits 130.
func TestServeRunInTheBrowser(t *testing.T) {
	tab := browser.Open(t)
	out := filepath.Join(t.TempDir(), "run.h5")
	run := startServed(t, append([]string{"run", "-o", out, "-n", "500", "--serve", "127.0.0.1:0"}, slowRun...)...)
	tab.Navigate(run.url)
	tab.WaitUntil("the page shows the run", `document.getElementById('state').textContent === 'running' &&
		document.getElementById('engine').textContent === 'cpu'`)
	for range 2 {
		n := imagesDone(tab)
		tab.WaitUntil("the progress advances", "parseInt(document.getElementById('done').textContent) > "+strconv.Itoa(n))
	}
	tab.WaitUntil("an image", `document.getElementById('image').dataset.index >= 0`)
	pixels, data := tab.ImagePixels("image")
	run.interrupt(t, tab, `document.getElementById('state').textContent === 'stopped' &&
		document.getElementById('reason').textContent.includes('SIGINT')`, 130)
	tab.NoErrors()
	sameAsRender(t, out, data["index"], pixels)
}

// TestServeFileWhileARunWritesIt serves a file that a run is writing: the
// page follows its progress, shows its completion, and its image is
// render's; Ctrl-C stops the server (exit 0) and the page says so.
func TestServeFileWhileARunWritesIt(t *testing.T) {
	tab := browser.Open(t)
	out := filepath.Join(t.TempDir(), "run.h5")
	exited := startBackground(t, append([]string{"run", "-q", "-o", out, "-n", "8"}, slowRun...)...)
	testutil.WaitUntil(t, "the run's file", func() bool { _, err := os.Stat(out); return err == nil })
	srv := startServed(t, "serve", out, "--addr", "127.0.0.1:0", "--interval", "100ms")
	tab.Navigate(srv.url)
	tab.WaitUntil("the page shows the file being written", `document.getElementById('state').textContent === 'running'`)
	n := imagesDone(tab)
	tab.WaitUntil("the progress advances", "parseInt(document.getElementById('done').textContent) > "+strconv.Itoa(n))
	tab.WaitUntil("the page shows the completion and the last image", `document.getElementById('state').textContent === 'completed' &&
		document.getElementById('image').dataset.index === '7'`)
	testutil.WithDeadline(t, 30*time.Second, func() {
		if err := <-exited; err != nil {
			t.Errorf("the run: %v", err)
		}
	})
	pixels, data := tab.ImagePixels("image")
	srv.interrupt(t, tab, "true", 0)
	tab.NoErrors()
	sameAsRender(t, out, data["index"], pixels)
}

// TestServeSweepShowsStatesAsTheyChange serves a sweep that runs one point
// at a time: the page shows each point pending, then running, then done,
// and the mosaic's picture on the tiles.
func TestServeSweepShowsStatesAsTheyChange(t *testing.T) {
	tab := browser.Open(t)
	dir := filepath.Join(t.TempDir(), "sweep")
	exited := startBackground(t, append([]string{"sweep", dir, "--jobs", "1", "--feedrate", "0.03,0.04,0.05", "-n", "3"}, slowRun...)...)
	testutil.WaitUntil(t, "the sweep's manifest", func() bool { _, err := os.Stat(filepath.Join(dir, "sweep.json")); return err == nil })
	srv := startServed(t, "serve", dir, "--addr", "127.0.0.1:0", "--interval", "100ms")
	tab.Navigate(srv.url)
	var seen []string // the states of the three points, as they changed
	testutil.WaitUntil(t, "every point done", func() bool {
		states := browser.Eval[string](tab, `Array.from(document.querySelectorAll('#mosaic td[data-point] .state')).map(e => e.textContent).join(' ')`)
		if len(seen) == 0 || seen[len(seen)-1] != states {
			seen = append(seen, states)
		}
		time.Sleep(50 * time.Millisecond)
		return states == "done done done"
	})
	// Each point goes through its states in order, and was seen running.
	for i := range 3 {
		var order []string
		for _, s := range seen {
			if f := strings.Fields(s); len(f) == 3 && (len(order) == 0 || order[len(order)-1] != f[i]) {
				order = append(order, f[i])
			}
		}
		want := "running done"
		if i > 0 {
			want = "pending running done"
		}
		if strings.Join(order, " ") != want && strings.Join(order, " ") != "pending "+want {
			t.Errorf("point %d went through %v, want %s; the page showed %q", i, order, want, seen)
		}
	}
	tab.WaitUntil("the mosaic's picture on the tiles", `document.querySelector('.tile').style.backgroundImage.startsWith('url("blob:')`)
	testutil.WithDeadline(t, 30*time.Second, func() {
		if err := <-exited; err != nil {
			t.Errorf("the sweep: %v", err)
		}
	})
	srv.interrupt(t, tab, "true", 0)
	tab.NoErrors()
}

// TestServeBadAddress: a bad address or a port in use is a one-line usage
// error (exit 2) before any work: no file is written.
func TestServeBadAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "run.h5")
	file := filepath.Join(dir, "file.h5")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr, want string
	}{
		{busy.Addr().String(), "is in use"},
		{"nonsense", "want [HOST]:PORT"},
		{"127.0.0.1:99999", "want a number from 0 to 65535"},
		{"192.0.2.1:8080", "not an address of this machine"},
		{"", "want [HOST]:PORT"},
	} {
		for _, args := range [][]string{
			append([]string{"run", "-o", out, "-n", "2", "--serve", c.addr}, slowRun...),
			{"serve", file, "--addr", c.addr},
		} {
			var code int
			var stderr string
			// A bad address accepted would serve (or run) on: fail, not hang.
			testutil.WithDeadline(t, time.Minute, func() { code, _, stderr = runMain(args...) })
			if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("%v: exit %d, %q; want exit 2 and one line saying %q", args, code, stderr, c.want)
			}
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("--serve %s: the run wrote its file", c.addr)
		}
	}
}

// TestServeBeyondLoopbackWarns: an address that names a host beyond
// loopback serves, with a one-line warning that anyone can watch.
func TestServeBeyondLoopbackWarns(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run.h5")
	code, _, stderr := runMain("run", "-o", out, "-n", "1", "-r", "16", "-c", "16", "-e", "2", "--engine", "cpu", "--serve", "0.0.0.0:0")
	var warnings []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.Contains(line, "level=WARN") {
			warnings = append(warnings, line)
		}
	}
	if code != exitOK || len(warnings) != 1 || !strings.Contains(warnings[0], "anyone who can reach this port can watch") {
		t.Errorf("exit %d, warnings %q; want exit 0 and one warning", code, warnings)
	}
}

// TestServeQuietSaysTheAddress: -q prints nothing but errors and the
// page's address, which --serve :0 gives no other way to learn.
func TestServeQuietSaysTheAddress(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run.h5")
	code, stdout, stderr := runMain("run", "-q", "-o", out, "-n", "1", "-r", "16", "-c", "16", "-e", "2", "--engine", "cpu", "--serve", "127.0.0.1:0")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != exitOK || stdout != "" || len(lines) != 1 || !strings.Contains(lines[0], "page at http://127.0.0.1:") || strings.HasSuffix(lines[0], ":0/") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 and one line with the page's address", code, stdout, stderr)
	}
}
