package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"grayscott/sweep"
)

const sweepUsage = `Usage: grayscott sweep DIR [sweep flags] [run flags]

Runs one simulation per point of a parameter sweep into DIR. Any model flag
(--feedrate, --killrate, --du, --dv, --deltat, --nbrow, --nbcol, --nbimage,
--nbextrastep, --boundary) may take a comma list or a range start:stop:count
(both ends included); the sweep is the Cartesian product of those lists, and
every other run flag applies to every point. Give the size flags: the run's
defaults are the course's 1080×1920 grid and 1000 images per point.

  grayscott sweep fk --feedrate 0.01:0.07:13 --killrate 0.045,0.05,0.055 -r 128 -c 128 -n 50 -e 200

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
  --wait                   slurm: follow the job with squeue until it ends,
                           with a line each time the points' counts change
  --status                 list the points by state (and the Slurm job state)
  --cancel                 cancel the sweep's Slurm jobs (scancel)
  --task N                 run point N (what each Slurm task does)
`

// sweepFlags are the sweep's own flags; the rest of the command line is
// the runs' flags.
type sweepFlags struct {
	dir                  string
	settings             sweep.Settings
	task                 int
	wait, status, cancel bool
	runArgs              []string
}

func parseSweepFlags(args []string, stdout io.Writer) (*sweepFlags, error) {
	if len(args) > 0 && isHelp(args[0]) || slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" }) {
		fmt.Fprint(stdout, sweepUsage)
		return nil, errHelp
	}
	if len(args) == 0 {
		return nil, usagef("sweep: missing DIR (grayscott sweep DIR [flags])")
	}
	if strings.HasPrefix(args[0], "-") {
		return nil, usagef("sweep: the folder comes first, got %s (grayscott sweep DIR [flags]; a folder named %s is ./%s)", args[0], args[0], args[0])
	}
	o := &sweepFlags{dir: args[0], task: -1}
	bools := map[string]*bool{"wait": &o.wait, "status": &o.status, "cancel": &o.cancel}
	valued := map[string]string{} // --task and the settings' flags
	for rest := args[1:]; len(rest) > 0; rest = rest[1:] {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(rest[0], "--"), "=")
		switch b, isBool := bools[name]; {
		case !strings.HasPrefix(rest[0], "--") || !isBool && name != "task" && !sweep.IsSettingFlag(name):
			o.runArgs = append(o.runArgs, rest[0])
		case isBool && hasValue:
			return nil, usagef("sweep: --%s takes no value", name)
		case isBool:
			*b = true
		case !hasValue && len(rest) == 1:
			return nil, usagef("sweep: --%s needs a value", name)
		case !hasValue:
			valued[name], rest = rest[1], rest[1:]
		default:
			valued[name] = value
		}
	}
	var err error
	if task, ok := valued["task"]; ok {
		delete(valued, "task")
		if o.task, err = strconv.Atoi(task); err != nil || o.task < 0 {
			return nil, usagef("sweep: --task %s: want a whole number ≥ 0", task)
		}
	}
	if o.settings, err = sweep.ParseSettings(valued); err != nil {
		return nil, err
	}
	if modes := len(slices.DeleteFunc([]bool{o.status, o.cancel, o.task >= 0}, func(b bool) bool { return !b })); modes > 1 {
		return nil, usagef("sweep: --status, --cancel and --task go alone")
	} else if modes == 1 && len(o.runArgs) > 0 {
		return nil, usagef("sweep: %s: run flags belong to the command that starts the sweep", o.runArgs[0])
	}
	if o.wait && o.settings.Scheduler != "slurm" {
		// Only a sweep that last ran on Slurm waits with no --scheduler.
		if m, err := sweep.Load(o.dir); err != nil || m.Resolve(o.settings).Scheduler != "slurm" {
			return nil, usagef("sweep: --wait follows a Slurm job (give --scheduler slurm); a local sweep waits anyway")
		}
	}
	return o, nil
}

func sweepCommand(args []string, stdout, stderr io.Writer) error {
	o, err := parseSweepFlags(args, stdout)
	if err != nil {
		return err
	}
	var sw *sweep.Sweep
	if o.status || o.cancel || o.task >= 0 {
		sw, err = sweep.Open(o.dir)
	} else {
		sw, err = sweep.Prepare(o.dir, o.runArgs)
	}
	if err != nil {
		return err
	}
	sw.Report = func(e sweep.Event) { fmt.Fprintf(stdout, "sweep %s: %v\n", o.dir, e) }
	switch {
	case o.status:
		printSweepStatus(stdout, sw, sw.Status(context.Background()))
		return nil
	case o.cancel:
		return sw.Cancel(context.Background())
	}
	ctx, stop := notifyStopDoing(context.Background(), stderr, "stopping the points' runs, each keeping its images and checkpoint")
	defer stop()
	if o.task >= 0 {
		err = sw.RunTask(ctx, o.task, sweep.SlurmTask())
	} else {
		err = sw.Start(ctx, o.settings, o.wait)
	}
	if sig := stopSignal(ctx); sig != nil && err != nil {
		return sweepStopped{err, sig}
	}
	return err
}

// sweepStopped is a sweep stopped by a signal: it exits as run does, with
// 128 + the signal's number.
type sweepStopped struct {
	error
	sig os.Signal
}

// Signal is the signal that stopped the sweep (report's exit status).
func (e sweepStopped) Signal() os.Signal { return e.sig }

// printSweepStatus lists the points by state, with the batch task state of
// those in the queue.
func printSweepStatus(w io.Writer, sw *sweep.Sweep, st sweep.Status) {
	if st.QueueErr != nil {
		fmt.Fprintf(w, "(Slurm's queue could not be read: %v)\n", st.QueueErr)
	}
	fmt.Fprintf(w, "sweep %s: %d points (%s)", sw.Dir, len(st.Points), sw.Manifest.DescribeAxes())
	if len(st.Jobs) > 0 {
		fmt.Fprintf(w, "; Slurm jobs %s", strings.Join(st.Jobs, ", "))
	}
	fmt.Fprintln(w)
	for _, state := range sweep.States {
		var lines []string
		for _, p := range st.Points {
			if p.State == state {
				lines = append(lines, fmt.Sprintf("  %v\n", p))
			}
		}
		if len(lines) > 0 {
			fmt.Fprintf(w, "%s: %d\n%s", state, len(lines), strings.Join(lines, ""))
		}
	}
}
