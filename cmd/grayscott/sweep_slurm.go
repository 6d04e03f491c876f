package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	var todo []string
	for i := range m.Points {
		switch st, _ := pointState(o.dir, m, i); st {
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
	array := strings.Join(todo, ",")
	if o.jobs > 0 {
		array += "%" + strconv.Itoa(o.jobs)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# A grayscott sweep's job array: one task per point (grayscott sweep --help).\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=grayscott-sweep\n#SBATCH --array=%s\n", array)
	fmt.Fprintf(&b, "#SBATCH --output=%s\n#SBATCH --cpus-per-task=%d\n", filepath.Join(dir, "logs", "slurm-%A_%a.out"), o.cpusPerTask)
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
	out, err := exec.Command("sbatch", "--parsable", script).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sweep: sbatch %s: %v: %s", script, err, strings.TrimSpace(string(out)))
	}
	job, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.Atoi(job); err != nil {
		return fmt.Errorf("sweep: sbatch printed %q, not a job id", strings.TrimSpace(string(out)))
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
	for {
		if q := slurmQueue([]string{job}); len(q) == 0 {
			break
		}
		time.Sleep(2 * time.Second)
	}
	if err := printSweepStatus(stdout, o.dir, m); err != nil {
		return err
	}
	var failed []string
	for i := range m.Points {
		if st, _ := pointState(o.dir, m, i); st != stateDone {
			failed = append(failed, strconv.Itoa(i))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("sweep: job %s ended with %d points not done (%s): run the same command again to retry them",
			job, len(failed), strings.Join(failed, ", "))
	}
	return finishSweep(stdout, o.dir, m)
}

// slurmQueue returns the queue state (PENDING, RUNNING, …) of each point
// whose array task of jobs is still in Slurm's queue; empty when none is,
// or when squeue is missing or fails.
func slurmQueue(jobs []string) map[int]string {
	states := map[int]string{}
	if len(jobs) == 0 {
		return states
	}
	out, err := exec.Command("squeue", "-h", "-r", "-j", strings.Join(jobs, ","), "-o", "%i %T").Output()
	if err != nil {
		return states
	}
	for _, line := range strings.Split(string(out), "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		_, task, ok := strings.Cut(id, "_")
		if n, err := strconv.Atoi(task); ok && err == nil {
			states[n] = state
		}
	}
	return states
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
	if len(slurmQueue(m.Jobs)) == 0 {
		fmt.Fprintf(stdout, "sweep %s: no task of its Slurm jobs (%s) is in the queue: nothing to cancel\n", dir, strings.Join(m.Jobs, ", "))
		return nil
	}
	if out, err := exec.Command("scancel", m.Jobs...).CombinedOutput(); err != nil {
		return fmt.Errorf("sweep: scancel %s: %v: %s", strings.Join(m.Jobs, " "), err, strings.TrimSpace(string(out)))
	}
	fmt.Fprintf(stdout, "sweep %s: cancelled Slurm jobs %s\n", dir, strings.Join(m.Jobs, ", "))
	return nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
