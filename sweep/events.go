package sweep

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"grayscott/internal/plural"
)

// Event is what Sweep.Report is told: Planned, PointEnded, Submitted,
// Progress, Finished or Cancelled. Each says itself in one line (String).
type Event interface {
	fmt.Stringer
	event()
}

// Planned: the sweep is about to run or submit ToRun of its points
// (Done are done already); they write Size.
type Planned struct {
	Points, Done, ToRun int
	Settings            Settings
	Size                Size
}

// PointEnded: a point run here (Local) has ended after Took: done when
// Err is nil; else Interrupted (stopped by the context) or failed (Err
// says why). Ended of Of points have ended.
type PointEnded struct {
	Index       int
	Point       string // its values (Manifest.Describe)
	Took        time.Duration
	Err         error
	Interrupted bool
	Ended, Of   int
}

// Submitted: the points were submitted as the Tasks tasks of batch job Job
// (Array: Slurm's --array).
type Submitted struct {
	Scheduler, Job string
	Tasks          int
	Array          string
	Dir            string
}

// Progress: while Run waits for its job, the points' counts, each time
// they change.
type Progress struct {
	Points, Done, Running, Queued int
}

// Finished: every point is done; the summary and the mosaic are written.
type Finished struct{ Summary, Mosaic string }

// Cancelled: Cancel cancelled Jobs, which had Tasks tasks in the queue, of
// the sweep's jobs Of (none when no task was left).
type Cancelled struct {
	Jobs  []string
	Tasks int
	Of    []string
}

func (Planned) event()    {}
func (PointEnded) event() {}
func (Submitted) event()  {}
func (Progress) event()   {}
func (Finished) event()   {}
func (Cancelled) event()  {}

func (e Planned) String() string {
	how := fmt.Sprintf("%d at a time", e.Settings.AtOnce(e.ToRun))
	if e.Settings.Scheduler != "local" {
		how = "as " + schedulerName(e.Settings.Scheduler) + " tasks"
	}
	return fmt.Sprintf("%d points, %d done, %d to run, %s; writes %v", e.Points, e.Done, e.ToRun, how, e.Size)
}

func (e PointEnded) String() string {
	status := fmt.Sprintf("done in %.2f s", e.Took.Seconds())
	if e.Interrupted {
		status = "interrupted (running the sweep again resumes it)"
	} else if e.Err != nil {
		status = "failed: " + e.Err.Error()
	}
	return fmt.Sprintf("[%d/%d] point %d (%s): %s", e.Ended, e.Of, e.Index, e.Point, status)
}

func (e Submitted) String() string {
	return fmt.Sprintf("submitted %s job %s, %s (%s); grayscott sweep %s --status shows where it is",
		schedulerName(e.Scheduler), e.Job, plural.N(e.Tasks, "task"), e.Array, e.Dir)
}

func (e Progress) String() string {
	return fmt.Sprintf("%d of %d points done, %d running, %d queued", e.Done, e.Points, e.Running, e.Queued)
}

func (e Finished) String() string {
	return fmt.Sprintf("every point done; %s, %s", e.Summary, e.Mosaic)
}

func (e Cancelled) String() string {
	if len(e.Jobs) == 0 {
		return fmt.Sprintf("no task of its jobs (%s) is in the queue: nothing to cancel", strings.Join(e.Of, ", "))
	}
	return fmt.Sprintf("cancelled %s %s (%s)", plural.Word(len(e.Jobs), "job"), strings.Join(e.Jobs, ", "), plural.N(e.Tasks, "task"))
}

// schedulerName is a scheduler's name as prose spells it: Slurm.
func schedulerName(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Size is what points write before compression: Bytes in all; when they
// are all alike (Uniform), Images images of Rows×Cols float32 each.
type Size struct {
	Points, Images, Rows, Cols int
	Bytes                      int64
	Uniform                    bool
}

// ImageBytes is what one image takes when the points are alike.
func (s Size) ImageBytes() int64 { return int64(s.Rows) * int64(s.Cols) * 4 }

// String says what the points write: "4 points × 3 images of 24×40
// (3.84 kB each) = 46.1 kB", or, for points of different sizes, "46.1 kB
// in all for 4 points".
func (s Size) String() string {
	if s.Points == 0 {
		return "nothing"
	}
	if !s.Uniform {
		return fmt.Sprintf("%s in all for %d points of different sizes (before compression)", formatBytes(s.Bytes), s.Points)
	}
	return fmt.Sprintf("%s × %s of %d×%d (%s each) = %s (before compression)",
		plural.N(s.Points, "point"), plural.N(s.Images, "image"), s.Rows, s.Cols, formatBytes(s.ImageBytes()), formatBytes(s.Bytes))
}

// formatBytes writes n in SI units with 3 significant digits: "46.1 kB".
func formatBytes(n int64) string {
	v, unit := float64(n), "B"
	for _, u := range []string{"kB", "MB", "GB", "TB", "PB"} {
		if v < 999.5 {
			break
		}
		v, unit = v/1000, u
	}
	if unit == "B" {
		return fmt.Sprintf("%d B", n)
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " " + unit
}
