package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"grayscott/cmd/grayscott/internal/sweep"
	"grayscott/internal/runflags"
	"grayscott/storage/h5"
)

const sweepUsage = `Usage: grayscott sweep DIR [sweep flags] [run flags]

Runs one simulation per point of a parameter sweep into DIR. Any model flag
(--feedrate, --killrate, --du, --dv, --deltat, --nbrow, --nbcol, --nbimage,
--nbextrastep, --boundary) may take a comma list or a range start:stop:count
(both ends included); the sweep is the Cartesian product of those lists, and
every other run flag applies to every point:

  grayscott sweep fk --feedrate 0.01:0.07:13 --killrate 0.045,0.05,0.055 -n 50 -e 200

DIR gets one HDF5 file per point (named after its parameters), sweep.json
(the points, their files), logs/, and, once every point is done,
summary.csv (parameters, completion, statistics of the last image) and
mosaic.png (the last image of every point on the parameters' grid).
Running the same sweep again skips finished points, resumes interrupted
ones from their checkpoints (give --flush-every so that there are some) and
reruns failed ones; "grayscott sweep DIR" alone does the same.

Sweep flags:
  --scheduler local|slurm  local (default): runs --jobs points at once here;
                           slurm: submits one job array (sbatch) whose tasks
                           run "grayscott sweep DIR --task N"
  --jobs N                 points at once (local: processes here, default (0):
                           one per core, each CPU engine sized to share them;
                           slurm: the array's %N limit, default: no limit)
  --cpus-per-task N        slurm: cores per task, given to the CPU engine as
                           --threads (default 1)
  --partition P, --time T, --gpus-per-task G, --account A
                           slurm: passed to sbatch
  --wait                   slurm: follow the job with squeue until it ends
  --status                 list the points by state (and the Slurm job state)
  --cancel                 cancel the sweep's Slurm jobs (scancel)
  --task N                 run point N (what each Slurm task does)
`

// sweepOptions are the sweep's own flags; the rest of the command line is
// the runs' flags.
type sweepOptions struct {
	dir                            string
	scheduler                      string
	jobs, cpusPerTask, task        int
	partition, time, gpus, account string
	wait, status, cancel           bool
	runArgs                        []string
	given                          map[string]bool // the sweep flags on the command line
}

func parseSweepFlags(args []string, stdout io.Writer) (*sweepOptions, error) {
	if len(args) > 0 && isHelp(args[0]) || slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" }) {
		fmt.Fprint(stdout, sweepUsage)
		return nil, errHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return nil, usagef("sweep: missing DIR (grayscott sweep DIR [flags])")
	}
	o := &sweepOptions{dir: args[0], task: -1, cpusPerTask: 1, given: map[string]bool{}}
	valued := map[string]*string{"scheduler": &o.scheduler, "partition": &o.partition, "time": &o.time,
		"gpus-per-task": &o.gpus, "account": &o.account}
	ints := map[string]*int{"jobs": &o.jobs, "task": &o.task, "cpus-per-task": &o.cpusPerTask}
	bools := map[string]*bool{"wait": &o.wait, "status": &o.status, "cancel": &o.cancel}
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") {
			o.runArgs = append(o.runArgs, a)
			continue
		}
		if b, ok := bools[name]; ok {
			if hasValue {
				return nil, usagef("sweep: --%s takes no value", name)
			}
			*b = true
			continue
		}
		s, isString := valued[name]
		n, isInt := ints[name]
		if !isString && !isInt {
			o.runArgs = append(o.runArgs, a)
			continue
		}
		o.given[name] = true
		if !hasValue {
			if i+1 >= len(rest) {
				return nil, usagef("sweep: --%s needs a value", name)
			}
			value = rest[i+1]
			i++
		}
		if isString {
			*s = value
			continue
		}
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 || (name == "cpus-per-task" && v < 1) {
			return nil, usagef("sweep: --%s %s: want a whole number ≥ %d", name, value, map[bool]int{true: 1, false: 0}[name == "cpus-per-task"])
		}
		*n = v
	}
	if o.scheduler != "" && o.scheduler != "local" && o.scheduler != "slurm" {
		return nil, usagef("sweep: --scheduler %s: want local or slurm", o.scheduler)
	}
	if o.scheduler == "local" {
		for _, f := range []string{"partition", "time", "gpus-per-task", "account", "cpus-per-task"} {
			if o.given[f] {
				return nil, usagef("sweep: --%s is for --scheduler slurm", f)
			}
		}
	}
	modes := 0
	for _, b := range []bool{o.status, o.cancel, o.task >= 0} {
		if b {
			modes++
		}
	}
	if modes > 1 {
		return nil, usagef("sweep: --status, --cancel and --task go alone")
	}
	if modes == 1 && len(o.runArgs) > 0 {
		return nil, usagef("sweep: %s: run flags belong to the command that starts the sweep", o.runArgs[0])
	}
	if o.wait && o.scheduler == "local" {
		return nil, usagef("sweep: --wait follows a Slurm job (--scheduler slurm); a local sweep waits anyway")
	}
	return o, nil
}

// resolveScheduler fills the scheduler flags not given from how the sweep
// ran last (a bare "grayscott sweep DIR" after a Slurm submission submits
// again, with the same partition and limits), and records them.
func resolveScheduler(o *sweepOptions, m *sweep.Manifest) error {
	last := m.Scheduler
	if last == nil {
		last = &sweep.Scheduler{Name: "local"}
	}
	if o.scheduler == "" {
		o.scheduler = last.Name
	}
	if o.scheduler == last.Name {
		if !o.given["jobs"] {
			o.jobs = last.Jobs
		}
		if !o.given["cpus-per-task"] && last.CPUsPerTask > 0 {
			o.cpusPerTask = last.CPUsPerTask
		}
		for _, f := range []struct {
			name string
			dst  *string
			val  string
		}{{"partition", &o.partition, last.Partition}, {"time", &o.time, last.Time},
			{"gpus-per-task", &o.gpus, last.GPUs}, {"account", &o.account, last.Account}} {
			if !o.given[f.name] {
				*f.dst = f.val
			}
		}
	}
	if o.wait && o.scheduler != "slurm" {
		return usagef("sweep: --wait follows a Slurm job; %s runs locally (give --scheduler slurm)", o.dir)
	}
	s := &sweep.Scheduler{Name: o.scheduler, Jobs: o.jobs}
	if o.scheduler == "slurm" {
		s.CPUsPerTask, s.Partition, s.Time, s.GPUs, s.Account = o.cpusPerTask, o.partition, o.time, o.gpus, o.account
	}
	m.Scheduler = s
	return m.Save(o.dir)
}

func sweepCommand(args []string, stdout, stderr io.Writer) error {
	o, err := parseSweepFlags(args, stdout)
	if err != nil {
		return err
	}
	switch {
	case o.status:
		m, err := loadSweep(o.dir)
		if err != nil {
			return err
		}
		return printSweepStatus(stdout, o.dir, m)
	case o.cancel:
		return cancelSweep(stdout, o.dir)
	case o.task >= 0:
		return sweepTask(o.dir, o.task, stdout)
	}
	if o.wait && o.scheduler == "" {
		if old, err := sweep.Load(o.dir); err != nil || old.Scheduler == nil || old.Scheduler.Name != "slurm" {
			return usagef("sweep: --wait follows a Slurm job: give --scheduler slurm")
		}
	}
	m, err := prepareSweep(o)
	if err != nil {
		return err
	}
	unlock, err := lockSweep(o.dir)
	if err != nil {
		return err
	}
	defer unlock()
	if err := resolveScheduler(o, m); err != nil {
		return err
	}
	if o.scheduler == "slurm" {
		return submitSweep(stdout, o, m)
	}
	return runSweepLocally(stdout, o, m)
}

// lockSweep keeps a second sweep command from running or submitting the
// same sweep at once (its points would run twice); the lock goes with the
// process.
func lockSweep(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("sweep: another grayscott sweep command is running or submitting %s", dir)
	}
	return func() { f.Close() }, nil
}

func loadSweep(dir string) (*sweep.Manifest, error) {
	m, err := sweep.Load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, usagef("sweep: %s holds no sweep (no %s)", dir, sweep.ManifestName)
	}
	if err != nil {
		return nil, usagef("sweep: %v", err)
	}
	return m, nil
}

// prepareSweep checks the whole sweep (every point's flags, DIR) before it
// writes anything, then creates DIR and its manifest, or checks that DIR
// holds the same sweep.
func prepareSweep(o *sweepOptions) (*sweep.Manifest, error) {
	old, lerr := sweep.Load(o.dir)
	if lerr != nil && !errors.Is(lerr, os.ErrNotExist) {
		return nil, usagef("sweep: %v", lerr)
	}
	if st, err := os.Stat(o.dir); err == nil && !st.IsDir() {
		return nil, usagef("sweep: %s is not a folder", o.dir)
	}
	if len(o.runArgs) == 0 {
		if old == nil {
			return nil, usagef("sweep: %s holds no sweep yet: give the run flags, with lists or ranges for the swept ones", o.dir)
		}
		return old, nil
	}
	axes, common, err := sweep.Parse(o.runArgs)
	if err != nil {
		return nil, err
	}
	m := sweep.New(axes, common)
	for i := range m.Points {
		if _, err := runflags.Parse(m.Args(i), io.Discard); err != nil {
			return nil, usagef("sweep: point %d (%s): %s", i, describePoint(m, i), strings.TrimPrefix(err.Error(), "run: "))
		}
	}
	if old != nil {
		if !old.SameSweep(m) {
			return nil, usagef("sweep: %s holds another sweep (%s; flags %s): use another folder",
				o.dir, describeAxes(old), strings.Join(old.Common, " "))
		}
		return old, nil
	}
	if entries, err := os.ReadDir(o.dir); err == nil && len(entries) > 0 {
		return nil, usagef("sweep: %s is not empty and holds no sweep: use another folder", o.dir)
	}
	if err := os.MkdirAll(filepath.Join(o.dir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := m.Save(o.dir); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return m, nil
}

func describePoint(m *sweep.Manifest, i int) string {
	var parts []string
	for j, a := range m.Axes {
		parts = append(parts, a.Flag+" "+m.Points[i].Values[j])
	}
	return strings.Join(parts, ", ")
}

// pointSize says what one point computes and writes (the run's defaults
// apply to the flags not given: a sweep with no size flags runs full-size
// points).
func pointSize(m *sweep.Manifest) string {
	f, err := runflags.Parse(m.Args(0), io.Discard)
	if err != nil {
		return ""
	}
	p := f.Params
	raw := float64(p.Images) * float64(p.Cells()) * 4
	return fmt.Sprintf("point 0: %d×%d, %d images of %d steps, %.3g MB raw", p.Rows, p.Cols, p.Images, p.StepsPerImage, raw/1e6)
}

func describeAxes(m *sweep.Manifest) string {
	var parts []string
	for _, a := range m.Axes {
		parts = append(parts, "--"+a.Flag+" "+strings.Join(a.Values, ","))
	}
	return strings.Join(parts, " ")
}

// Point states, as --status lists them.
const (
	statePending     = "pending"
	stateRunning     = "running"
	stateDone        = "done"
	stateInterrupted = "interrupted" // a file without completed: resumes from its checkpoint
	stateFailed      = "failed"
	stateQueued      = "queued" // a Slurm task waiting in the queue
)

// pointState reads point i's state from its file, its markers and what
// Slurm's queue says of the sweep's jobs (q); detail says more (the
// failure's reason, images written, the task's Slurm state).
func pointState(dir string, m *sweep.Manifest, i int, q slurmView) (state, detail string) {
	path := filepath.Join(dir, m.Points[i].File)
	images, completed, _, ferr := fileProgress(path)
	if completed {
		return stateDone, fmt.Sprintf("%d images", images)
	}
	if t, ok := q.tasks[i]; ok { // in the queue: whatever an earlier try left
		if t.state == "PENDING" {
			return stateQueued, fmt.Sprintf("Slurm task %s_%d PENDING", t.job, i)
		}
		return stateRunning, fmt.Sprintf("%d images so far, Slurm task %s_%d %s", images, t.job, i, t.state)
	}
	if mk, ok := sweep.ReadMarker(dir, i, "running"); ok {
		host, _ := os.Hostname()
		switch {
		case mk.Job != "" && q.ok:
			// Its task has left the queue without clearing its marker.
			return stateFailed, fmt.Sprintf("its Slurm task %s ended without a word (killed, out of memory or time?)", mk.Job)
		case mk.Host != host || processAlive(mk.PID):
			d := fmt.Sprintf("%d images so far", images)
			if mk.Job != "" {
				d += ", Slurm task " + mk.Job
			}
			return stateRunning, d
		}
		return stateFailed, fmt.Sprintf("its task (pid %d) ended without a word: killed?", mk.PID)
	}
	if mk, ok := sweep.ReadMarker(dir, i, "failed"); ok {
		return stateFailed, mk.Reason
	}
	if errors.Is(ferr, os.ErrNotExist) {
		return statePending, ""
	}
	if ferr != nil {
		return stateInterrupted, ferr.Error()
	}
	return stateInterrupted, fmt.Sprintf("%d images", images)
}

// fileProgress reads how many images a point's file holds, whether its
// run completed and whether it has a checkpoint to resume from.
func fileProgress(path string) (images int, completed, checkpointed bool, err error) {
	if _, err := os.Stat(path); err != nil {
		return 0, false, false, err
	}
	r, err := h5.Open(path)
	if err != nil {
		return 0, false, false, err
	}
	defer r.Close()
	images, _, _ = r.Shape()
	c, err := r.Int("completed")
	_, _, checkpointed = r.Checkpoint()
	return images, err == nil && c != 0, checkpointed, nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// runPoint runs point i to completion: a new file, or the existing one
// resumed from its checkpoint, or started again when it has none. The
// run's output goes to logs/; markers in state/ say it runs, then whether
// it failed. threads > 0 sizes the CPU engine unless the flags do. It
// returns nil at once for a point already done. A cancelled ctx sends the
// run SIGTERM (it stops cleanly, its file readable) and waits for it; the
// point is then interrupted, or failed with stopFails (a Slurm task
// cancelled: its state must show it).
func runPoint(ctx context.Context, dir string, m *sweep.Manifest, i, threads int, job string, stopFails bool) error {
	p := m.Points[i]
	path := filepath.Join(dir, p.File)
	images, completed, checkpointed, ferr := fileProgress(path)
	if completed {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	args := append([]string{"run"}, m.Args(i)...)
	// Size the CPU engine to its share of the cores, unless the flags do
	// or the point runs on the GPU (which takes no --threads).
	if f, err := runflags.Parse(m.Args(i), io.Discard); threads > 0 && err == nil && !f.Changed("threads") && f.Engine != "gpu" {
		args = append(args, "--threads", strconv.Itoa(threads))
	}
	switch {
	case errors.Is(ferr, os.ErrNotExist):
		args = append(args, "-o", path)
	case ferr == nil && checkpointed && images > 0:
		args = append(args, "--resume", path)
	default: // no checkpoint (or unreadable): from the start
		args = append(args, "-o", path, "--force")
	}
	self, err := os.Executable()
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
	host, _ := os.Hostname()
	if err := sweep.WriteMarker(dir, i, "running", sweep.Marker{Host: host, PID: os.Getpid(), Job: job}); err != nil {
		return err
	}
	defer sweep.RemoveMarker(dir, i, "running")
	cmd := exec.Command(self, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	// The run's own pid: if this process dies, the run may go on, and the
	// marker says so truthfully.
	sweep.WriteMarker(dir, i, "running", sweep.Marker{Host: host, PID: cmd.Process.Pid, Job: job})
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
		return sweep.RemoveMarker(dir, i, "failed")
	}
	reason := lastLine(logPath)
	if ctx.Err() != nil {
		if !stopFails {
			sweep.RemoveMarker(dir, i, "failed")
			return fmt.Errorf("stopped: %s", reason)
		}
		reason = "cancelled (SIGTERM): " + reason
	}
	if reason == "" {
		reason = runErr.Error()
	}
	if err := sweep.WriteMarker(dir, i, "failed", sweep.Marker{Host: host, PID: os.Getpid(), Job: job, Reason: reason}); err != nil {
		return errors.Join(runErr, err)
	}
	return fmt.Errorf("%s", reason)
}

// lastLine returns the last non-empty line of a log (the run's one-line
// error when it failed), without the run's advice to resume it by hand:
// the sweep resumes its points itself.
func lastLine(path string) string {
	line := lastLogLine(path)
	if i := strings.Index(line, "; continue with: grayscott run --resume"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimPrefix(line, "grayscott: ")
}

func lastLogLine(path string) string {
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
	return last
}

// runSweepLocally runs the points not done, --jobs at a time, then writes
// the summary and the mosaic. SIGINT or SIGTERM stops the runs cleanly
// (each file keeps its images, its checkpoint) and ends the sweep with an
// error; running it again finishes it.
func runSweepLocally(stdout io.Writer, o *sweepOptions, m *sweep.Manifest) error {
	q, err := queueIsClear(o.dir, m)
	if err != nil {
		return err
	}
	var todo []int
	for i := range m.Points {
		if st, _ := pointState(o.dir, m, i, q); st == stateRunning {
			return fmt.Errorf("sweep: point %d (%s) is running (a task of another sweep command?): let it end or --cancel it",
				i, describePoint(m, i))
		} else if st != stateDone {
			todo = append(todo, i)
		}
	}
	jobs := o.jobs
	if jobs == 0 {
		jobs = runtime.NumCPU()
	}
	jobs = max(1, min(jobs, len(todo)))
	threads := max(1, runtime.NumCPU()/jobs)
	fmt.Fprintf(stdout, "sweep %s: %d points, %d done, %d to run, %d at a time; %s\n", o.dir, len(m.Points), len(m.Points)-len(todo), len(todo), jobs, pointSize(m))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }() // a second Ctrl-C ends the sweep at once
	var mu sync.Mutex
	var failed []string
	finished := 0
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				start := time.Now()
				err := runPoint(ctx, o.dir, m, i, threads, "", false)
				mu.Lock()
				finished++
				status := fmt.Sprintf("done in %.2f s", time.Since(start).Seconds())
				switch {
				case err != nil && ctx.Err() != nil:
					status = "interrupted (running the sweep again resumes it)"
				case err != nil:
					status = "failed: " + err.Error()
					failed = append(failed, strconv.Itoa(i))
				}
				fmt.Fprintf(stdout, "[%d/%d] point %d (%s): %s\n", finished, len(todo), i, describePoint(m, i), status)
				mu.Unlock()
			}
		}()
	}
	for _, i := range todo {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("sweep: interrupted; run the same command again to finish the points left")
	}
	if len(failed) > 0 {
		return fmt.Errorf("sweep: %d of %d points failed (%s; logs in %s): run the same command again to retry them",
			len(failed), len(m.Points), strings.Join(failed, ", "), filepath.Join(o.dir, "logs"))
	}
	return finishSweep(stdout, o.dir, m)
}

// finishSweep writes summary.csv and mosaic.png once every point is done.
func finishSweep(stdout io.Writer, dir string, m *sweep.Manifest) error {
	for i := range m.Points {
		if st, _ := pointState(dir, m, i, slurmView{}); st != stateDone {
			return nil
		}
	}
	if err := writeSweepSummary(dir, m); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	fmt.Fprintf(stdout, "sweep %s: every point done; %s, %s\n", dir, filepath.Join(dir, "summary.csv"), filepath.Join(dir, "mosaic.png"))
	return nil
}

// sweepTask runs one point, as a Slurm array task does; the last task to
// finish writes the summary and the mosaic.
func sweepTask(dir string, i int, stdout io.Writer) error {
	m, err := loadSweep(dir)
	if err != nil {
		return err
	}
	if i >= len(m.Points) {
		return usagef("sweep: --task %d: the sweep has points 0 to %d", i, len(m.Points)-1)
	}
	threads := 0
	if n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && n > 0 {
		threads = n
	}
	job := ""
	if id := os.Getenv("SLURM_ARRAY_JOB_ID"); id != "" {
		job = id + "_" + os.Getenv("SLURM_ARRAY_TASK_ID")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runPoint(ctx, dir, m, i, threads, job, true); err != nil {
		return fmt.Errorf("sweep: point %d (%s): %w", i, describePoint(m, i), err)
	}
	fmt.Fprintf(stdout, "point %d (%s): done\n", i, describePoint(m, i))
	return finishSweep(stdout, dir, m)
}

// printSweepStatus lists the points by state, with the Slurm state of
// those in the queue.
func printSweepStatus(w io.Writer, dir string, m *sweep.Manifest) error {
	q, qerr := querySlurm(m.Jobs)
	byState := map[string][]string{}
	for i := range m.Points {
		st, detail := pointState(dir, m, i, q)
		line := fmt.Sprintf("  %d (%s) %s", i, describePoint(m, i), m.Points[i].File)
		if detail != "" {
			line += ": " + detail
		}
		byState[st] = append(byState[st], line)
	}
	if qerr != nil {
		fmt.Fprintf(w, "(Slurm's queue could not be read: %v)\n", qerr)
	}
	fmt.Fprintf(w, "sweep %s: %d points (%s)", dir, len(m.Points), describeAxes(m))
	if len(m.Jobs) > 0 {
		fmt.Fprintf(w, "; Slurm jobs %s", strings.Join(m.Jobs, ", "))
	}
	fmt.Fprintln(w)
	for _, st := range []string{stateDone, stateRunning, stateQueued, stateInterrupted, stateFailed, statePending} {
		if len(byState[st]) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s: %d\n", st, len(byState[st]))
		for _, l := range byState[st] {
			fmt.Fprintln(w, l)
		}
	}
	return nil
}
