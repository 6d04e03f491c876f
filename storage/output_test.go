package storage

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	if err := CheckOutput(filepath.Join(dir, "missing", "x.h5"), false); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing folder: %v", err)
	}
	if err := CheckOutput(dir, true); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("folder as output: %v", err)
	}
	// /proc refuses new files even for root: a real read-only place.
	if err := CheckOutput("/proc/grayscott.h5", false); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("/proc: %v", err)
	}
	if err := CheckOutput(filepath.Join(dir, "ok.h5"), false); err != nil {
		t.Errorf("writable folder: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("CheckOutput left files behind: %v", entries)
	}
}
