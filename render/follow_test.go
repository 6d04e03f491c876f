package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/hdf5"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage/h5/h5test"
)

// smallFile writes n images of 8×8 (image i holds i everywhere), closed
// as completed or stopped for reason; neither, a run that is killed or
// still going.
func smallFile(t *testing.T, n int, completed bool, reason string) string {
	t.Helper()
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 8, 8, 10
	v := make([][]float32, n)
	for i := range v {
		v[i] = slices.Repeat([]float32{float32(i)}, 64)
	}
	return h5test.File(t, "run.h5", p, v, completed, reason)
}

// follow runs f.Follow within 20 s, recording the images drawn.
func follow(t *testing.T, f *Follower, ctx context.Context, in, out string) (Followed, []int, error) {
	t.Helper()
	var drawn []int
	f.Drawn = func(i int) { drawn = append(drawn, i) }
	var fd Followed
	var err error
	testutil.WithDeadline(t, 20*time.Second, func() { fd, err = f.Follow(ctx, in, out) })
	return fd, drawn, err
}

// TestFollowEnded: a file whose run has ended is drawn once, its last
// image as Render draws it, and Follow says how the run ended.
func TestFollowEnded(t *testing.T) {
	for _, c := range []struct {
		in     string
		ended  string
		images int
	}{
		{h5test.ReferenceFile(t, 3), "completed", 3},
		{smallFile(t, 2, false, "interrupted: by a test"), "stopped (interrupted: by a test)", 2},
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "last.png")
		f := &Follower{Renderer: Renderer{Scale: 2}, Interval: time.Millisecond}
		fd, drawn, err := follow(t, f, context.Background(), c.in, out)
		if err != nil || fd.Status.Ended() != c.ended || fd.Status.Images != c.images || fd.Shown != c.images-1 ||
			!slices.Equal(drawn, []int{c.images - 1}) {
			t.Errorf("%s: %+v, drew %v, %v; want %s with %d images, the last drawn once", c.in, fd, drawn, err, c.ended, c.images)
		}
		want := filepath.Join(dir, "want.png")
		if _, err := f.Render(openFile(t, c.in), []int{c.images - 1}, want); err != nil {
			t.Fatal(err)
		}
		if ok, where := testutil.SamePixels(testutil.DecodePNG(t, out), testutil.DecodePNG(t, want), 0); !ok {
			t.Errorf("%s: the PNG is not the last image as Render draws it: differs at %s", c.in, where)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"last.png", "want.png"}) {
			t.Errorf("%s: the folder holds %v: a temporary file left behind?", c.in, names)
		}
	}
}

// TestFollowWaitsForTheImagesCounted: a file that says its run completed
// with more images than a reader sees is not ended yet; if it stays so,
// Follow gives up after its patience and says why.
func TestFollowWaitsForTheImagesCounted(t *testing.T) {
	in := smallFile(t, 2, true, "")
	f, err := hdf5.OpenFile(in, hdf5.F_ACC_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	root, err := f.OpenGroup("/")
	if err != nil {
		t.Fatal(err)
	}
	a, err := root.OpenAttribute("frames_written")
	if err != nil {
		t.Fatal(err)
	}
	five := int64(5)
	err = errors.Join(a.Write(&five, hdf5.T_NATIVE_INT64), a.Close(), root.Close(), f.Close())
	if err != nil {
		t.Fatal(err)
	}
	fl := &Follower{Interval: time.Millisecond, Patience: 100 * time.Millisecond}
	start := time.Now()
	fd, drawn, err := follow(t, fl, context.Background(), in, filepath.Join(t.TempDir(), "last.png"))
	if err == nil || !strings.HasSuffix(err.Error(), ": 2 of 5 images visible so far (for 100ms)") {
		t.Errorf("a file short of the images it counts: %v", err)
	}
	if time.Since(start) < fl.Patience || !slices.Equal(drawn, []int{1}) || fd.Shown != 1 {
		t.Errorf("gave up after %v, having drawn %v (%+v); want the patience waited and image 1 drawn", time.Since(start), drawn, fd)
	}
}

// TestFollowFailures: an unreadable file is retried for the patience; a
// PNG that cannot be written ends Follow at once.
func TestFollowFailures(t *testing.T) {
	dir := t.TempDir()
	damaged := filepath.Join(dir, "damaged.h5")
	if err := os.WriteFile(damaged, []byte("not HDF5"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &Follower{Interval: time.Millisecond, Patience: 50 * time.Millisecond}
	start := time.Now()
	_, _, err := follow(t, f, context.Background(), damaged, filepath.Join(dir, "last.png"))
	if err == nil || !strings.Contains(err.Error(), "damaged.h5") || !strings.HasSuffix(err.Error(), " (for 50ms)") || time.Since(start) < f.Patience {
		t.Errorf("an unreadable file: %v after %v", err, time.Since(start))
	}
	f.Patience = time.Hour
	_, _, err = follow(t, f, context.Background(), smallFile(t, 1, true, ""), filepath.Join(dir, "missing", "last.png"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "missing", ".last.png.tmp")) {
		t.Errorf("a PNG in a missing folder: %v", err)
	}
}

// TestFollowEndsOnAKilledRun: a file whose run neither completed nor
// stopped, which no run holds any more, is a killed run's: Follow ends.
func TestFollowEndsOnAKilledRun(t *testing.T) {
	f := &Follower{Interval: time.Millisecond}
	testutil.WithDeadline(t, 20*time.Second, func() {
		fd, drawn, err := follow(t, f, context.Background(), smallFile(t, 3, false, ""), filepath.Join(t.TempDir(), "last.png"))
		if err != nil || fd.Shown != 2 || !slices.Equal(drawn, []int{2}) || !strings.HasPrefix(fd.Status.Ended(), "killed") {
			t.Errorf("%+v, drew %v, %v; want image 2 drawn once and the run seen killed", fd, drawn, err)
		}
	})
}

// TestFollowWaitsForTheFile: a file not created yet is waited for, past
// the patience, until the context is done; once it appears it is drawn.
func TestFollowWaitsForTheFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "later.h5")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	f := &Follower{Interval: time.Millisecond, Patience: 10 * time.Millisecond}
	fd, drawn, err := follow(t, f, ctx, in, filepath.Join(dir, "last.png"))
	if !errors.Is(err, context.DeadlineExceeded) || fd.Shown != -1 || len(drawn) != 0 {
		t.Errorf("no file yet: %+v, drew %v, %v; want the context's error and nothing drawn", fd, drawn, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fd, drawn, err = follow(t, f, context.Background(), in, filepath.Join(dir, "last.png"))
	}()
	time.Sleep(30 * time.Millisecond)
	if err := os.Rename(smallFile(t, 2, true, ""), in); err != nil {
		t.Fatal(err)
	}
	testutil.WithDeadline(t, 20*time.Second, func() { <-done })
	if err != nil || fd.Status.Ended() != "completed" || !slices.Equal(drawn, []int{1}) {
		t.Errorf("once created: %+v, drew %v, %v", fd, drawn, err)
	}
}
