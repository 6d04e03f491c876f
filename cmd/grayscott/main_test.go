package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"

	"grayscott/pipeline"
	"grayscott/storage/h5"
	"grayscott/storage/h5/guard"
)

// TestMain lets the test binary stand in for the grayscott binary: with
// GRAYSCOTT_BE_MAIN=1 it runs Main on its arguments, so signal and crash
// tests drive a real process without a separate build. There, and only
// there, GRAYSCOTT_FAIL_WRITE_AT=K makes the write of image K (0-based,
// counted in this run) fail with EIO as a failing disk would: the test
// seam is set here, in test code; the shipped binary reads no such thing.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == guard.Subcommand {
		// The guardian of a run made by this test binary (guard.Start runs
		// its own executable), whether the run is a child or runMain.
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	if os.Getenv("GRAYSCOTT_BE_MAIN") == "1" {
		// A child of the test: the parent's cache folder is in the environment.
		if k, err := strconv.Atoi(os.Getenv("GRAYSCOTT_FAIL_WRITE_AT")); err == nil && k >= 0 {
			openFile = func(cfg pipeline.Config) (pipeline.File, *h5.Checkpoint, error) {
				f, ck, err := pipeline.OpenHDF5(cfg)
				if err != nil {
					return nil, nil, err
				}
				return &faultFile{File: f, path: cfg.Output, failAt: k}, ck, nil
			}
		}
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	// Hermetic: no tuning from the user's own grayscott bench runs (the
	// default --tuning is in the user's cache folder).
	cache, err := os.MkdirTemp("", "grayscott-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", cache)
	code := m.Run()
	os.RemoveAll(cache)
	os.Exit(code)
}

// command returns the test binary set up to act as "grayscott args...".
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GRAYSCOTT_BE_MAIN=1")
	return cmd
}

// faultFile fails the write of image failAt (0-based, in this run) with EIO.
type faultFile struct {
	pipeline.File
	path      string
	failAt, n int
}

func (f *faultFile) fault() error {
	defer func() { f.n++ }()
	if f.n == f.failAt {
		return fmt.Errorf("h5: writing image %d to %s: %w (injected)", f.Frames(), f.path, syscall.EIO)
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
