package render

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"grayscott/storage/h5"
)

// A Follower redraws one PNG with the newest image of a file while a run
// writes it, until the run ends (grayscott render --follow).
type Follower struct {
	// Renderer paints the images; its zero Range maps each image's own
	// min and max. Its FPS is not used.
	Renderer
	// Interval is how often Follow looks for a new image; 0 means a second.
	Interval time.Duration
	// Patience is how long the file may stay unreadable before Follow
	// gives up: a run holds it outside SWMR for a moment at its end, and
	// a reader may see the attributes of a run's end before the images
	// they count. 0 means 30 s.
	Patience time.Duration
	// Drawn, when not nil, is called each time the PNG shows a new image,
	// with its index (on Follow's goroutine, between two looks).
	Drawn func(i int)
}

// Followed is what Follow saw last.
type Followed struct {
	// Status is the file's status at its last reading; Status.Ended()
	// says how the run ended.
	Status h5.Status
	// Shown is the image the PNG shows, -1 for none.
	Shown int
}

// Follow polls the file in every f.Interval: it opens it afresh (a new
// view of the root attributes as well as of /matrix), draws the newest
// image to out when there is a new one, and returns once the file's
// status says that its run ended (h5.Status.Ended): at once for a file
// that is not written any more. The PNG is written beside out and renamed
// over it, so that a viewer never sees half a picture. A file that does
// not exist yet is waited for (a run will create it). Follow gives up on
// a file that stays unreadable for f.Patience, at once on a failure to
// write the PNG, and when ctx is done.
func (f *Follower) Follow(ctx context.Context, in, out string) (Followed, error) {
	fd := Followed{Shown: -1}
	patience := cmp.Or(f.Patience, 30*time.Second)
	var failingSince time.Time
	for {
		st, err := f.poll(in, out, &fd.Shown)
		_, statErr := os.Stat(in)
		switch we := (writeError{}); {
		case errors.As(err, &we):
			return fd, we.error
		case errors.Is(statErr, os.ErrNotExist): // not created yet: no patience runs out
		case err != nil:
			if failingSince.IsZero() {
				failingSince = time.Now()
			}
			if time.Since(failingSince) > patience {
				return fd, fmt.Errorf("%w (for %v)", err, patience.Round(time.Millisecond))
			}
		default:
			failingSince = time.Time{}
			fd.Status = st
			if st.Ended() != "" {
				return fd, nil
			}
		}
		select {
		case <-ctx.Done():
			return fd, ctx.Err()
		case <-time.After(cmp.Or(f.Interval, time.Second)):
		}
	}
}

// poll reads the file once, shows its newest image if it is not the one
// shown already, and returns its status.
func (f *Follower) poll(in, out string, shown *int) (h5.Status, error) {
	r, err := h5.Open(in)
	if err != nil {
		return h5.Status{}, err
	}
	defer r.Close()
	if n, _, _ := r.Shape(); n > 0 && n-1 != *shown {
		if err := f.show(r, n-1, out); err != nil {
			return h5.Status{}, err
		}
		*shown = n - 1
		if f.Drawn != nil {
			f.Drawn(n - 1)
		}
	}
	st, err := r.Status()
	if err != nil {
		return st, err
	}
	// Not an end yet, but a state that must pass within the patience.
	if st.Run && st.Images < st.FramesWritten {
		return st, fmt.Errorf("%s: %d of %d images visible so far", in, st.Images, st.FramesWritten)
	}
	return st, nil
}

// show draws image i of r to a temporary file beside out, then renames it
// over out.
func (f *Follower) show(r *h5.Reader, i int, out string) error {
	_, rows, cols := r.Shape()
	buf := make([]float32, rows*cols)
	rng, err := f.rangeOf(r, []int{i}, buf)
	if err != nil {
		return err
	}
	img := f.newImage(rows, cols, rng)
	if err := f.draw(img, r, i, buf, rng); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp")
	if err := WritePNG(tmp, img); err != nil {
		os.Remove(tmp)
		return writeError{err}
	}
	if err := os.Rename(tmp, out); err != nil {
		return writeError{err}
	}
	return nil
}

// writeError is a failure to write the PNG: Follow stops at once (only
// reading the file is retried).
type writeError struct{ error }

func (e writeError) Unwrap() error { return e.error }
