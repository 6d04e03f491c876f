package sweep

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Slurm submits a sweep's points as one job array whose tasks run
// "grayscott sweep DIR --task N" (RunTask), and reads its queue with
// squeue. Only Slurm's commands are used (sbatch --parsable, squeue,
// scancel): no accounting database is assumed. The zero Slurm reads the
// queue and cancels; Submit needs Settings.
type Slurm struct {
	Settings Settings
	Binary   string // the grayscott program the tasks run; "": this one
}

// Submit submits the points as one job array and returns its id.
func (s *Slurm) Submit(ctx context.Context, sw *Sweep, points []int) (string, error) {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return "", fmt.Errorf("sweep: --scheduler slurm: sbatch is not on PATH (is this a Slurm cluster's login node?)")
	}
	binary := s.Binary
	if binary == "" {
		var err error
		if binary, err = os.Executable(); err != nil {
			return "", err
		}
	}
	dir, err := filepath.Abs(sw.Dir)
	if err != nil {
		return "", err
	}
	// #SBATCH lines end at white space, and % starts a file-name pattern.
	if strings.ContainsAny(dir, " \t\n") {
		return "", usagef("sweep: --scheduler slurm: the folder %q holds white space, which #SBATCH lines cannot carry", dir)
	}
	st := s.Settings
	for _, v := range []string{st.Partition, st.Time, st.GPUs, st.Account} {
		if strings.ContainsAny(v, " \t\n") {
			return "", usagef("sweep: %q: Slurm options cannot hold white space", v)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n# A grayscott sweep's job array: one task per point (grayscott sweep --help).\n")
	fmt.Fprintf(&b, "#SBATCH --job-name=grayscott-sweep\n#SBATCH --array=%s\n", arraySpec(points, st.Jobs))
	fmt.Fprintf(&b, "#SBATCH --output=%s\n#SBATCH --cpus-per-task=%d\n",
		strings.ReplaceAll(filepath.Join(dir, "logs"), "%", "%%")+"/slurm-%A_%a.out", max(1, st.CPUsPerTask))
	for _, f := range []struct{ name, value string }{{"partition", st.Partition}, {"time", st.Time},
		{"gpus-per-task", st.GPUs}, {"account", st.Account}} {
		if f.value != "" {
			fmt.Fprintf(&b, "#SBATCH --%s=%s\n", f.name, f.value)
		}
	}
	fmt.Fprintf(&b, "exec %s sweep %s --task \"$SLURM_ARRAY_TASK_ID\"\n", shellQuote(binary), shellQuote(dir))
	script := filepath.Join(dir, "sweep.sbatch")
	if err := writeAtomic(script, []byte(b.String())); err != nil {
		return "", fmt.Errorf("sweep: %w", err)
	}
	var stderr strings.Builder
	// Not killed with ctx: a submission cut short may have been made.
	cmd := exec.Command("sbatch", "--parsable", script)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sweep: sbatch %s: %v: %s", script, err, strings.TrimSpace(stderr.String()))
	}
	job, ok := parseJobID(string(out))
	if !ok {
		return "", fmt.Errorf("sweep: sbatch printed %q, not a job id: the job may have been submitted; check squeue before running the sweep again",
			strings.TrimSpace(string(out)))
	}
	return job, nil
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// parseJobID reads sbatch --parsable's output: "JOBID" or "JOBID;CLUSTER"
// as its last line.
func parseJobID(out string) (string, bool) {
	lines := strings.Fields(strings.TrimSpace(out))
	if len(lines) == 0 {
		return "", false
	}
	job, _, _ := strings.Cut(lines[len(lines)-1], ";")
	_, err := strconv.Atoi(job)
	return job, err == nil
}

// Queue asks squeue for the array tasks of jobs still in the queue. With
// no jobs it answers at once; where squeue is missing (a sweep run here
// after a cluster's) it says nothing and Known is false.
func (s *Slurm) Queue(ctx context.Context, jobs []string) (Queue, error) {
	if len(jobs) == 0 {
		return Queue{Known: true}, nil
	}
	if _, err := exec.LookPath("squeue"); err != nil {
		return Queue{}, nil
	}
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, "squeue", "-h", "-r", "-j", strings.Join(jobs, ","), "-o", "%i %T")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "Invalid job id") { // every job long gone
			return Queue{Known: true}, nil
		}
		return Queue{}, fmt.Errorf("squeue: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseSqueue(string(out)), nil
}

// parseSqueue reads squeue -r -o "%i %T": a line "JOB_TASK STATE" per task.
func parseSqueue(out string) Queue {
	q := Queue{Tasks: map[int]Task{}, Known: true}
	for _, line := range strings.Split(out, "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		job, task, ok := strings.Cut(id, "_")
		if n, err := strconv.Atoi(task); ok && err == nil {
			q.Tasks[n] = Task{Job: job, ID: id, State: state, Waiting: state == "PENDING"}
		}
	}
	return q
}

// Cancel cancels the jobs (scancel): their tasks get SIGTERM.
func (s *Slurm) Cancel(ctx context.Context, jobs []string) error {
	if out, err := exec.Command("scancel", jobs...).CombinedOutput(); err != nil {
		return fmt.Errorf("scancel %s: %v: %s", strings.Join(jobs, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// SlurmTask is how a Slurm array task runs its point: the CPU engine with
// the task's cores (SLURM_CPUS_PER_TASK), its markers naming the task
// (SLURM_ARRAY_JOB_ID_SLURM_ARRAY_TASK_ID), and a cancelled task failed.
// It reads the environment Slurm gives a task.
func SlurmTask() PointOptions {
	o := PointOptions{CancelFails: true}
	if n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && n > 0 {
		o.Threads = n
	}
	if id := os.Getenv("SLURM_ARRAY_JOB_ID"); id != "" {
		o.Task = id + "_" + os.Getenv("SLURM_ARRAY_TASK_ID")
	}
	return o
}
