//go:build nowindow

// Package preview drives a run with the preview window; this build
// (-tags nowindow) has none: Open fails and nothing links X11.
package preview

import (
	"context"
	"errors"

	"grayscott/engine"
	"grayscott/gpu"
	"grayscott/pipeline"
	"grayscott/sim"
)

// ErrNoDisplay is never returned without a window.
var ErrNoDisplay = errors.New("preview: no display")

// Viewer is an open preview window; this build never has one.
type Viewer struct{}

// Open fails: this build has no window.
func Open(sim.Params, Options) (*Viewer, error) { return nil, ErrNoWindow }

// Context is nil: there is no window.
func (*Viewer) Context() *gpu.Context { return nil }

// Run does nothing.
func (*Viewer) Run(context.Context, *pipeline.Pipeline, engine.Engine) (stop, err error) {
	return nil, nil
}

// Close does nothing.
func (*Viewer) Close() {}
