package sweep

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"grayscott/internal/plural"
	"grayscott/storage/h5"
)

// State is where a point stands, as --status lists it.
type State string

// The states of a point. A point starts Pending; the sweep starts or
// resumes every point that is not Done, Running or Queued.
const (
	Pending     State = "pending"     // no file yet
	Queued      State = "queued"      // its batch task waits in the queue
	Running     State = "running"     // its run goes on, here or on another host
	Done        State = "done"        // its file is complete
	Interrupted State = "interrupted" // a file without completed: resumes from its checkpoint
	Failed      State = "failed"      // its run failed, or its task ended without a word
)

// Observation is all a point's state depends on; Sweep.Observe gathers it
// (the I/O), State decides (a pure function).
type Observation struct {
	// File is the point's file status; FileErr why it could not be read
	// (os.ErrNotExist: no file yet).
	File    h5.Status
	FileErr error
	// Task is the point's task in the batch queue, nil when it is not
	// there. QueueKnown: the batch system answered for every job of the
	// sweep, so that a task not in its queue has ended.
	Task       *Task
	QueueKnown bool
	// Running and Failed are the point's markers, nil when absent.
	Running, Failed *Marker
	// Here: Running was written on this host; then Alive says whether its
	// process still runs (a process elsewhere cannot be asked).
	Here, Alive bool
}

// State decides the point's state from what was observed; detail says
// more (the failure's reason, images written, the task's state). The
// rules, in order: a complete file is done; a task in the queue is queued
// (waiting) or running, whatever an earlier try left; a running marker is
// a running point unless its batch task has left the queue or its local
// process is dead (then failed: it ended without a word); a failed marker
// is a failure; no file is pending; any other file is interrupted.
func (o Observation) State() (state State, detail string) {
	if o.FileErr == nil && o.File.Completed {
		return Done, plural.N(o.File.Images, "image")
	}
	images := o.File.Images
	if t := o.Task; t != nil {
		if t.Waiting {
			return Queued, fmt.Sprintf("task %s %s", t.ID, t.State)
		}
		return Running, fmt.Sprintf("%s so far, task %s %s", plural.N(images, "image"), t.ID, t.State)
	}
	if mk := o.Running; mk != nil {
		switch {
		case mk.Job != "" && o.QueueKnown:
			return Failed, fmt.Sprintf("its task %s ended without a word (killed, out of memory or time?)", mk.Job)
		case !o.Here || o.Alive:
			d := plural.N(images, "image") + " so far"
			if mk.Job != "" {
				d += ", task " + mk.Job
			}
			if !o.Here {
				d += " on " + mk.Host
			}
			return Running, d
		}
		return Failed, fmt.Sprintf("its run (pid %d) ended without a word: killed?", mk.PID)
	}
	if o.Failed != nil {
		return Failed, o.Failed.Reason
	}
	if errors.Is(o.FileErr, os.ErrNotExist) {
		return Pending, ""
	}
	if o.FileErr != nil {
		return Interrupted, o.FileErr.Error()
	}
	return Interrupted, plural.N(images, "image")
}

// Start is how a point's next run begins.
type Start int

const (
	StartNew    Start = iota // no file: create it (-o)
	StartResume              // continue from its checkpoint (--resume)
	StartOver                // a file without a checkpoint, or unreadable: overwrite it (-o --force)
	StartNone                // complete: nothing to run
)

// Start says how the point's next run begins, from its file alone: an
// interrupted or failed point with a checkpoint resumes from it.
func (o Observation) Start() Start {
	switch {
	case errors.Is(o.FileErr, os.ErrNotExist):
		return StartNew
	case o.FileErr == nil && o.File.Completed:
		return StartNone
	case o.FileErr == nil && o.File.Checkpoint != nil && o.File.Images > 0:
		return StartResume
	}
	return StartOver
}

// Observe gathers what point i's state depends on: its file, its markers,
// the batch queue q, and whether the process of a running marker written
// here is alive.
func (sw *Sweep) Observe(i int, q Queue) Observation {
	o := Observation{QueueKnown: q.Known}
	o.File, o.FileErr = readFile(filepath.Join(sw.Dir, sw.Manifest.Points[i].File))
	if t, ok := q.Tasks[i]; ok {
		o.Task = &t
	}
	if mk, ok := readMarker(sw.Dir, i, "running"); ok {
		o.Running = &mk
		o.Here = mk.Host == sw.host
		o.Alive = o.Here && processAlive(mk.PID)
	}
	if mk, ok := readMarker(sw.Dir, i, "failed"); ok {
		o.Failed = &mk
	}
	return o
}

// readFile reads a point file's status; os.ErrNotExist when there is none
// (HDF5's own error would not say so).
func readFile(path string) (h5.Status, error) {
	if _, err := os.Stat(path); err != nil {
		return h5.Status{Path: path}, err
	}
	return h5.ReadStatus(path)
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
