package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"

	"grayscott/gpu/gpuconf"
)

// Tuning is the fastest step kernel and work group that grayscott bench
// measured on one device at one grid size: an entry of the tuning file.
type Tuning struct {
	Renderer        string  `json:"gl_renderer"`
	GLVersion       string  `json:"gl_version"`
	Size            int     `json:"size"`
	Kernel          string  `json:"kernel"`
	Workgroup       string  `json:"workgroup"`
	CellUpdatesPerS float64 `json:"cell_updates_per_s"`
	Date            string  `json:"date"`
}

// LoadTuning reads the entries of the tuning file at path: none when path
// is "" or the file is missing, an error naming the file when it cannot
// be used.
func LoadTuning(path string) ([]Tuning, error) {
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
	var entries []Tuning
	if err := json.Unmarshal(b, &entries); err != nil {
		return nil, fmt.Errorf("%s: not grayscott bench's tuning file: %w", path, err)
	}
	return entries, nil
}

// BestTuning returns the entry for renderer whose grid size is closest (in
// cells, on a log scale) to a grid of cells.
func BestTuning(entries []Tuning, renderer string, cells int) (Tuning, bool) {
	var best Tuning
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

// SaveTuning replaces, in the tuning file at path, the entries of the same
// renderer and sizes as fresh; a damaged file is replaced.
func SaveTuning(path string, fresh []Tuning) error {
	old, _ := LoadTuning(path)
	entries := slices.DeleteFunc(old, func(e Tuning) bool {
		return slices.ContainsFunc(fresh, func(f Tuning) bool { return f.Renderer == e.Renderer && f.Size == e.Size })
	})
	entries = append(entries, fresh...)
	b, _ := json.MarshalIndent(entries, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ResolveTuning fills in the kernel "" or "auto" and the zero work group
// with the best that the tuning file at path holds for renderer at the
// nearest grid size, else the defaults. why says what was chosen and why;
// it is "" when nothing was left to choose.
func ResolveTuning(kernel string, wg gpuconf.WorkGroup, path, renderer string, cells int) (string, gpuconf.WorkGroup, string) {
	autoKernel, autoWG := kernel == "" || kernel == "auto", wg == (gpuconf.WorkGroup{})
	if !autoKernel && !autoWG {
		return kernel, wg, ""
	}
	entries, err := LoadTuning(path)
	e, ok := BestTuning(entries, renderer, cells)
	why := "defaults: no grayscott bench measurements for this device"
	switch {
	case ok:
		why = fmt.Sprintf("measured best here at %d² by grayscott bench on %s", e.Size, e.Date)
	case path == "":
		why = "defaults: --tuning none"
	case err != nil:
		why = "defaults: " + err.Error()
	}
	if autoKernel {
		kernel = gpuconf.DefaultKernel
		if ok {
			kernel = e.Kernel
		}
	}
	if autoWG {
		wg = gpuconf.DefaultWorkGroup
		if best, err := gpuconf.ParseWorkGroup(e.Workgroup); ok && err == nil {
			wg = best
		}
	}
	return kernel, wg, fmt.Sprintf("kernel %s, work group %s (%s)", kernel, wg, why)
}
