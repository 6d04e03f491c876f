package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
)

// fakeBatch is an in-process batch system: Submit queues a task per point
// (waiting), the test starts, runs or drops them, and Queue answers from
// its table. A task runs its point as a Slurm task does ("grayscott sweep
// DIR --task N": RunTask on a Sweep of its own), here on the test's
// goroutine.
type fakeBatch struct {
	mu        sync.Mutex
	next      int
	tasks     map[int]*Task // by point: those in the queue
	submitted [][]int       // the points of each Submit
	cancelled []string
	queueErrs int         // the next Queue calls that fail
	onQueue   func(n int) // called (unlocked) before the n-th Queue call answers
	queries   int
}

var _ Scheduler = (*fakeBatch)(nil)

func (f *fakeBatch) Submit(ctx context.Context, sw *Sweep, points []int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.tasks == nil {
		f.tasks = map[int]*Task{}
	}
	job := strconv.Itoa(100 + f.next)
	f.next++
	for _, i := range points {
		f.tasks[i] = &Task{Job: job, ID: fmt.Sprintf("%s_%d", job, i), State: "PENDING", Waiting: true}
	}
	f.submitted = append(f.submitted, slices.Clone(points))
	return job, nil
}

func (f *fakeBatch) Queue(ctx context.Context, jobs []string) (Queue, error) {
	f.mu.Lock()
	n := f.queries
	f.queries++
	hook := f.onQueue
	f.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.queueErrs > 0 {
		f.queueErrs--
		return Queue{}, errors.New("fake: controller busy")
	}
	q := Queue{Tasks: map[int]Task{}, Known: true}
	for i, t := range f.tasks {
		if slices.Contains(jobs, t.Job) {
			q.Tasks[i] = *t
		}
	}
	return q, nil
}

func (f *fakeBatch) Cancel(ctx context.Context, jobs []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, jobs...)
	for i, t := range f.tasks {
		if slices.Contains(jobs, t.Job) {
			delete(f.tasks, i)
		}
	}
	return nil
}

// start marks point i's task running, as the batch system does when it
// starts it.
func (f *fakeBatch) start(i int) *Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[i]
	t.State, t.Waiting = "RUNNING", false
	return t
}

// run runs point i's task to its end (RunTask with ctx), and takes it off
// the queue.
func (f *fakeBatch) run(ctx context.Context, dir string, i int) error {
	t := f.start(i)
	sw, err := Open(dir)
	if err != nil {
		return err
	}
	sw.Batch = f
	err = sw.RunTask(ctx, i, PointOptions{Task: t.ID, CancelFails: true})
	f.drop(i)
	return err
}

// drop takes point i's task off the queue without a word (the node died).
func (f *fakeBatch) drop(i int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tasks, i)
}
