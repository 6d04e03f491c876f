package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"grayscott/cmd/grayscott/internal/sweep"
)

// submitSweep submits the points not done as one Slurm job array whose
// tasks run "grayscott sweep DIR --task N", records the job in the
// manifest, and with --wait follows it until it leaves the queue.
func submitSweep(stdout io.Writer, o *sweepOptions, m *sweep.Manifest) error {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return fmt.Errorf("sweep: --scheduler slurm: sbatch is not on PATH (is this a Slurm cluster's login node?)")
	}
	q, err := queueIsClear(o.dir, m)
	if err != nil {
		return err
	}
	var todo []string
	for i := range m.Points {
		switch st, _ := pointState(o.dir, m, i, q); st {
		case stateRunning:
			return fmt.Errorf("sweep: point %d (%s) is running: let it end or --cancel it", i, describePoint(m, i))
		case stateDone:
		default:
			todo = append(todo, strconv.Itoa(i))
		}
	}
	if len(todo) == 0 {
		fmt.Fprintf(stdout, "sweep %s: every point is done\n", o.dir)
		return finishSweep(stdout, o.dir, m)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	// #SBATCH lines end at white space, and % starts a file-name pattern.
	if strings.ContainsAny(dir, " \t\n") {
		return usagef("sweep: --scheduler slurm: the folder %q holds white space, which #SBATCH lines cannot carry", dir)
	}
	for _, v := range []string{o.partition, o.time, o.gpus, o.account} {
		if strings.ContainsAny(v, " \t\n") {
			return usagef("sweep: %q: Slurm options cannot hold white space", v)
		}
	}
	array := strings.Join(todo, ",")
	if o.jobs > 0 {
		array += "%" + strconv.Itoa(o.jobs)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# A grayscott sweep's job array: one task per point (grayscott sweep --help).\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=grayscott-sweep\n#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n#SBATCH --cpus-per-task=%d\n",
		strings.ReplaceAll(filepath.Join(dir, "logs"), "%", "%%")+"/slurm-%A_%a.out", o.cpusPerTask)
	for _, f := range []struct{ name, value string }{{"partition", o.partition}, {"time", o.time},
		{"gpus-per-task", o.gpus}, {"account", o.account}} {
		if f.value != "" {
			fmt.Fprintf(&b, "#SBATCH --%s=%s\n", f.name, f.value)
		}
	}
	fmt.Fprintf(&b, "exec %s sweep %s --task \"$SLURM_ARRAY_TASK_ID\"\n", shellQuote(self), shellQuote(dir))
	script := filepath.Join(dir, "sweep.sbatch")
	if err := sweep.WriteAtomic(script, []byte(b.String())); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	var stderr strings.Builder
	cmd := exec.Command("sbatch", "--parsable", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("sweep: sbatch %s: %v: %s", script, err, strings.TrimSpace(stderr.String()))
	}
	// --parsable prints "JOBID" or "JOBID;CLUSTER" as its last line.
	lines := strings.Fields(strings.TrimSpace(string(out)))
	job := ""
	if len(lines) > 0 {
		job, _, _ = strings.Cut(lines[len(lines)-1], ";")
	}
	if _, err := strconv.Atoi(job); err != nil {
		return fmt.Errorf("sweep: sbatch printed %q, not a job id: the job may have been submitted; check squeue before running the sweep again",
			strings.TrimSpace(string(out)))
	}
	m.Jobs = append(m.Jobs, job)
	if err := m.Save(o.dir); err != nil {
		return fmt.Errorf("sweep: job %s submitted, but: %w", job, err)
	}
	fmt.Fprintf(stdout, "sweep %s: submitted Slurm job %s, %d tasks (%s; %s); grayscott sweep %s --status shows where it is\n",
		o.dir, job, len(todo), array, pointSize(m), o.dir)
	if !o.wait {
		return nil
	}
	for failures := 0; ; {
		time.Sleep(2 * time.Second)
		q, err := querySlurm([]string{job})
		if err != nil {
			// A busy controller times out now and then: only a minute
			// of failures in a row ends the wait.
			if failures++; failures >= 30 {
				return fmt.Errorf("sweep: following job %s: %w", job, err)
			}
			continue
		}
		failures = 0
		if len(q.tasks) == 0 {
			break
		}
	}
	if err := printSweepStatus(stdout, o.dir, m); err != nil {
		return err
	}
	var failed []string
	for i := range m.Points {
		if st, _ := pointState(o.dir, m, i, slurmView{}); st != stateDone {
			failed = append(failed, strconv.Itoa(i))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("sweep: job %s ended with %d points not done (%s): run the same command again to retry them",
			job, len(failed), strings.Join(failed, ", "))
	}
	return finishSweep(stdout, o.dir, m)
}

// slurmView is what Slurm's queue says of a sweep's jobs.
type slurmView struct {
	tasks map[int]slurmTask // by point: the array tasks still in the queue
	ok    bool              // squeue answered for every job of the sweep
}

type slurmTask struct{ job, state string }

// querySlurm asks squeue for the array tasks of jobs still in the queue.
// With no jobs it answers at once; where squeue is missing (a sweep run
// here after a cluster's) it says nothing and ok is false.
func querySlurm(jobs []string) (slurmView, error) {
	v := slurmView{tasks: map[int]slurmTask{}}
	if len(jobs) == 0 {
		v.ok = true
		return v, nil
	}
	if _, err := exec.LookPath("squeue"); err != nil {
		return v, nil
	}
	var stderr strings.Builder
	cmd := exec.Command("squeue", "-h", "-r", "-j", strings.Join(jobs, ","), "-o", "%i %T")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "Invalid job id") { // every job long gone
			v.ok = true
			return v, nil
		}
		return v, fmt.Errorf("squeue: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	for _, line := range strings.Split(string(out), "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		job, task, ok := strings.Cut(id, "_")
		if n, err := strconv.Atoi(task); ok && err == nil {
			v.tasks[n] = slurmTask{job: job, state: state}
		}
	}
	v.ok = true
	return v, nil
}

// queueIsClear refuses to run or submit a sweep while tasks of its jobs
// wait or run in Slurm's queue (they would compute the same points twice),
// and returns what the queue says.
func queueIsClear(dir string, m *sweep.Manifest) (slurmView, error) {
	q, err := querySlurm(m.Jobs)
	if err != nil {
		return q, fmt.Errorf("sweep: cannot tell whether its Slurm jobs still run: %w", err)
	}
	if len(q.tasks) > 0 {
		jobs := map[string]bool{}
		for _, t := range q.tasks {
			jobs[t.job] = true
		}
		return q, fmt.Errorf("sweep: %d tasks of %s's Slurm jobs are still queued or running (%s): let them end, or grayscott sweep %s --cancel",
			len(q.tasks), dir, strings.Join(slices.Sorted(maps.Keys(jobs)), ", "), dir)
	}
	return q, nil
}

// cancelSweep cancels every Slurm job of the sweep; its tasks stop cleanly
// (SIGTERM), each point keeping its file and checkpoint.
func cancelSweep(stdout io.Writer, dir string) error {
	m, err := loadSweep(dir)
	if err != nil {
		return err
	}
	if len(m.Jobs) == 0 {
		return usagef("sweep: %s has no Slurm job to cancel (a local sweep stops with Ctrl-C)", dir)
	}
	q, err := querySlurm(m.Jobs)
	if err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	live := map[string]bool{}
	for _, t := range q.tasks {
		live[t.job] = true
	}
	if len(live) == 0 {
		fmt.Fprintf(stdout, "sweep %s: no task of its Slurm jobs (%s) is in the queue: nothing to cancel\n", dir, strings.Join(m.Jobs, ", "))
		return nil
	}
	jobs := slices.Sorted(maps.Keys(live))
	if out, err := exec.Command("scancel", jobs...).CombinedOutput(); err != nil {
		return fmt.Errorf("sweep: scancel %s: %v: %s", strings.Join(jobs, " "), err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(stdout, "sweep %s: cancelled Slurm jobs %s (%d tasks)\n", dir, strings.Join(jobs, ", "), len(q.tasks))
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
