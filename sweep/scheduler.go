package sweep

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Scheduler runs a sweep's points: here (Local) or as the tasks of a batch
// system's job (Slurm). NewScheduler picks one by name.
type Scheduler interface {
	// Submit hands the points of sw to the scheduler. A batch system
	// queues them as the tasks of one job and returns its id at once;
	// Local runs them and returns "" once they have all ended, their
	// failures told by their states (and by Sweep.Report), or the
	// context's error when it stopped them.
	Submit(ctx context.Context, sw *Sweep, points []int) (job string, err error)
	// Queue says which tasks of jobs are still queued or running.
	Queue(ctx context.Context, jobs []string) (Queue, error)
	// Cancel removes the jobs from the queue; their running tasks are
	// stopped with SIGTERM.
	Cancel(ctx context.Context, jobs []string) error
}

// Queue is what a batch system says of a sweep's jobs.
type Queue struct {
	// Tasks are the jobs' tasks still queued or running, by point.
	Tasks map[int]Task
	// Known: the batch system answered for every job asked about, so a
	// task missing from Tasks has left the queue. False where it could
	// not be asked (no squeue on this machine).
	Known bool
}

// Task is one point's task in a batch queue.
type Task struct {
	Job     string // the job it belongs to
	ID      string // its own id, as markers record it (Slurm: JOB_TASK)
	State   string // as the batch system says it (Slurm: PENDING, RUNNING, …)
	Waiting bool   // not started yet
}

// NewScheduler returns the scheduler s names: "local" or "slurm". binary
// is the grayscott program that runs each point ("": this one).
func NewScheduler(s Settings, binary string) (Scheduler, error) {
	switch s.Scheduler {
	case "local", "":
		return &Local{Jobs: s.Jobs, Binary: binary}, nil
	case "slurm":
		return &Slurm{Settings: s, Binary: binary}, nil
	}
	return nil, usagef("sweep: --scheduler %s: want local or slurm", s.Scheduler)
}

// Local runs points here, each as a grayscott run process, Jobs at once
// (0: one per core), each CPU engine sized to its share of the cores.
type Local struct {
	Jobs   int
	Binary string // "": this program
}

// Submit runs the points, Jobs at once, on as many goroutines, each
// waiting for its run's process; it reports each point's end
// (PointEnded). A cancelled ctx stops the runs cleanly (SIGTERM): their
// points are interrupted, and Submit returns ctx's error.
func (l *Local) Submit(ctx context.Context, sw *Sweep, points []int) (string, error) {
	jobs := Settings{Scheduler: "local", Jobs: l.Jobs}.AtOnce(len(points))
	o := PointOptions{Binary: l.Binary, Threads: max(1, runtime.NumCPU()/jobs)}
	var mu sync.Mutex // guards ended and the calls to Report
	ended := 0
	work := make(chan int)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for i := range work {
				start := time.Now()
				err := sw.RunPoint(ctx, i, o)
				mu.Lock()
				ended++
				sw.report(PointEnded{Index: i, Point: sw.Manifest.Describe(i), Took: time.Since(start), Err: err, Interrupted: err != nil && ctx.Err() != nil,
					Ended: ended, Of: len(points)})
				mu.Unlock()
			}
		})
	}
feed:
	for _, i := range points {
		if ctx.Err() != nil {
			break
		}
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	return "", ctx.Err()
}

// Queue: a local sweep has no jobs.
func (l *Local) Queue(ctx context.Context, jobs []string) (Queue, error) {
	if len(jobs) > 0 {
		return Queue{}, fmt.Errorf("local: no jobs (asked about %v)", jobs)
	}
	return Queue{Known: true}, nil
}

// Cancel: a local sweep has no jobs; it stops with its context (Ctrl-C).
func (l *Local) Cancel(ctx context.Context, jobs []string) error {
	return fmt.Errorf("local: no jobs to cancel (a local sweep stops with Ctrl-C)")
}
