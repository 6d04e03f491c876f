package sweep

import (
	"errors"
	"io/fs"
	"strings"
	"testing"

	"grayscott/storage/h5"
)

// Observations of a point, as Observe would make them.
var (
	noFile      = Observation{FileErr: fs.ErrNotExist, QueueKnown: true}
	complete    = Observation{File: h5.Status{Images: 3, Run: true, FramesWritten: 3, Completed: true, Checkpoint: &h5.CheckpointInfo{Images: 3}}, QueueKnown: true}
	partial     = Observation{File: h5.Status{Images: 2, Run: true, FramesWritten: 2, Checkpoint: &h5.CheckpointInfo{Images: 2}}, QueueKnown: true}
	noCheckpt   = Observation{File: h5.Status{Images: 0, Run: true}, QueueKnown: true}
	unreadable  = Observation{FileErr: errors.New("H5Fopen: file signature not found"), QueueKnown: true}
	waiting     = &Task{Job: "7", ID: "7_1", State: "PENDING", Waiting: true}
	started     = &Task{Job: "7", ID: "7_1", State: "RUNNING"}
	localRun    = &Marker{Host: "here", PID: 42}
	taskRun     = &Marker{Host: "node3", PID: 42, Job: "7_1"}
	failedMark  = &Marker{Host: "here", PID: 41, Reason: "disk on fire"}
	elsewhere   = &Marker{Host: "there", PID: 42}
	unknownQ    = func(o Observation) Observation { o.QueueKnown = false; return o }
	withTask    = func(o Observation, t *Task) Observation { o.Task = t; return o }
	withRunning = func(o Observation, mk *Marker, here, alive bool) Observation {
		o.Running, o.Here, o.Alive = mk, here, alive
		return o
	}
	withFailed = func(o Observation, mk *Marker) Observation { o.Failed = mk; return o }
)

// TestPointState: every rule of Observation.State, each transition a point
// makes written as the observation that shows it.
func TestPointState(t *testing.T) {
	cases := []struct {
		name   string
		o      Observation
		want   State
		detail string // a part of the detail
	}{
		{"never run: pending", noFile, Pending, ""},
		{"submitted, waiting in the queue: queued", withTask(noFile, waiting), Queued, "7_1 PENDING"},
		{"queued → running: the queue says so before any file", withTask(noFile, started), Running, "0 images so far, task 7_1 RUNNING"},
		{"running here, its process alive", withRunning(partial, localRun, true, true), Running, "2 images so far"},
		{"running → done: the file completed", complete, Done, "3 images"},
		{"done wins over a marker left behind", withRunning(complete, localRun, true, false), Done, ""},
		{"done wins over a failed marker", withFailed(complete, failedMark), Done, ""},
		{"running → failed: the run said why", withFailed(partial, failedMark), Failed, "disk on fire"},
		{"running → interrupted: stopped cleanly, no marker left", partial, Interrupted, "2 images"},
		{"interrupted, unreadable file", unreadable, Interrupted, "signature not found"},
		{"a task gone from the queue without a word: failed", withRunning(partial, taskRun, false, false), Failed, "task 7_1 ended without a word"},
		{"its task still in the queue: running, whatever the markers", withTask(withRunning(partial, taskRun, false, false), started), Running, "task 7_1 RUNNING"},
		{"a failed try's marker while its retry waits: queued", withTask(withFailed(partial, failedMark), waiting), Queued, ""},
		{"no squeue here: a task's marker is believed", unknownQ(withRunning(partial, taskRun, false, false)), Running, "task 7_1 on node3"},
		{"a stale marker of a dead local process: failed", withRunning(partial, localRun, true, false), Failed, "pid 42"},
		{"a marker on another host cannot be checked: running", withRunning(noFile, elsewhere, false, false), Running, "on there"},
		{"a marker with no file yet, alive: running", withRunning(noFile, localRun, true, true), Running, "0 images so far"},
	}
	for _, c := range cases {
		state, detail := c.o.State()
		if state != c.want || !strings.Contains(detail, c.detail) {
			t.Errorf("%s: %s (%q), want %s (with %q)", c.name, state, detail, c.want, c.detail)
		}
	}
}

// TestPointStateOneImage: a detail counts one image as "1 image".
func TestPointStateOneImage(t *testing.T) {
	one := func(o Observation) Observation { o.File.Images = 1; return o }
	for _, c := range []struct {
		o    Observation
		want string
	}{
		{one(complete), "1 image"},
		{one(partial), "1 image"},
		{withRunning(one(partial), localRun, true, true), "1 image so far"},
		{withTask(one(partial), started), "1 image so far, task 7_1 RUNNING"},
	} {
		if _, detail := c.o.State(); detail != c.want {
			t.Errorf("%+v: detail %q, want %q", c.o, detail, c.want)
		}
	}
}

// TestPointStart: how a point's next run begins: a new file, a resumed
// one (an interrupted point, a failed point retried from its checkpoint),
// or over (no checkpoint, an unreadable file); a done point runs nothing.
func TestPointStart(t *testing.T) {
	emptyCheckpoint := partial
	emptyCheckpoint.File.Images = 0
	cases := []struct {
		name string
		o    Observation
		want Start
	}{
		{"pending", noFile, StartNew},
		{"done", complete, StartNone},
		{"interrupted: resumed", partial, StartResume},
		{"failed with a checkpoint: retried from it", withFailed(partial, failedMark), StartResume},
		{"failed without a checkpoint: retried from the start", withFailed(noCheckpt, failedMark), StartOver},
		{"a task gone without a word: retried from its checkpoint", withRunning(partial, taskRun, false, false), StartResume},
		{"unreadable: over", unreadable, StartOver},
		{"a checkpoint before any image: over", emptyCheckpoint, StartOver},
	}
	for _, c := range cases {
		if got := c.o.Start(); got != c.want {
			t.Errorf("%s: start %d, want %d", c.name, got, c.want)
		}
	}
}
