package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"grayscott/storage"
)

// faultFile is the fault-injection seam for tests of the built binary:
// with GRAYSCOTT_FAIL_WRITE_AT=K in the environment, writing image K
// (0-based, counted in this run) fails with EIO as a failing disk would.
type faultFile struct {
	*storage.File
	failAt, n int
}

func injectFaults(f *storage.File) storage.Sink {
	if f == nil {
		return nil
	}
	k, err := strconv.Atoi(os.Getenv("GRAYSCOTT_FAIL_WRITE_AT"))
	if err != nil || k < 0 {
		return f
	}
	return &faultFile{File: f, failAt: k}
}

func (f *faultFile) fault() error {
	defer func() { f.n++ }()
	if f.n == f.failAt {
		return fmt.Errorf("storage: writing image %d to %s: %w (injected)", f.Frames(), f.Path(), syscall.EIO)
	}
	return nil
}

func (f *faultFile) WriteFrame(frame []float32) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.File.WriteFrame(frame)
}

func (f *faultFile) WriteChunk(chunk []byte) error {
	if err := f.fault(); err != nil {
		return err
	}
	return f.File.WriteChunk(chunk)
}
