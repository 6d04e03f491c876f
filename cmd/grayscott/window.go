//go:build !nowindow

package main

import (
	"errors"
	"log/slog"

	"grayscott/gpu/window/preview"
)

// errWindowClosed is the stop when the user closes the preview window
// before the last image: a clean stop (exit status 0).
var errWindowClosed = preview.ErrClosed

// openViewer opens the preview window (--window).
func openViewer(cfg *runConfig, log *slog.Logger) (viewer, error) {
	v, err := preview.Open(cfg.pipe.Params, preview.Options{StepsPerDraw: cfg.stepsPerDraw, Screenshot: cfg.screenshot,
		Preset: cfg.preset, Changes: cfg.interactions, Debug: cfg.verbose, Log: log})
	if errors.Is(err, preview.ErrNoDisplay) {
		return nil, usagef("--window: %v", err)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
