package sweep

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Marker is what a point's task records in state/: while it runs
// (pNNN.running) and when it failed (pNNN.failed).
type Marker struct {
	Host   string `json:"host"`
	PID    int    `json:"pid"`                 // the run's process (the task's own until the run starts)
	Job    string `json:"slurm_job,omitempty"` // SLURM_JOB_ID_SLURM_ARRAY_TASK_ID
	Reason string `json:"reason,omitempty"`
}

// markerPath returns the path of point i's marker of the kind ("running"
// or "failed").
func markerPath(dir string, i int, kind string) string {
	return filepath.Join(dir, "state", fmt.Sprintf("p%03d.%s", i, kind))
}

// writeMarker records a marker atomically.
func writeMarker(dir string, i int, kind string, mk Marker) error {
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(mk)
	return writeAtomic(markerPath(dir, i, kind), b)
}

// readMarker reads point i's marker of the kind; ok is false when there is
// none.
func readMarker(dir string, i int, kind string) (mk Marker, ok bool) {
	b, err := os.ReadFile(markerPath(dir, i, kind))
	if err != nil {
		return Marker{}, false
	}
	if json.Unmarshal(b, &mk) != nil {
		return Marker{Reason: "unreadable marker"}, true
	}
	return mk, true
}

// removeMarker deletes point i's marker of the kind, if any.
func removeMarker(dir string, i int, kind string) error {
	err := os.Remove(markerPath(dir, i, kind))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
