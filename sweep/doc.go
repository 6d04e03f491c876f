// Package sweep runs parameter sweeps: one grayscott run per point of the
// Cartesian product of the model flags given lists or ranges, here or as a
// batch system's job array. It is what "grayscott sweep" does; the command
// parses its flags, calls this package and prints what it reports.
//
// # What it owns
//
// A sweep lives in one folder, and its state lives in files, never in a
// daemon:
//   - sweep.json, the Manifest: the axes, the flags common to every point,
//     the points and their files, how the sweep last ran (Settings) and the
//     batch jobs submitted;
//   - one HDF5 file per point: done when its run completed, interrupted when
//     it exists without (it resumes from its checkpoint);
//   - logs/: each point's run output (and, on Slurm, each task's own);
//   - state/: a marker per point while it runs (pNNN.running: host, the run's
//     pid, the batch task) and one when it failed (pNNN.failed: the reason);
//   - summary.csv and mosaic.png, once every point is done.
//
// # Who writes what
//
// The manifest is written only by the command that creates or submits the
// sweep (Prepare, Sweep.Run), atomically, under the folder's lock
// (Sweep.Lock: one such command at a time). A point's run (Sweep.RunPoint,
// in a local sweep's process or in a batch task) writes only that point's
// file, log and markers, so tasks running at once on a cluster never write
// the same file. The summary and the mosaic are written by whoever sees
// every point done last: the local sweep, or the last batch task.
//
// # A point's state
//
// Sweep.Observe gathers what a point's state depends on (its file's
// status, its markers, the batch queue, whether a marker's process is
// alive); Observation.State decides, as a pure function, and
// Observation.Start says how the next run begins (new, resumed from the
// checkpoint, or over). A task in the batch queue overrides what the files
// say; a running marker whose task has left the queue, or whose local
// process is dead, is a failure.
//
// # Schedulers
//
// A Scheduler submits points, reads its queue and cancels jobs. NewScheduler
// picks one by name: Local runs Settings.Jobs points at once here, Slurm
// submits a job array (sbatch, squeue, scancel). Sweep.Batch answers for the
// jobs the manifest records.
//
// # Goroutines
//
// A Sweep's methods are called from one goroutine. Local.Submit runs each
// point on a goroutine of its own (Jobs of them), which waits for the
// point's process; Sweep.Report is called from those, one call at a time.
// RunPoint starts one more goroutine per run, to pass a cancellation on as
// SIGTERM.
package sweep
