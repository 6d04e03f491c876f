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

// slurmScript is the job script: the same for every sweep, since the paths
// come as its arguments ($1 the grayscott program, $2 the sweep's folder,
// both absolute) and the options on sbatch's command line. No line of it
// that a shell or sbatch parses holds a path, so a folder may have any
// name. Its output goes to logs/ by the shell, not by --output, whose
// file-name patterns give % and \ meanings.
const slurmScript = `#!/bin/sh
# A grayscott sweep's job array: one task per point (grayscott sweep --help).
# grayscott sweep submits it with its options on sbatch's command line and
# two arguments: the grayscott program and the sweep's folder.
exec >>"$2/logs/slurm-${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.out" 2>&1
exec "$1" sweep "$2" --task "$SLURM_ARRAY_TASK_ID"
`

// Submit submits the points as one job array and returns its id.
func (s *Slurm) Submit(ctx context.Context, sw *Sweep, points []int) (string, error) {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return "", fmt.Errorf("sweep: --scheduler slurm: sbatch is not on PATH (is this a Slurm cluster's login node?)")
	}
	binary, err := program(s.Binary)
	if err != nil {
		return "", err
	}
	dir, err := filepath.Abs(sw.Dir)
	if err != nil {
		return "", err
	}
	script := filepath.Join(dir, "sweep.sbatch")
	if err := writeAtomic(script, []byte(slurmScript)); err != nil {
		return "", fmt.Errorf("sweep: %w", err)
	}
	var stderr strings.Builder
	// Not killed with ctx: a submission cut short may have been made.
	cmd := exec.Command("sbatch", s.sbatchArgs(arraySpec(points, s.Settings.Jobs), script, binary, dir)...)
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

// sbatchArgs are sbatch's arguments: every option on the command line,
// then the script and its arguments. Paths are absolute, so none starts
// with "-"; none goes through a file-name pattern (--output is /dev/null,
// --chdir takes a plain path).
func (s *Slurm) sbatchArgs(array, script, binary, dir string) []string {
	args := []string{"--parsable", "--job-name=grayscott-sweep", "--array=" + array, "--output=/dev/null",
		"--chdir=" + dir, "--cpus-per-task=" + strconv.Itoa(max(1, s.Settings.CPUsPerTask))}
	for _, f := range []struct{ name, value string }{{"partition", s.Settings.Partition}, {"time", s.Settings.Time},
		{"gpus-per-task", s.Settings.GPUs}, {"account", s.Settings.Account}} {
		if f.value != "" {
			args = append(args, "--"+f.name+"="+f.value)
		}
	}
	return append(args, script, binary, dir)
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
