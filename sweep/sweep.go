package sweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"grayscott/internal/runflags"
)

// Sweep is a sweep's folder and its manifest. Make it with Prepare or
// Open. Its methods are called from one goroutine.
type Sweep struct {
	Dir      string
	Manifest *Manifest
	// Batch is the batch system that the manifest's jobs were submitted
	// to: asked which of their tasks are queued or running, and told to
	// cancel them. Prepare and Open set Slurm.
	Batch Scheduler
	// Report, when set, is told what happens as it happens. It is called
	// from the goroutine that runs the points (Local runs several), never
	// twice at once, and must not block.
	Report func(Event)
	// Poll is how often Run's wait asks the batch system about its job
	// (0: every 2 s).
	Poll time.Duration

	host string // this machine's name, as markers record it
}

// ErrInterrupted reports a sweep whose runs the context stopped: each
// point keeps its images and checkpoint, and running the sweep again
// continues it.
var ErrInterrupted = errors.New("sweep: interrupted")

// usageErr prefixes err's message with "sweep: " as a usage error.
func usageErr(err error) error { return usagef("sweep: %v", err) }

// Open returns the sweep in dir; a usage error when dir holds none.
func Open(dir string) (*Sweep, error) {
	m, err := Load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef("sweep: %s holds no sweep (no %s)", dir, ManifestName)
	}
	if err != nil {
		return nil, usageErr(err)
	}
	return newSweep(dir, m), nil
}

func newSweep(dir string, m *Manifest) *Sweep {
	host, _ := os.Hostname()
	return &Sweep{Dir: dir, Manifest: m, Batch: &Slurm{}, host: host}
}

// Prepare checks a sweep given by a run's flags (runArgs: lists or ranges
// for the swept model flags) before it writes anything: the flags common to
// every point once, then each point's flags as a run checks them. It then
// creates dir and the manifest, or checks that dir holds the same sweep.
// With no runArgs it opens the sweep in dir. Bad input is a usage error
// (runflags.UsageError).
func Prepare(dir string, runArgs []string) (*Sweep, error) {
	old, err := Load(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, usageErr(err)
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return nil, usagef("sweep: %s is not a folder", dir)
	}
	if len(runArgs) == 0 {
		if old == nil {
			return nil, usagef("sweep: %s holds no sweep yet: give the run flags, with lists or ranges for the swept ones", dir)
		}
		return newSweep(dir, old), nil
	}
	m, err := checkArgs(runArgs)
	if err != nil {
		return nil, err
	}
	if old != nil {
		if !old.SameSweep(m) {
			return nil, usagef("sweep: %s holds another sweep (%s; flags %s): use another folder",
				dir, old.DescribeAxes(), strings.Join(old.Common, " "))
		}
		return newSweep(dir, old), nil
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return nil, usagef("sweep: %s is not empty and holds no sweep: use another folder", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := m.Save(dir); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return newSweep(dir, m), nil
}

// checkArgs makes the manifest of the sweep runArgs describe, checked. An
// error the common flags make whatever the swept values (the same for
// them alone as for point 0) is said once, not as point 0's.
func checkArgs(runArgs []string) (*Manifest, error) {
	axes, common, err := parseArgs(runArgs)
	if err != nil {
		return nil, err
	}
	m := newManifest(axes, common)
	if _, cerr := runflags.Parse(common, io.Discard); cerr != nil {
		if _, perr := runflags.Parse(m.Args(0), io.Discard); len(axes) == 0 || perr != nil && perr.Error() == cerr.Error() {
			return nil, usagef("sweep: %s", strings.TrimPrefix(cerr.Error(), "run: "))
		}
	}
	if len(axes) == 0 {
		return nil, usagef("sweep: no model flag holds a list or a range (for example --feedrate 0.01:0.07:13 --killrate 0.045,0.05)")
	}
	for i := range m.Points {
		if _, err := runflags.Parse(m.Args(i), io.Discard); err != nil {
			return nil, usagef("sweep: point %d (%s): %s", i, m.Describe(i), strings.TrimPrefix(err.Error(), "run: "))
		}
	}
	return m, nil
}

// Lock keeps a second command from running or submitting the sweep at
// once (its points would run twice); unlock, or the process's end, lets
// go.
func (sw *Sweep) Lock() (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(sw.Dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("sweep: another grayscott sweep command is running or submitting %s", sw.Dir)
	}
	return func() { f.Close() }, nil
}

func (sw *Sweep) report(e Event) {
	if sw.Report != nil {
		sw.Report(e)
	}
}

// PointStatus is a point's state and what more there is to say.
type PointStatus struct {
	Index       int
	Point, File string // its values (Manifest.Describe) and its file
	State       State
	Detail      string
}

// String says the point as --status lists it: "3 (killrate 0.06)
// p003_killrate0.06.h5: 12 images so far".
func (p PointStatus) String() string {
	s := fmt.Sprintf("%d (%s) %s", p.Index, p.Point, p.File)
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// States are the states in the order --status lists them.
var States = []State{Done, Running, Queued, Interrupted, Failed, Pending}

// Status is the state of every point, with the batch jobs; QueueErr says
// why the batch queue could not be read (the states then go by the files
// and markers alone).
type Status struct {
	Points   []PointStatus
	Jobs     []string
	QueueErr error
}

// Status reads the state of every point.
func (sw *Sweep) Status(ctx context.Context) Status {
	q, err := sw.Batch.Queue(ctx, sw.Manifest.Jobs)
	return Status{Points: sw.states(q), Jobs: sw.Manifest.Jobs, QueueErr: err}
}

func (sw *Sweep) states(q Queue) []PointStatus {
	out := make([]PointStatus, len(sw.Manifest.Points))
	for i, p := range sw.Manifest.Points {
		out[i] = PointStatus{Index: i, Point: sw.Manifest.Describe(i), File: p.File}
		out[i].State, out[i].Detail = sw.Observe(i, q).State()
	}
	return out
}

// Start runs the sweep as "grayscott sweep" does: under the folder's lock
// (Lock), with s resolved against how it last ran (Manifest.Resolve), on
// the scheduler it names (NewScheduler), this program running the points.
func (sw *Sweep) Start(ctx context.Context, s Settings, wait bool) error {
	unlock, err := sw.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	s = sw.Manifest.Resolve(s)
	sched, err := NewScheduler(s, "")
	if err != nil {
		return err
	}
	return sw.Run(ctx, sched, s, wait)
}

// Run runs or submits through sched the points not done, after recording
// s, how it runs, in the manifest; a sweep whose batch tasks are still
// queued or running is refused. A scheduler that runs the points here
// returns once they have ended; a batch system's job is recorded, and with
// wait followed until it leaves the queue (Progress). Once every point is
// done, Run writes the summary and the mosaic. A cancelled ctx stops the
// points that run here (ErrInterrupted) or the wait (the job goes on).
func (sw *Sweep) Run(ctx context.Context, sched Scheduler, s Settings, wait bool) error {
	q, err := sw.queueIsClear(ctx)
	if err != nil {
		return err
	}
	var todo []int
	for i, st := range sw.states(q) {
		switch st.State {
		case Running:
			return fmt.Errorf("sweep: point %d (%s) is running (%s): let it end or --cancel it", i, sw.Manifest.Describe(i), st.Detail)
		case Done:
		default:
			todo = append(todo, i)
		}
	}
	sw.Manifest.Settings = &s
	if err := sw.Manifest.Save(sw.Dir); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	sw.report(Planned{Points: len(sw.Manifest.Points), Done: len(sw.Manifest.Points) - len(todo), ToRun: len(todo), Settings: s, Size: sw.size(todo)})
	if len(todo) == 0 {
		return sw.finish()
	}
	job, err := sched.Submit(ctx, sw, todo)
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: %d of %d points not done; their files keep their images and checkpoints: run the same command again to finish them",
			ErrInterrupted, len(sw.notDone()), len(sw.Manifest.Points))
	}
	if err != nil {
		return err
	}
	if job == "" { // run here: every point has ended
		if failed := sw.notDone(); len(failed) > 0 {
			return fmt.Errorf("sweep: %d of %d points failed (%s; logs in %s): run the same command again to retry them",
				len(failed), len(sw.Manifest.Points), joinInts(failed, ", "), filepath.Join(sw.Dir, "logs"))
		}
		return sw.finish()
	}
	sw.Manifest.Jobs = append(sw.Manifest.Jobs, job)
	if err := sw.Manifest.Save(sw.Dir); err != nil {
		return fmt.Errorf("sweep: job %s submitted, but: %w", job, err)
	}
	sw.report(Submitted{Scheduler: s.Scheduler, Job: job, Tasks: len(todo), Array: arraySpec(todo, s.Jobs), Dir: sw.Dir})
	if !wait {
		return nil
	}
	if err := sw.wait(ctx, sched, job); err != nil {
		return err
	}
	if left := sw.notDone(); len(left) > 0 {
		return fmt.Errorf("sweep: job %s ended with %d points not done (%s): run the same command again to retry them",
			job, len(left), joinInts(left, ", "))
	}
	return sw.finish()
}

// queueIsClear refuses to run or submit the sweep while tasks of its jobs
// wait or run in the batch queue (they would compute the same points
// twice), and returns what the queue says.
func (sw *Sweep) queueIsClear(ctx context.Context) (Queue, error) {
	q, err := sw.Batch.Queue(ctx, sw.Manifest.Jobs)
	if err != nil {
		return q, fmt.Errorf("sweep: cannot tell whether its batch jobs still run: %w", err)
	}
	if len(q.Tasks) > 0 {
		return q, fmt.Errorf("sweep: %d tasks of %s's jobs are still queued or running (%s): let them end, or grayscott sweep %s --cancel",
			len(q.Tasks), sw.Dir, strings.Join(q.jobs(), ", "), sw.Dir)
	}
	return q, nil
}

// wait follows job until it leaves the queue, reporting the counts of
// points as they change. A busy batch controller times out now and then:
// only a minute of failures in a row ends the wait.
func (sw *Sweep) wait(ctx context.Context, sched Scheduler, job string) error {
	poll := cmp.Or(sw.Poll, 2*time.Second)
	var last Progress
	for failures := 0; ; {
		q, err := sched.Queue(ctx, []string{job})
		if err != nil {
			if failures++; time.Duration(failures)*poll >= time.Minute {
				return fmt.Errorf("sweep: following job %s: %w", job, err)
			}
		} else {
			failures = 0
			if p := sw.progress(q); p != last {
				sw.report(p)
				last = p
			}
			if len(q.Tasks) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: job %s goes on without the wait: grayscott sweep %s --status shows where it is",
				ErrInterrupted, job, sw.Dir)
		case <-time.After(poll):
		}
	}
}

func (sw *Sweep) progress(q Queue) Progress {
	p := Progress{Points: len(sw.Manifest.Points)}
	for _, st := range sw.states(q) {
		switch st.State {
		case Done:
			p.Done++
		case Running:
			p.Running++
		case Queued:
			p.Queued++
		}
	}
	return p
}

// notDone returns the points not done, by their files and markers alone.
func (sw *Sweep) notDone() []int {
	var out []int
	for i, st := range sw.states(Queue{}) {
		if st.State != Done {
			out = append(out, i)
		}
	}
	return out
}

// finish writes summary.csv and mosaic.png once every point is done.
func (sw *Sweep) finish() error {
	if len(sw.notDone()) > 0 {
		return nil
	}
	if err := sw.writeSummary(); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	sw.report(Finished{Summary: filepath.Join(sw.Dir, "summary.csv"), Mosaic: filepath.Join(sw.Dir, "mosaic.png")})
	return nil
}

// RunTask runs point i, as a batch task does (o names the task), and
// reports its end; the last task to finish writes the summary and the
// mosaic.
func (sw *Sweep) RunTask(ctx context.Context, i int, o PointOptions) error {
	if i < 0 || i >= len(sw.Manifest.Points) {
		return usagef("sweep: --task %d: the sweep has points 0 to %d", i, len(sw.Manifest.Points)-1)
	}
	start := time.Now()
	err := sw.RunPoint(ctx, i, o)
	sw.report(PointEnded{Index: i, Point: sw.Manifest.Describe(i), Took: time.Since(start), Err: err, Ended: 1, Of: 1})
	if err != nil {
		return fmt.Errorf("sweep: point %d (%s): %w", i, sw.Manifest.Describe(i), err)
	}
	return sw.finish()
}

// Cancel cancels the sweep's batch jobs that still have tasks in the
// queue, and reports it (Cancelled); those tasks stop cleanly, each point
// keeping its file and checkpoint.
func (sw *Sweep) Cancel(ctx context.Context) error {
	if len(sw.Manifest.Jobs) == 0 {
		return usagef("sweep: %s has no batch job to cancel (a local sweep stops with Ctrl-C)", sw.Dir)
	}
	q, err := sw.Batch.Queue(ctx, sw.Manifest.Jobs)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	c := Cancelled{Jobs: q.jobs(), Tasks: len(q.Tasks), Of: sw.Manifest.Jobs}
	if len(c.Jobs) > 0 {
		if err := sw.Batch.Cancel(ctx, c.Jobs); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
	}
	sw.report(c)
	return nil
}

// size adds up what the points write: each its whole file (a resumed one
// writes less).
func (sw *Sweep) size(points []int) Size {
	s := Size{Points: len(points), Uniform: true}
	for n, i := range points {
		f, err := runflags.Parse(sw.Manifest.Args(i), io.Discard)
		if err != nil {
			continue // Prepare checked every point
		}
		p := f.Params
		if n == 0 {
			s.Images, s.Rows, s.Cols = p.Images, p.Rows, p.Cols
		} else if p.Images != s.Images || p.Rows != s.Rows || p.Cols != s.Cols {
			s.Uniform = false
		}
		s.Bytes += int64(p.Images) * int64(p.Cells()) * 4
	}
	return s
}

// arraySpec is Slurm's --array for the points: "0,2,5%2".
func arraySpec(points []int, limit int) string {
	s := joinInts(points, ",")
	if limit > 0 {
		s += "%" + strconv.Itoa(limit)
	}
	return s
}

func joinInts(v []int, sep string) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, sep)
}

// jobs returns the jobs with tasks in the queue, sorted.
func (q Queue) jobs() []string {
	var out []string
	for _, t := range q.Tasks {
		if !slices.Contains(out, t.Job) {
			out = append(out, t.Job)
		}
	}
	slices.Sort(out)
	return out
}
