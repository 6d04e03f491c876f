//go:build !nowindow

package main

import (
	"fmt"
	"testing"

	"grayscott/internal/testutil"
)

// TestKilledWindowRunOpensInEveryReader kills --window runs (both
// engines, compressed or not) at a random moment: as for headless runs,
// the file opens in plain h5py and h5dump, holds the uninterrupted run's
// images, and resumes (headless) to it.
func TestKilledWindowRunOpensInEveryReader(t *testing.T) {
	testutil.RequireDisplay(t)
	rng := seededRand(t)
	for _, c := range []struct{ base, extra []string }{
		{nil, []string{"--window", "--flush-every", "2"}},
		{cpuKillArgs, append([]string{"--window", "--flush-every", "1", "--compression-level", "1"}, cpuKillArgs...)},
	} {
		for trial := 0; !killTrial(t, fmt.Sprintf("window trial %d %v", trial, c.extra), c.base, c.extra, rng); trial++ {
			if trial == 2 {
				t.Fatalf("%v: no run could be killed in the middle in 3 trials", c.extra)
			}
		}
	}
}
