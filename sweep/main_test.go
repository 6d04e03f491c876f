package sweep

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"grayscott/cpu"
	"grayscott/internal/runflags"
	"grayscott/pipeline"
	"grayscott/sim"
)

// TestMain lets the test binary stand in for the grayscott program that
// RunPoint starts: with SWEEP_TEST_GRAYSCOTT=1 (set here for the children)
// "run FLAGS" computes the flags on the CPU engine through the pipeline, as
// grayscott run does, and stops cleanly on SIGTERM. The tests steer it,
// from test code only: SWEEP_TEST_FAIL=S fails every run whose file's name
// holds S, SWEEP_TEST_SLOW=D sleeps D after each image.
func TestMain(m *testing.M) {
	if os.Getenv("SWEEP_TEST_GRAYSCOTT") == "1" {
		os.Exit(standIn(os.Args[1:]))
	}
	os.Setenv("SWEEP_TEST_GRAYSCOTT", "1")
	os.Exit(m.Run())
}

func standIn(args []string) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(os.Stderr, "grayscott (test stand-in): only run")
		return 2
	}
	f, err := runflags.Parse(args[1:], io.Discard)
	if err != nil {
		fmt.Fprintln(os.Stderr, "grayscott:", err)
		return 2
	}
	out := cmp.Or(f.Resume, f.Output)
	if s := os.Getenv("SWEEP_TEST_FAIL"); s != "" && strings.Contains(filepath.Base(out), s) {
		fmt.Fprintln(os.Stderr, "grayscott: disk on fire")
		return 1
	}
	slow, _ := time.ParseDuration(os.Getenv("SWEEP_TEST_SLOW"))
	engine, err := cpu.New(f.Params, sim.InitialState(f.Params.Rows, f.Params.Cols), cpu.Options{Threads: f.Threads})
	if err != nil {
		fmt.Fprintln(os.Stderr, "grayscott:", err)
		return 1
	}
	src, _ := cpu.NewSource(engine, 0)
	defer src.Release()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	sum, err := pipeline.Run(ctx, src, pipeline.Config{Params: f.Params, Output: out, Resume: f.Resume != "", Force: f.Force,
		FlushEvery: f.FlushEvery, BufferLen: 1, OnImage: func(int) { time.Sleep(slow) }})
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "grayscott:", err)
		return 1
	case !sum.Completed:
		fmt.Fprintf(os.Stderr, "grayscott: stopped by SIGTERM: %s holds %d images; continue with: grayscott run --resume %s\n", out, sum.Images, out)
		return 143
	}
	return 0
}

// tiny are run flags for points that take milliseconds.
var tiny = []string{"--nbrow", "12", "--nbcol", "16", "--nbimage", "3", "--nbextrastep", "10", "--engine", "cpu", "--threads", "1", "--flush-every", "1"}

// prepare makes a sweep in a new folder from run flags (long names), with
// the tiny ones they do not give, its events recorded.
func prepare(t *testing.T, args ...string) (*Sweep, *events) {
	t.Helper()
	for i := 0; i < len(tiny); i += 2 {
		if !slices.Contains(args, tiny[i]) {
			args = append(args, tiny[i], tiny[i+1])
		}
	}
	sw, err := Prepare(filepath.Join(t.TempDir(), "sweep"), args)
	if err != nil {
		t.Fatal(err)
	}
	ev := &events{}
	sw.Report = ev.add
	return sw, ev
}

// events records what a sweep reports.
type events struct {
	mu   sync.Mutex
	list []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, ev)
}

// of returns the events of type T, in order.
func of[T Event](e *events) []T {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []T
	for _, ev := range e.list {
		if x, ok := ev.(T); ok {
			out = append(out, x)
		}
	}
	return out
}

// wantStates fails unless the sweep's points are in the states given, in
// order (the batch queue read from sw.Batch).
func wantStates(t *testing.T, sw *Sweep, want ...State) []PointStatus {
	t.Helper()
	st := sw.Status(context.Background())
	if st.QueueErr != nil {
		t.Fatal(st.QueueErr)
	}
	for i, p := range st.Points {
		if i >= len(want) || p.State != want[i] {
			t.Fatalf("states %v, want %v", st.Points, want)
		}
	}
	return st.Points
}
