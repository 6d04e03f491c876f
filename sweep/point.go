package sweep

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"grayscott/internal/runflags"
)

// PointOptions say how RunPoint runs a point.
type PointOptions struct {
	// Binary is the grayscott program whose "run" computes the point;
	// "" means this program (os.Executable).
	Binary string
	// Threads > 0 sizes the CPU engine, unless the point's flags do or it
	// runs on the GPU (which takes no --threads).
	Threads int
	// Task names the batch task running the point (Slurm: JOB_TASK), for
	// its markers; "" here.
	Task string
	// CancelFails makes a run stopped by the context a failure (a batch
	// task cancelled: its state must show it), not an interruption.
	CancelFails bool
}

// RunPoint runs point i to completion as a child process, "grayscott run"
// with the point's flags: a new file, the existing one resumed from its
// checkpoint, or started again when it has none (Observation.Start). The
// run's output goes to logs/; markers in state/ say it runs, then whether
// it failed. It returns nil at once for a point already done. A cancelled
// ctx sends the run SIGTERM (it stops cleanly, its file readable) and waits
// for it. RunPoint writes only the point's file, log and markers.
func (sw *Sweep) RunPoint(ctx context.Context, i int, o PointOptions) error {
	dir, p := sw.Dir, sw.Manifest.Points[i]
	path := filepath.Join(dir, p.File)
	start := sw.Observe(i, Queue{}).Start()
	if start == StartNone {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	args := runArgs(sw.Manifest.Args(i), path, start, o.Threads)
	binary, err := program(o.Binary)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "logs", strings.TrimSuffix(p.File, ".h5")+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "== %s grayscott %s\n", time.Now().Format(time.RFC3339), strings.Join(args, " "))
	mk := Marker{Host: sw.host, PID: os.Getpid(), Job: o.Task}
	if err := writeMarker(dir, i, "running", mk); err != nil {
		return err
	}
	defer removeMarker(dir, i, "running")
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	// The run's own pid: if this process dies, the run may go on, and the
	// marker says so truthfully.
	mk.PID = cmd.Process.Pid
	writeMarker(dir, i, "running", mk)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			cmd.Process.Signal(syscall.SIGTERM)
		case <-done:
		}
	}()
	runErr := cmd.Wait()
	close(done)
	if runErr == nil {
		return removeMarker(dir, i, "failed")
	}
	reason := lastLine(logPath)
	if ctx.Err() != nil {
		if !o.CancelFails {
			removeMarker(dir, i, "failed")
			return fmt.Errorf("stopped: %s", reason)
		}
		reason = "cancelled (SIGTERM): " + reason
	}
	if reason == "" {
		reason = runErr.Error()
	}
	mk.PID, mk.Reason = os.Getpid(), reason
	if err := writeMarker(dir, i, "failed", mk); err != nil {
		return errors.Join(runErr, err)
	}
	return errors.New(reason)
}

// program returns the absolute path of the grayscott program: path, or
// this program when path is "".
func program(path string) (string, error) {
	if path == "" {
		return os.Executable()
	}
	return filepath.Abs(path)
}

// runArgs are the arguments of "grayscott run" for a point of the given
// flags, its file at path begun as start says. threads > 0 sizes the CPU
// engine unless the flags do or the point runs on the GPU (which takes no
// --threads).
func runArgs(flags []string, path string, start Start, threads int) []string {
	args := append([]string{"run"}, flags...)
	if f, err := runflags.Parse(flags, io.Discard); threads > 0 && err == nil && !f.Changed("threads") && f.Engine != "gpu" {
		args = append(args, "--threads", strconv.Itoa(threads))
	}
	switch start {
	case StartNew:
		return append(args, "-o", path)
	case StartResume:
		return append(args, "--resume", path)
	}
	return append(args, "-o", path, "--force")
}

// lastLine returns the last non-empty line of a log (the run's one-line
// error when it failed), without the run's advice to resume it by hand:
// the sweep resumes its points itself.
func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" {
			last = line
		}
	}
	if i := strings.Index(last, "; continue with: grayscott run --resume"); i >= 0 {
		last = last[:i]
	}
	return strings.TrimPrefix(last, "grayscott: ")
}
