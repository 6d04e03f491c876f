package preview

import (
	"errors"
	"log/slog"
)

// ErrClosed is Run's stop when the user closes the window before the last
// image: a clean stop of the run.
var ErrClosed = errors.New("the window was closed")

// ErrNoWindow is Open's error in a build without the window (-tags
// nowindow).
var ErrNoWindow = errors.New("this grayscott was built without a window (-tags nowindow); rebuild without the tag for the preview")

// Options shape a preview.
type Options struct {
	// StepsPerDraw is the steps between draws; 0 adapts them to the
	// display's pace (a draw every 8–25 ms).
	StepsPerDraw int
	// Screenshot, when set, is where the last drawn frame goes at the end.
	Screenshot string
	// Preset is the run's preset (p cycles on from it); "" for -f and -k.
	Preset string
	// Changes is what a resumed file's interactive_changes hold: the log
	// goes on after it.
	Changes string
	// Debug asks for a GL debug context.
	Debug bool
	// Log receives screenshots' names and failures.
	Log *slog.Logger
}
