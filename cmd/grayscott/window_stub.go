//go:build nowindow

package main

import (
	"errors"
	"log/slog"

	"grayscott/gpu"
)

// This binary was built with -tags nowindow: no GLFW, no X11 libraries.
func openViewer(*runConfig, *slog.Logger) (viewer, *gpu.Context, error) {
	return nil, nil, usagef("--window: this grayscott was built without a window (-tags nowindow); %v", errNoWindow)
}

var errNoWindow = errors.New("rebuild without the tag for the preview")
