package main

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"time"

	"grayscott/colormap"
	"grayscott/storage/h5"
)

// follower is "grayscott render --follow": it redraws one PNG with the
// newest image of a file a run is writing, until the run ends.
type follower struct {
	in, out   string
	cmap      *colormap.Map
	scale     int
	rangeSpec string
	interval  time.Duration
	log       io.Writer // progress lines; nil when quiet

	// failFor is how long the file may stay unreadable (a run holds it
	// outside SWMR for a moment at its end) before follow gives up.
	failFor time.Duration
}

// run polls the file every interval: it reopens it (a fresh view of the
// root attributes as well as of /matrix), draws the newest image when
// there is a new one, and returns once the file says its run completed or
// stopped. The PNG is written beside out and renamed over it, so a viewer
// never sees half a picture.
func (fl *follower) run() error {
	drawn := -1
	failFor := cmp.Or(fl.failFor, 30*time.Second)
	var failingSince time.Time
	for {
		n, ended, err := fl.poll(&drawn)
		if we := (writeError{}); errors.As(err, &we) {
			return fmt.Errorf("render --follow: %w", err)
		}
		if err != nil {
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			if time.Since(failingSince) > failFor {
				return fmt.Errorf("render --follow: %w (for %v)", err, failFor.Round(time.Second))
			}
		} else {
			failingSince = time.Time{}
		}
		if ended != "" {
			if fl.log != nil {
				fmt.Fprintf(fl.log, "%s: %s with %d images; %s shows image %d\n", fl.in, ended, n, fl.out, drawn)
			}
			return nil
		}
		time.Sleep(fl.interval)
	}
}

// poll reads the file once, draws its newest image if it is not the one
// drawn already, and says how the run ended ("" while it runs).
func (fl *follower) poll(drawn *int) (n int, ended string, err error) {
	r, err := h5.Open(fl.in)
	if err != nil {
		return 0, "", err
	}
	defer r.Close()
	n, rows, cols := r.Shape()
	if n > 0 && n-1 != *drawn {
		if err := fl.draw(r, n-1, rows, cols); err != nil {
			return n, "", err
		}
		*drawn = n - 1
		if fl.log != nil {
			fmt.Fprintf(fl.log, "%s: image %d\n", fl.out, n-1)
		}
	}
	// The run's end counts only once its last images show: a reader may
	// see the attributes of the end before the images they count.
	if fw, err := r.Int("frames_written"); err == nil && int64(n) < fw {
		return n, "", fmt.Errorf("%s: %d of %d images visible so far", fl.in, n, fw)
	}
	if c, err := r.Int("completed"); err != nil {
		// Not a grayscott file (the course's tools write no attributes,
		// nor SWMR): it does not change while we look.
		return n, "ended (a file without run attributes)", nil
	} else if c != 0 {
		return n, "completed", nil
	}
	if reason, err := r.String("stop_reason"); err == nil && reason != "" {
		return n, "stopped (" + reason + ")", nil
	}
	return n, "", nil
}

// draw renders image i to a temporary file beside fl.out, then renames it
// over fl.out.
func (fl *follower) draw(r *h5.Reader, i, rows, cols int) error {
	buf := make([]float32, rows*cols)
	lo, hi, err := valueRange(fl.rangeSpec, r, []int{i}, buf)
	if err != nil {
		return err
	}
	if err := r.ReadFrame(i, buf); err != nil {
		return err
	}
	img := image.NewPaletted(image.Rect(0, 0, cols*fl.scale, rows*fl.scale), fl.cmap.Palette())
	paint(img, buf, rows, cols, fl.scale, lo, hi)
	tmp := filepath.Join(filepath.Dir(fl.out), "."+filepath.Base(fl.out)+".tmp")
	if err := writePNG(tmp, img); err != nil {
		os.Remove(tmp)
		return writeError{err}
	}
	if err := os.Rename(tmp, fl.out); err != nil {
		return writeError{err}
	}
	return nil
}

// writeError is a failure to write the PNG: follow stops at once (only
// reading the file is retried).
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }
