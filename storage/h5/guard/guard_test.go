package guard

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage/h5"
)

// TestMain lets the test binary be the guardian (Start runs this
// executable with Subcommand) and the writer whose file it guards
// (GRAYSCOTT_GUARD_TEST_WRITE, see writer).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == Subcommand {
		os.Exit(Main(os.Args[2:]))
	}
	if path := os.Getenv("GRAYSCOTT_GUARD_TEST_WRITE"); path != "" {
		os.Exit(writer(path, os.Getenv("GRAYSCOTT_GUARD_TEST_END")))
	}
	os.Exit(m.Run())
}

const rows, cols, images = 9, 11, 4

func frames() [][]float32 {
	rng := rand.New(rand.NewPCG(5, 5))
	out := make([][]float32, images)
	for i := range out {
		out[i] = make([]float32, rows*cols)
		for j := range out[i] {
			out[i][j] = rng.Float32()
		}
	}
	return out
}

// writer is a run in small: it starts the guardian of path, writes the
// images in SWMR mode, says "ready", and then ends as end says: "killed"
// waits to be killed; "clean" waits for a line on its input, then closes
// the file, calls stop and exits.
func writer(path, end string) int {
	stop, err := Start(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = rows, cols, images
	f, err := h5.Create(path, p, nil, h5.Options{})
	if err == nil {
		err = f.StartSWMR()
	}
	for _, fr := range frames() {
		if err == nil {
			err = f.WriteFrame(fr)
		}
	}
	if err == nil {
		err = f.Publish()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	if end == "clean" {
		bufio.NewReader(os.Stdin).ReadString('\n') // the test has found the guardian
		if err := f.Close(true, ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		stop()
		return 0
	}
	select {}
}

type run struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *bytes.Buffer
}

// startWriter starts the writer process on path and waits for its
// "ready"; with pgid it runs in a process group of its own. The writer
// inherits a pipe as descriptor 4, as a shell or make may pass one down
// (not close-on-exec): its guardian must not keep it.
func startWriter(t *testing.T, path, end string, pgid bool) *run {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GRAYSCOTT_GUARD_TEST_WRITE="+path, "GRAYSCOTT_GUARD_TEST_END="+end)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: pgid}
	leakR, leakW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer leakR.Close()
	t.Cleanup(func() { leakW.Close() })
	cmd.ExtraFiles = []*os.File{nil, leakR}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &run{cmd: cmd, in: stdin, out: bufio.NewReader(stdout), stderr: &bytes.Buffer{}}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r.expect(t, "ready")
	return r
}

// expect waits (at most 30 s) for the writer's next line, which must be want.
func (r *run) expect(t *testing.T, want string) {
	t.Helper()
	line := make(chan string, 1)
	go func() { s, _ := r.out.ReadString('\n'); line <- strings.TrimSpace(s) }()
	select {
	case got := <-line:
		if got != want {
			t.Fatalf("the writer said %q, want %q; stderr: %s", got, want, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the writer did not say %q within 30 s; stderr: %s", want, r.stderr)
	}
}

// guardianOf returns the pid of the guardian that process pid started.
func guardianOf(t *testing.T, pid int) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var found []int
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			b, err := os.ReadFile("/proc/" + p.Name() + "/cmdline")
			if args := strings.Split(string(b), "\x00"); err == nil && len(args) > 2 && args[1] == Subcommand && args[2] == strconv.Itoa(pid) {
				g, _ := strconv.Atoi(p.Name())
				found = append(found, g)
			}
		}
		if len(found) == 1 {
			return found[0]
		} else if len(found) > 1 {
			t.Fatalf("process %d has %d guardians: %v", pid, len(found), found)
		}
	}
	t.Fatalf("process %d started no guardian", pid)
	return 0
}

// waitGone waits (at most 10 s) until process pid has ended (a zombie
// waiting for its parent has).
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !alive(pid) {
			return
		}
	}
	t.Fatalf("%s (pid %d) still runs after 10 s", what, pid)
}

func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// waitCleared waits (at most 10 s) until path no longer carries a
// writer's mark.
func waitCleared(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if set, err := h5.WriterMark(path); err == nil && !set {
			return
		}
	}
	t.Fatalf("%s still carries the writer's mark 10 s after its writer was killed", path)
}

// checkImages asserts that path opens in every reader (grayscott's,
// and h5py without SWMR where it is installed) and holds the writer's
// images.
func checkImages(t *testing.T, path string) {
	t.Helper()
	r, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := frames()
	n, _, _ := r.Shape()
	if n != len(want) {
		t.Fatalf("%s holds %d images, the writer wrote %d", path, n, len(want))
	}
	got := make([]float32, rows*cols)
	for i := range want {
		if err := r.ReadFrame(i, got); err != nil {
			t.Fatal(err)
		}
		for j := range got {
			if got[j] != want[i][j] {
				t.Fatalf("image %d cell %d = %v, the writer wrote %v", i, j, got[j], want[i][j])
			}
		}
	}
	if testutil.HaveH5py(t) {
		out, err := exec.Command("/usr/bin/python3", "-c",
			`import sys, h5py; print(h5py.File(sys.argv[1], "r")["matrix"].shape[0])`, path).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != strconv.Itoa(len(want)) {
			t.Fatalf("plain h5py: %v: %s", err, out)
		}
	}
}

// TestGuardianClearsAfterKill kills a writer with SIGKILL, alone or with
// its whole process group: its guardian, which leaves the file alone while
// the writer lives, holds nothing of the writer's but its pipe and is in a
// session of its own, clears the mark, and the file opens in plain readers
// with every image.
func TestGuardianClearsAfterKill(t *testing.T) {
	for _, group := range []bool{false, true} {
		t.Run(fmt.Sprintf("group=%v", group), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "run.h5")
			w := startWriter(t, path, "killed", group)
			g := guardianOf(t, w.cmd.Process.Pid)
			checkDetached(t, g, w.cmd.Process.Pid)
			// While the writer lives, the guardian leaves its file alone.
			before := sum(t, path)
			time.Sleep(300 * time.Millisecond)
			if set, err := h5.WriterMark(path); !set || err != nil {
				t.Fatalf("the mark of a live writer's file was cleared (%v)", err)
			}
			if sum(t, path) != before {
				t.Fatal("the live writer's file changed while it was idle")
			}
			if !alive(g) {
				t.Fatal("the guardian ended while its writer lives")
			}
			if group {
				syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
			} else {
				w.cmd.Process.Kill()
			}
			w.cmd.Wait()
			waitCleared(t, path)
			waitGone(t, g, "the guardian")
			checkImages(t, path)
		})
	}
}

// checkDetached asserts that the guardian g of writer w is in a session of
// its own and works in /, and that it holds nothing of its writer's but
// its pipe: its standard streams are /dev/null, descriptor 3 is a pipe of
// the writer's, and every other descriptor is its own (close-on-exec: it
// did not inherit it). Nothing keeps the writer's terminal, pipes, files
// or folders busy.
func checkDetached(t *testing.T, g, w int) {
	t.Helper()
	// The guardian closes what it inherited as it starts: look again
	// until it has (or 5 s have passed).
	var problems []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if problems = detachment(t, g, w); len(problems) == 0 {
			return
		}
	}
	t.Error(strings.Join(problems, "\n"))
}

func detachment(t *testing.T, g, w int) (problems []string) {
	if gs, ws := session(t, g), session(t, w); gs == ws {
		problems = append(problems, fmt.Sprintf("the guardian is in its writer's session %d", ws))
	}
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", g)); err != nil || cwd != "/" {
		problems = append(problems, fmt.Sprintf("the guardian works in %q (%v), want /", cwd, err))
	}
	writers := map[string]bool{}
	for _, target := range openFiles(t, w) {
		writers[target] = true
	}
	for fd, target := range openFiles(t, g) {
		switch {
		case fd <= 2:
			if target != "/dev/null" {
				problems = append(problems, fmt.Sprintf("the guardian's descriptor %d is %s, want /dev/null", fd, target))
			}
		case fd == 3:
			if !strings.HasPrefix(target, "pipe:") || !writers[target] {
				problems = append(problems, fmt.Sprintf("the guardian's descriptor 3 is %s, want a pipe of its writer's", target))
			}
		default:
			info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", g, fd))
			var flags int64
			for _, line := range strings.Split(string(info), "\n") {
				if v, ok := strings.CutPrefix(line, "flags:"); ok {
					flags, _ = strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				}
			}
			if err == nil && flags&syscall.O_CLOEXEC == 0 {
				problems = append(problems, fmt.Sprintf("the guardian inherited descriptor %d: %s", fd, target))
			}
		}
	}
	return problems
}

// openFiles returns what process pid's descriptors refer to ("/dev/null",
// "pipe:[123]", a path), by descriptor.
func openFiles(t *testing.T, pid int) map[int]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[int]string{}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil {
			n, _ := strconv.Atoi(fd.Name())
			files[n] = target
		}
	}
	return files
}

func session(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid pgrp session ...: comm may hold spaces.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	s, _ := strconv.Atoi(f[3])
	return s
}

// TestGuardianLeavesCleanFile: after a clean close and stop, the guardian
// exits at once and the file is not touched.
func TestGuardianLeavesCleanFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.h5")
	w := startWriter(t, path, "clean", false)
	g := guardianOf(t, w.cmd.Process.Pid)
	io.WriteString(w.in, "close\n")
	if err := w.cmd.Wait(); err != nil {
		t.Fatalf("writer: %v: %s", err, w.stderr)
	}
	before := sum(t, path)
	st, _ := os.Stat(path)
	waitGone(t, g, "the guardian after a clean end")
	if sum(t, path) != before {
		t.Error("the guardian changed a file closed cleanly")
	}
	if st2, _ := os.Stat(path); !st2.ModTime().Equal(st.ModTime()) {
		t.Error("the guardian wrote to a file closed cleanly")
	}
	checkImages(t, path)
}

// TestGuardianKilledFirst: with the guardian killed before its writer,
// the mark stays (the case grayscott recover is for) and h5.Recover
// clears it.
func TestGuardianKilledFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.h5")
	w := startWriter(t, path, "killed", false)
	g := guardianOf(t, w.cmd.Process.Pid)
	syscall.Kill(g, syscall.SIGKILL)
	waitGone(t, g, "the guardian after SIGKILL")
	w.cmd.Process.Kill()
	w.cmd.Wait()
	if a, err := h5.Abandoned(path); !a || err != nil {
		t.Fatalf("Abandoned = %v, %v after the writer and its guardian were killed; want true", a, err)
	}
	if res, err := h5.Recover(path); err != nil || !res.Cleared {
		t.Fatalf("Recover: %+v, %v", res, err)
	}
	checkImages(t, path)
}

func sum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
