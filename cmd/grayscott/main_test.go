package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMain lets the test binary stand in for the grayscott binary: with
// GRAYSCOTT_BE_MAIN=1 it runs Main on its arguments, so signal and crash
// tests drive a real process without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("GRAYSCOTT_BE_MAIN") == "1" {
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	// Hermetic: no tuning from the user's own grayscott bench runs.
	os.Setenv("GRAYSCOTT_TUNING", filepath.Join(os.TempDir(), fmt.Sprintf("grayscott-test-tuning-%d.json", os.Getpid())))
	code := m.Run()
	os.Remove(os.Getenv("GRAYSCOTT_TUNING"))
	os.Exit(code)
}

// command returns the test binary set up to act as "grayscott args...".
func command(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GRAYSCOTT_BE_MAIN=1")
	return cmd
}
