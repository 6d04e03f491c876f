//go:build nowindow

package main

import (
	"errors"
	"log/slog"
)

// errWindowClosed is never returned without a window.
var errWindowClosed = errors.New("the window was closed")

// This binary was built with -tags nowindow: no GLFW, no X11 libraries.
func openViewer(*runConfig, *slog.Logger) (viewer, error) {
	return nil, usagef("--window: this grayscott was built without a window (-tags nowindow); rebuild without the tag for the preview")
}
