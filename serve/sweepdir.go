package serve

// This file is the only one here that knows a sweep's folder: package
// sweep reads its manifest and decides each point's state, as grayscott
// sweep --status does.

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"grayscott/sweep"
)

// sweepDir is a sweep's folder: its axes, its points and their states.
type sweepDir struct {
	sw *sweep.Sweep
}

// readSweepDir reads dir's manifest.
func readSweepDir(dir string) (*sweepDir, error) {
	sw, err := sweep.Open(dir)
	if err != nil {
		return nil, err
	}
	return &sweepDir{sw}, nil
}

func (d *sweepDir) dir() string { return d.sw.Dir }

func (d *sweepDir) points() int { return len(d.sw.Manifest.Points) }

// label names point i by its values: "feedrate 0.03, killrate 0.06".
func (d *sweepDir) label(i int) string { return d.sw.Manifest.Describe(i) }

// path is point i's file.
func (d *sweepDir) path(i int) string { return filepath.Join(d.sw.Dir, d.sw.Manifest.Points[i].File) }

// layout places the points on the mosaic's grid as the sweep's mosaic.png
// does: a column per value of the last axis, a row per combination of the
// others (the points are their Cartesian product, the first axis
// outermost), with the labels of both.
func (d *sweepDir) layout() (rows, cols int, rowLabels, colLabels []string) {
	m := d.sw.Manifest
	last := m.Axes[len(m.Axes)-1]
	cols = len(last.Values)
	rows = (len(m.Points) + cols - 1) / cols
	for r := range rows {
		var parts []string
		for j, a := range m.Axes[:len(m.Axes)-1] {
			parts = append(parts, a.Flag+" "+m.Points[r*cols].Values[j])
		}
		rowLabels = append(rowLabels, strings.Join(parts, ", "))
	}
	for _, v := range last.Values {
		colLabels = append(colLabels, last.Flag+" "+v)
	}
	return rows, cols, rowLabels, colLabels
}

// states returns each point's state and detail, as --status says them:
// from its file, its markers and the batch queue of the sweep's jobs.
func (d *sweepDir) states() (states, details []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var q sweep.Queue
	if d.sw.Batch != nil {
		q, _ = d.sw.Batch.Queue(ctx, d.sw.Manifest.Jobs) // unknown: the files and markers say it alone
	}
	for i := range d.sw.Manifest.Points {
		st, detail := d.sw.Observe(i, q).State()
		states, details = append(states, string(st)), append(details, detail)
	}
	return states, details
}
