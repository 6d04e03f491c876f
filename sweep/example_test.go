package sweep_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"grayscott/sweep"
)

// Example runs a sweep of two points here, one at a time, each point a
// "grayscott run" process, and lists the points' states.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	// The grayscott program's path (in this example the test binary stands
	// in for it).
	grayscott, _ := os.Executable()

	sw, err := sweep.Prepare(filepath.Join(dir, "fk"), []string{"--feedrate", "0.03,0.04", "--killrate", "0.06",
		"--nbrow", "16", "--nbcol", "16", "--nbimage", "2", "--nbextrastep", "10", "--engine", "cpu"})
	if err != nil {
		panic(err)
	}
	sw.Report = func(e sweep.Event) {
		if p, ok := e.(sweep.Planned); ok {
			fmt.Println(p)
		}
	}
	s := sweep.Settings{Scheduler: "local", Jobs: 1}
	sched, _ := sweep.NewScheduler(s, grayscott)
	if err := sw.Run(context.Background(), sched, s, false); err != nil {
		panic(err)
	}
	for _, p := range sw.Status(context.Background()).Points {
		fmt.Printf("%s: %v\n", p.State, p)
	}
	// Output:
	// 2 points, 0 done, 2 to run, 1 at a time; writes 2 points × 2 images of 16×16 (1.02 kB each) = 4.1 kB (before compression)
	// done: 0 (feedrate 0.03) p000_feedrate0.03.h5: 2 images
	// done: 1 (feedrate 0.04) p001_feedrate0.04.h5: 2 images
}
