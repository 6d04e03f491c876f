package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// CheckOutput reports, without touching an existing file, why path cannot be
// created: its folder is missing or not writable, or the file exists and
// force is false. It probes the folder by creating and removing a file, so
// read-only mounts are caught even for root.
func CheckOutput(path string, force bool) error {
	if path == "" {
		return errors.New("empty file name")
	}
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s does not exist", dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s is a folder", path)
		}
		if !force {
			return fmt.Errorf("%s exists (use --force to overwrite)", path)
		}
	}
	probe, err := os.CreateTemp(dir, ".grayscott-probe-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable: %v", dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// FreeBytes returns the space available to this user in path's folder,
// or -1 when it cannot be told.
func FreeBytes(path string) int64 {
	var st syscall.Statfs_t
	if syscall.Statfs(filepath.Dir(path), &st) != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
