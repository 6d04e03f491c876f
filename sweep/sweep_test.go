package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/storage/h5/h5test"
)

var fake = Settings{Scheduler: "fake"}

// TestLifeOnABatchSystem follows two points through a batch system (the
// fake): submitted, both queued and the sweep not submitted twice; one
// task runs (running, then done); the other's node dies (gone from the
// queue without a word: failed); submitting again retries that one alone,
// and the last task writes the summary.
func TestLifeOnABatchSystem(t *testing.T) {
	ctx := context.Background()
	sw, ev := prepare(t, "--killrate", "0.05,0.06")
	b := &fakeBatch{}
	sw.Batch = b
	if err := sw.Run(ctx, b, fake, false); err != nil {
		t.Fatal(err)
	}
	if s := of[Submitted](ev); len(s) != 1 || s[0].Job != "100" || s[0].Tasks != 2 || s[0].Array != "0,1" {
		t.Fatalf("submitted %+v", s)
	}
	if m, _ := Load(sw.Dir); !reflect.DeepEqual(m.Jobs, []string{"100"}) || m.Settings.Scheduler != "fake" {
		t.Fatalf("manifest: jobs %v, settings %+v", m.Jobs, m.Settings)
	}
	wantStates(t, sw, Queued, Queued)
	if err := sw.Run(ctx, b, fake, false); err == nil || !strings.Contains(err.Error(), "still queued or running") {
		t.Fatalf("a second submission while its tasks are queued: %v", err)
	}
	b.start(0)
	wantStates(t, sw, Running, Queued)
	if err := b.run(ctx, sw.Dir, 0); err != nil {
		t.Fatal(err)
	}
	wantStates(t, sw, Done, Queued)
	b.start(1)
	if err := writeMarker(sw.Dir, 1, "running", Marker{Host: "node3", PID: 1, Job: "100_1"}); err != nil {
		t.Fatal(err)
	}
	b.drop(1)
	if p := wantStates(t, sw, Done, Failed); !strings.Contains(p[1].Detail, "100_1 ended without a word") {
		t.Errorf("detail %q", p[1].Detail)
	}
	if err := sw.Run(ctx, b, fake, false); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.submitted, [][]int{{0, 1}, {1}}) {
		t.Errorf("submitted %v, want the failed point alone the second time", b.submitted)
	}
	if err := b.run(ctx, sw.Dir, 1); err != nil {
		t.Fatal(err)
	}
	wantStates(t, sw, Done, Done)
	if _, err := os.Stat(filepath.Join(sw.Dir, "summary.csv")); err != nil {
		t.Errorf("the last task wrote no summary: %v", err)
	}
}

// TestWaitReportsProgress: Run with wait follows its job and reports the
// points' counts each time they change, once, through failed queue reads.
func TestWaitReportsProgress(t *testing.T) {
	ctx := context.Background()
	sw, ev := prepare(t, "--killrate", "0.05,0.06")
	b := &fakeBatch{}
	sw.Batch, sw.Poll = b, time.Millisecond
	b.onQueue = func(n int) {
		switch n {
		case 0: // the queue is clear: Run submits
		case 3:
			b.start(0)
		case 5:
			b.queueErrs = 2
		case 8:
			b.run(ctx, sw.Dir, 0)
		case 10:
			b.run(ctx, sw.Dir, 1)
		}
	}
	if err := sw.Run(ctx, b, fake, true); err != nil {
		t.Fatal(err)
	}
	want := []Progress{{2, 0, 0, 2}, {2, 0, 1, 1}, {2, 1, 0, 1}, {2, 2, 0, 0}}
	if got := of[Progress](ev); !reflect.DeepEqual(got, want) {
		t.Errorf("progress %v, want %v", got, want)
	}
	if f := of[Finished](ev); len(f) != 1 {
		t.Errorf("finished %v", f)
	}
	if got := (Progress{Points: 4, Done: 1, Running: 2, Queued: 1}).String(); got != "1 of 4 points done, 2 running, 1 queued" {
		t.Errorf("progress says %q", got)
	}
}

// TestWaitEndsWithWhatIsNotDone: a job that leaves the queue with points
// not done is an error naming them.
func TestWaitEndsWithWhatIsNotDone(t *testing.T) {
	sw, _ := prepare(t, "--killrate", "0.05,0.06")
	b := &fakeBatch{}
	sw.Batch, sw.Poll = b, time.Millisecond
	b.onQueue = func(n int) {
		if n == 2 {
			b.drop(0)
			b.drop(1)
		}
	}
	err := sw.Run(context.Background(), b, fake, true)
	if err == nil || !strings.Contains(err.Error(), "job 100 ended with 2 points not done (0, 1)") {
		t.Errorf("got %v", err)
	}
}

// TestCancel cancels only the jobs with tasks in the queue.
func TestCancel(t *testing.T) {
	ctx := context.Background()
	sw, ev := prepare(t, "--killrate", "0.05,0.06")
	b := &fakeBatch{}
	sw.Batch = b
	if err := sw.Cancel(ctx); err == nil {
		t.Error("cancelled a sweep without jobs")
	}
	sw.Run(ctx, b, fake, false)
	b.drop(0)
	b.drop(1)
	sw.Run(ctx, b, fake, false)
	if err := sw.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.cancelled, []string{"101"}) {
		t.Errorf("cancelled %v, want only the live job 101", b.cancelled)
	}
	if err := sw.Cancel(ctx); err != nil {
		t.Fatal(err)
	}
	c := of[Cancelled](ev)
	if len(c) != 2 || c[0].Tasks != 2 || len(c[1].Jobs) != 0 || !strings.Contains(c[1].String(), "nothing to cancel") {
		t.Errorf("cancelled %+v", c)
	}
}

// TestLocalRunsEveryPoint runs four points two at a time here: each ends
// done, the summary and the mosaic are written, and running the sweep
// again runs nothing.
func TestLocalRunsEveryPoint(t *testing.T) {
	sw, ev := prepare(t, "--feedrate", "0.03,0.04", "--killrate", "0.055:0.06:2")
	if err := sw.Run(context.Background(), &Local{Jobs: 2}, Settings{Scheduler: "local", Jobs: 2}, false); err != nil {
		t.Fatal(err)
	}
	ended := of[PointEnded](ev)
	if len(ended) != 4 || ended[3].Ended != 4 || ended[3].Of != 4 {
		t.Fatalf("ended %+v", ended)
	}
	for _, e := range ended {
		if e.Err != nil {
			t.Errorf("point %d: %v", e.Index, e.Err)
		}
	}
	wantStates(t, sw, Done, Done, Done, Done)
	for _, f := range []string{"summary.csv", "mosaic.png"} {
		if _, err := os.Stat(filepath.Join(sw.Dir, f)); err != nil {
			t.Error(err)
		}
	}
	if err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false); err != nil {
		t.Fatal(err)
	}
	if p := of[Planned](ev); len(p) != 2 || p[1].Done != 4 || p[1].ToRun != 0 || len(of[PointEnded](ev)) != 4 {
		t.Errorf("the second run: %+v", p)
	}
}

// TestLocalStopResumes stops a local sweep (its context) while its first
// point runs: that point is interrupted with its images so far, the other
// pending; running again resumes the first from its checkpoint, and its
// file equals a run never stopped.
func TestLocalStopResumes(t *testing.T) {
	t.Setenv("SWEEP_TEST_SLOW", "20ms")
	sw, ev := prepare(t, "--killrate", "0.05,0.06", "--nbimage", "50")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sw.Run(ctx, &Local{Jobs: 1}, Settings{Scheduler: "local", Jobs: 1}, false) }()
	testutil.WaitUntil(t, "a checkpoint", func() bool {
		st, err := readFile(filepath.Join(sw.Dir, sw.Manifest.Points[0].File))
		return err == nil && st.Checkpoint != nil && st.Checkpoint.Images >= 2
	})
	cancel()
	if err := <-done; !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), "run the same command again") {
		t.Fatalf("stopped sweep: %v", err)
	}
	if e := of[PointEnded](ev); len(e) == 0 || !e[0].Interrupted {
		t.Errorf("ended %+v", e)
	}
	wantStates(t, sw, Interrupted, Pending)
	os.Unsetenv("SWEEP_TEST_SLOW")
	if err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(sw.Dir, "logs", "p000_killrate0.05.log"))
	if !strings.Contains(string(log), "--resume") {
		t.Errorf("the interrupted point was not resumed:\n%s", log)
	}
	whole, _ := prepare(t, "--killrate", "0.05,0.07", "--nbimage", "50")
	if err := whole.RunPoint(context.Background(), 0, PointOptions{}); err != nil {
		t.Fatal(err)
	}
	testutil.SameImages(t, "resumed point", h5test.ReadImages(t, filepath.Join(sw.Dir, sw.Manifest.Points[0].File)),
		h5test.ReadImages(t, filepath.Join(whole.Dir, whole.Manifest.Points[0].File)))
}

// TestLocalFailedPointRetried: a run that fails leaves its point failed
// with the run's reason; the sweep says so, and running it again retries
// that point.
func TestLocalFailedPointRetried(t *testing.T) {
	t.Setenv("SWEEP_TEST_FAIL", "killrate0.06")
	sw, ev := prepare(t, "--killrate", "0.05,0.06")
	err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 points failed (1; logs in") {
		t.Fatalf("got %v", err)
	}
	if e := of[PointEnded](ev); len(e) != 2 || !strings.Contains(e[0].String()+e[1].String(), "failed: disk on fire") {
		t.Errorf("ended %v", e)
	}
	if p := wantStates(t, sw, Done, Failed); p[1].Detail != "disk on fire" {
		t.Errorf("failed point's detail %q", p[1].Detail)
	}
	os.Unsetenv("SWEEP_TEST_FAIL")
	if err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false); err != nil {
		t.Fatal(err)
	}
	wantStates(t, sw, Done, Done)
	if _, ok := readMarker(sw.Dir, 1, "failed"); ok {
		t.Error("the failed marker outlived the retry")
	}
}

// TestMarkers: a running marker of a dead process here is a failure, and
// the sweep runs the point again; one from another host is a point
// running there, and the sweep refuses to run it twice.
func TestMarkers(t *testing.T) {
	sw, _ := prepare(t, "--killrate", "0.05,0.06")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	writeMarker(sw.Dir, 0, "running", Marker{Host: sw.host, PID: dead.Process.Pid})
	writeMarker(sw.Dir, 1, "running", Marker{Host: sw.host + "-elsewhere", PID: os.Getpid()})
	wantStates(t, sw, Failed, Running)
	err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false)
	if err == nil || !strings.Contains(err.Error(), "point 1 (killrate 0.06) is running") {
		t.Fatalf("got %v", err)
	}
	removeMarker(sw.Dir, 1, "running")
	if err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false); err != nil {
		t.Fatal(err)
	}
	wantStates(t, sw, Done, Done)
}

// TestGPUPointsGetNoThreads: the CPU engine's share of the cores goes to
// points on the CPU; the GPU engine takes no --threads (the run would
// refuse it).
func TestGPUPointsGetNoThreads(t *testing.T) {
	sw, err := Prepare(filepath.Join(t.TempDir(), "gpu"), []string{"--engine", "gpu", "--killrate", "0.05,0.06", "-r", "8", "-c", "8", "-n", "1", "-e", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.RunPoint(context.Background(), 0, PointOptions{Threads: 3}); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile(filepath.Join(sw.Dir, "logs", "p000_killrate0.05.log"))
	if strings.Contains(string(log), "--threads") {
		t.Errorf("a GPU point got --threads:\n%s", log)
	}
	cpu, err := Prepare(filepath.Join(t.TempDir(), "cpu"), []string{"--engine", "cpu", "--killrate", "0.05,0.06", "-r", "8", "-c", "8", "-n", "1", "-e", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cpu.RunPoint(context.Background(), 0, PointOptions{Threads: 3}); err != nil {
		t.Fatal(err)
	}
	if log, _ := os.ReadFile(filepath.Join(cpu.Dir, "logs", "p000_killrate0.05.log")); !strings.Contains(string(log), "--threads 3") {
		t.Errorf("a CPU point did not get its share of the cores:\n%s", log)
	}
}

// TestPrepareChecksFlagsOnce: a misspelt flag is said once, as the run
// says it, whether or not a list stands beside it; an error of a point's
// values names the point.
func TestPrepareChecksFlagsOnce(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--feedrat", "0.1"}, "sweep: unknown flag: --feedrat (did you mean --feedrate?)"},
		{[]string{"--feedrat", "0.1", "--killrate", "0.05,0.06"}, "sweep: unknown flag: --feedrat (did you mean --feedrate?)"},
		{[]string{"--killrate", "0.05,0.06", "--feedrat=0.1"}, "sweep: unknown flag: --feedrat (did you mean --feedrate?)"},
		{[]string{"--feedrate", "0.01"}, "sweep: no model flag holds a list"},
		{[]string{"--feedrate", "0.01,abc"}, "sweep: point 1 (feedrate abc): --feedrate abc"},
		{[]string{"--nbrow", "10,0"}, "sweep: point 1 (nbrow 0)"},
	} {
		dir := filepath.Join(t.TempDir(), "s")
		_, err := Prepare(dir, c.args)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("%q: the folder was created", c.args)
		}
	}
}

// TestPlannedSize: what the sweep will write, before it starts.
func TestPlannedSize(t *testing.T) {
	sw, ev := prepare(t, "--feedrate", "0.03,0.04", "--killrate", "0.055,0.06")
	sw.Run(context.Background(), &fakeBatch{}, fake, false)
	p := of[Planned](ev)
	want := "4 points, 0 done, 4 to run, as Fake tasks; writes 4 points × 3 images of 12×16 (768 B each) = 9.22 kB (before compression)"
	if len(p) != 1 || p[0].String() != want {
		t.Errorf("planned %v, want %q", p, want)
	}
	sizes, ev := prepare(t, "--nbcol", "16,1000")
	sizes.Run(context.Background(), &fakeBatch{}, fake, false)
	if p := of[Planned](ev); len(p) != 1 || p[0].Size.Bytes != 3*12*(16+1000)*4 || !strings.Contains(p[0].Size.String(), "146 kB in all for 2 points of different sizes") {
		t.Errorf("planned %v", p)
	}
}

// TestEventsCountInWords: a count of one reads "1 image", "1 task".
func TestEventsCountInWords(t *testing.T) {
	for _, c := range []struct {
		e    fmt.Stringer
		want string
	}{
		{Size{Points: 2, Images: 1, Rows: 4, Cols: 8, Bytes: 256, Uniform: true}, "2 points × 1 image of 4×8 (128 B each) = 256 B (before compression)"},
		{Submitted{Scheduler: "slurm", Job: "7", Tasks: 1, Array: "0", Dir: "fk"}, "submitted Slurm job 7, 1 task (0); grayscott sweep fk --status shows where it is"},
		{Cancelled{Jobs: []string{"7"}, Tasks: 1}, "cancelled job 7 (1 task)"},
		{Cancelled{Jobs: []string{"7", "8"}, Tasks: 3}, "cancelled jobs 7, 8 (3 tasks)"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("%#v: %q, want %q", c.e, got, c.want)
		}
	}
}
