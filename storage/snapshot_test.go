package storage

import (
	"context"
	"fmt"
	"testing"
	"time"

	"grayscott/internal/testutil"
)

// sendNumbered sends one image whose cells all hold v, with a checkpoint
// when withU.
func sendNumbered[S Sink](tb testing.TB, w *Writer[S], v float32, withU bool) {
	tb.Helper()
	f, err := w.Frame(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for i := range f {
		f[i] = v
	}
	if !withU {
		err = w.Send(f)
	} else {
		u, uerr := w.StateFrame(context.Background())
		if uerr != nil {
			tb.Fatal(uerr)
		}
		err = w.SendState(f, u, int64(v))
	}
	if err != nil {
		tb.Fatal(err)
	}
}

// TestSnapshotCopiesOnlyWhatWasAskedFor: the writer copies an image only
// after a Request (the next image, once), and while watched the images
// that carry a checkpoint; after Unwatch nothing. Indices count the images
// the sink held when it opened.
func TestSnapshotCopiesOnlyWhatWasAskedFor(t *testing.T) {
	for _, c := range []struct{ bufferLen, workers int }{{0, 0}, {1, 0}, {2, 2}} {
		snap := NewSnapshot()
		opts := WriterOptions{BufferLen: c.bufferLen, Workers: c.workers, Checkpoints: true, Snapshot: snap}
		var sink Sink = &resumedSink{frames: 10}
		if c.workers > 0 {
			sink = &chunkSink{}
		}
		w, err := StartWriter(func() (Sink, error) { return sink, nil }, NewPool(opts.PoolSize(), 6), opts)
		if err != nil {
			t.Fatal(err)
		}
		first := sink.Frames()
		var log []string
		// sync waits until the writer has stored every image sent, then
		// notes what the snapshot holds.
		sync := func(what string) {
			done := make(chan struct{})
			w.Do(func(Sink) error { close(done); return nil })
			testutil.WithDeadline(t, 10*time.Second, func() { <-done })
			frame, i := snap.Read(nil)
			if i < 0 {
				log = append(log, what+": none")
				return
			}
			log = append(log, fmt.Sprintf("%s: image %d holding %v", what, i-first, frame[len(frame)-1]))
		}
		sendNumbered(t, w, 0, false)
		sync("unwatched")
		snap.Request()
		sendNumbered(t, w, 1, false)
		sendNumbered(t, w, 2, false)
		sync("asked")
		sendNumbered(t, w, 3, true)
		sendNumbered(t, w, 4, false)
		sync("watched, a checkpoint")
		snap.Request()
		sendNumbered(t, w, 5, false)
		sync("asked again")
		snap.Unwatch()
		sendNumbered(t, w, 6, true)
		sync("unwatched, a checkpoint")
		if _, err := w.Close(true, ""); err != nil {
			t.Fatal(err)
		}
		const want = "[unwatched: none asked: image 1 holding 1 watched, a checkpoint: image 3 holding 3 " +
			"asked again: image 5 holding 5 unwatched, a checkpoint: image 5 holding 5]"
		if got := fmt.Sprint(log); got != want {
			t.Errorf("%+v:\n got %s\nwant %s", c, got, want)
		}
	}
}

// resumedSink is a raw sink that held frames images when opened (a
// resumed file).
type resumedSink struct {
	memSink
	frames int
}

func (s *resumedSink) Frames() int { return s.frames }

// TestSnapshotCostsNoAllocation: unwatched, and watched once its copy is
// made, a snapshot adds no allocation to an image's way through the
// writer.
func TestSnapshotCostsNoAllocation(t *testing.T) {
	for _, watched := range []bool{false, true} {
		snap := NewSnapshot()
		opts := WriterOptions{BufferLen: 1, Snapshot: snap}
		w, err := StartWriter(func() (Sink, error) { return &discardSink{}, nil }, NewPool(opts.PoolSize(), 64), opts)
		if err != nil {
			t.Fatal(err)
		}
		if watched {
			snap.Request()
			sendNumbered(t, w, 1, false) // the copy's buffer is made once
		}
		n := testing.AllocsPerRun(500, func() {
			if watched {
				snap.Request()
			}
			sendNumbered(t, w, 2, false)
		})
		w.Close(true, "")
		if n != 0 {
			t.Errorf("watched %v: %v allocations per image", watched, n)
		}
	}
}
