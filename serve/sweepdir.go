package serve

// This file is the only one here that knows a sweep's folder as grayscott
// sweep writes it: the manifest (sweep.json: the axes, the points and
// their files) and the markers a point's task leaves in state/. When the
// sweep engine becomes a package of its own, these few functions call it
// instead.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"grayscott/storage/h5"
)

// sweepDir is a sweep's folder: its axes and points, from the manifest.
type sweepDir struct {
	dir    string
	axes   []sweepAxis
	points []sweepPoint
}

type sweepAxis struct {
	Flag   string   `json:"flag"`
	Values []string `json:"values"`
}

type sweepPoint struct {
	Index  int      `json:"index"`
	Values []string `json:"values"` // one per axis
	File   string   `json:"file"`   // relative to the folder
}

// readSweepDir reads dir's manifest.
func readSweepDir(dir string) (*sweepDir, error) {
	path := filepath.Join(dir, "sweep.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no sweep (no sweep.json)", dir)
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Axes   []sweepAxis  `json:"axes"`
		Points []sweepPoint `json:"points"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(m.Axes) == 0 || len(m.Points) == 0 {
		return nil, fmt.Errorf("%s: not a grayscott sweep manifest (%d axes, %d points)", path, len(m.Axes), len(m.Points))
	}
	return &sweepDir{dir: dir, axes: m.Axes, points: m.Points}, nil
}

// label names point i by its values: "feedrate 0.03, killrate 0.06".
func (d *sweepDir) label(i int) string {
	var parts []string
	for j, a := range d.axes {
		parts = append(parts, a.Flag+" "+d.points[i].Values[j])
	}
	return strings.Join(parts, ", ")
}

// path is point i's file.
func (d *sweepDir) path(i int) string { return filepath.Join(d.dir, d.points[i].File) }

// layout places the points on the mosaic's grid as grayscott sweep's
// mosaic.png does: a column per value of the last axis, a row per
// combination of the others (the points are their Cartesian product, the
// first axis outermost), with the labels of both.
func (d *sweepDir) layout() (rows, cols int, rowLabels, colLabels []string) {
	last := d.axes[len(d.axes)-1]
	cols = len(last.Values)
	rows = (len(d.points) + cols - 1) / cols
	for r := range rows {
		var parts []string
		for j, a := range d.axes[:len(d.axes)-1] {
			parts = append(parts, a.Flag+" "+d.points[r*cols].Values[j])
		}
		rowLabels = append(rowLabels, strings.Join(parts, ", "))
	}
	for _, v := range last.Values {
		colLabels = append(colLabels, last.Flag+" "+v)
	}
	return rows, cols, rowLabels, colLabels
}

// pointState says what state point i is in, as grayscott sweep --status
// does from the same files: done when its file is completed; failed or
// running when its task left that marker; pending without a file;
// interrupted otherwise (a stopped or killed run, resumed by running the
// sweep again). hs and err are its file's h5.Status and the error reading
// it (os.ErrNotExist when there is no file).
func (d *sweepDir) pointState(i int, hs h5.Status, err error) (state, detail string) {
	marker := func(kind string) (string, bool) {
		b, err := os.ReadFile(filepath.Join(d.dir, "state", fmt.Sprintf("p%03d.%s", i, kind)))
		if err != nil {
			return "", false
		}
		var m struct {
			Reason string `json:"reason"`
		}
		json.Unmarshal(b, &m)
		return m.Reason, true
	}
	if err == nil && hs.Completed {
		return "done", ""
	}
	if reason, ok := marker("failed"); ok {
		return "failed", reason
	}
	if _, ok := marker("running"); ok {
		return "running", ""
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "pending", ""
	case err != nil:
		return "interrupted", err.Error()
	}
	return "interrupted", hs.StopReason
}
