package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"grayscott/gpu"
	"grayscott/gpu/gpuconf"
)

// tuningEntry is the fastest step kernel and work group that grayscott
// bench measured on one device at one grid size.
type tuningEntry struct {
	Renderer        string  `json:"gl_renderer"`
	GLVersion       string  `json:"gl_version"`
	Size            int     `json:"size"`
	Kernel          string  `json:"kernel"`
	Workgroup       string  `json:"workgroup"`
	CellUpdatesPerS float64 `json:"cell_updates_per_s"`
	Date            string  `json:"date"`
}

// loadTuning reads the entries of the tuning file at path (--tuning);
// none when it is missing or unreadable, with the reason when there is a
// file that cannot be used.
func loadTuning(path string) ([]tuningEntry, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var entries []tuningEntry
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("%s: not grayscott bench's tuning file: %w", path, err)
	}
	return entries, nil
}

// bestTuning returns the entry for renderer whose grid size is closest (in
// cells, on a log scale) to a grid of cells.
func bestTuning(entries []tuningEntry, renderer string, cells int) (tuningEntry, bool) {
	var best tuningEntry
	bestDist := math.Inf(1)
	for _, e := range entries {
		if e.Renderer != renderer {
			continue
		}
		if d := math.Abs(math.Log(float64(e.Size*e.Size)) - math.Log(float64(cells))); d < bestDist {
			best, bestDist = e, d
		}
	}
	return best, !math.IsInf(bestDist, 1)
}

// saveTuning replaces, in the tuning file at path, the entries of the same
// renderer and sizes.
func saveTuning(path string, fresh []tuningEntry) error {
	old, _ := loadTuning(path) // a damaged file is replaced
	entries := slices.DeleteFunc(old, func(e tuningEntry) bool {
		return slices.ContainsFunc(fresh, func(f tuningEntry) bool { return f.Renderer == e.Renderer && f.Size == e.Size })
	})
	entries = append(entries, fresh...)
	b, _ := json.MarshalIndent(entries, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// resolveTuning fills in --kernel auto and --workgroup auto: the measured
// best on this device for the nearest grid size, else naive and 16x16. It
// returns a line saying what was chosen and why.
func resolveTuning(cfg *runConfig, renderer string) string {
	autoKernel, autoWG := cfg.kernel == "" || cfg.kernel == "auto", cfg.workGroup == (gpu.WorkGroup{})
	if !autoKernel && !autoWG {
		return ""
	}
	entries, err := loadTuning(cfg.tuning)
	e, ok := bestTuning(entries, renderer, cfg.pipe.Params.Cells())
	why := "defaults: no grayscott bench measurements for this device"
	switch {
	case ok:
		why = fmt.Sprintf("measured best here at %d² by grayscott bench on %s", e.Size, e.Date)
	case cfg.tuning == "":
		why = "defaults: --tuning none"
	case err != nil:
		why = "defaults: " + err.Error()
	}
	if autoKernel {
		cfg.kernel = gpu.DefaultKernel
		if ok {
			cfg.kernel = e.Kernel
		}
	}
	if autoWG {
		cfg.workGroup = gpu.DefaultWorkGroup
		if ok {
			if wg, err := gpuconf.ParseWorkGroup(e.Workgroup); err == nil {
				cfg.workGroup = wg
			}
		}
	}
	return fmt.Sprintf("kernel %s, work group %s (%s)", cfg.kernel, cfg.workGroup, why)
}
