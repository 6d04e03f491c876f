package pipeline

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5/h5test"
)

// expectedWithRates is expected for a run whose F and k change to feed,
// kill after the first `at` images, stepped here with the reference model.
func expectedWithRates(p sim.Params, at int, feed, kill float32) [][]float32 {
	ref := sim.NewReference(p, sim.InitialState(p.Rows, p.Cols))
	out := make([][]float32, p.Images)
	for i := range out {
		if i == at {
			q := p
			q.Feed, q.Kill = feed, kill
			ref = sim.NewReference(q, ref.State())
		}
		ref.Step(p.StepsPerImage)
		out[i] = append([]float32(nil), ref.State().V...)
	}
	return out
}

// TestRatesChangeAndResume changes F and k during a run (a window's
// preset), stops it two images later, and resumes the file with a fresh
// engine at the flags' rates: the resumed run continues with the rates in
// force at its checkpoint, and every image equals the reference model
// stepped with the change.
func TestRatesChangeAndResume(t *testing.T) {
	p := testParams(19, 23, 9, 15, sim.Periodic)
	const at, stopAt = 3, 5
	feed, kill := float32(0.03), float32(0.06)
	want := expectedWithRates(p, at, feed, kill)
	for _, slots := range []int{1, 2} {
		path := filepath.Join(t.TempDir(), "rates.h5")
		cfg := Config{Params: p, Output: path, BufferLen: 1, FlushEvery: 1}
		pl, err := New(newRefSource(p, slots), cfg, OpenHDF5)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		testutil.WithDeadline(t, time.Minute, func() {
			if err := pl.Advance(ctx, at*p.StepsPerImage); err != nil {
				t.Fatal(err)
			}
			if err := pl.SetRates(feed, kill); err != nil {
				t.Fatal(err)
			}
			if f, k := pl.Rates(); f != feed || k != kill {
				t.Errorf("Rates() = %g, %g after SetRates(%g, %g)", f, k, feed, kill)
			}
			if err := pl.Advance(ctx, (stopAt-at)*p.StepsPerImage); err != nil {
				t.Fatal(err)
			}
		})
		if _, err := pl.Close(nil); err != nil {
			t.Fatal(err)
		}
		testutil.SameImages(t, "before the stop", h5test.ReadImages(t, path), want[:stopAt])

		cfg.Resume = true
		pl, err = New(newRefSource(p, slots), cfg, OpenHDF5)
		if err != nil {
			t.Fatal(err)
		}
		if f, k := pl.Rates(); f != feed || k != kill {
			t.Errorf("slots %d: resumed with F %g k %g, want the checkpoint's %g, %g", slots, f, k, feed, kill)
		}
		testutil.WithDeadline(t, time.Minute, func() { pl.Run(ctx) })
		if _, err := pl.Close(nil); err != nil {
			t.Fatal(err)
		}
		testutil.SameImages(t, "resumed", h5test.ReadImages(t, path), want)
	}
}

// TestRecordReachesTheFileAtOnce: an attribute recorded during a run is in
// the file before the run ends (a reader in another process sees it), so
// a crash keeps it.
func TestRecordReachesTheFileAtOnce(t *testing.T) {
	testutil.RequireH5py(t)
	p := testParams(16, 16, 1000, 5, sim.Periodic)
	path := filepath.Join(t.TempDir(), "record.h5")
	pl, err := New(newRefSource(p, 2), Config{Params: p, Output: path, BufferLen: 2,
		Attrs: []storage.Attr{{Name: "interactive_changes", Value: ""}}}, OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	defer pl.Close(nil)
	ctx := context.Background()
	if err := pl.Advance(ctx, 3*p.StepsPerImage); err != nil {
		t.Fatal(err)
	}
	const note = "image 3: preset solitons (F 0.03, k 0.062)"
	if err := pl.Record(storage.Attr{Name: "interactive_changes", Value: note}); err != nil {
		t.Fatal(err)
	}
	read := `import h5py, sys
f = h5py.File(sys.argv[1], "r", swmr=True)
v = f.attrs["interactive_changes"]
print(v.decode() if isinstance(v, bytes) else v)`
	var got string
	for deadline := time.Now().Add(20 * time.Second); ; {
		out, err := exec.Command("/usr/bin/python3", "-c", read, path).CombinedOutput()
		got = strings.TrimSpace(string(out))
		if err == nil && got == note {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s after Record, a reader sees %q (%v), want %q", got, err, note)
		}
		if err := pl.Advance(ctx, p.StepsPerImage); err != nil { // the run goes on meanwhile
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pl.Delivered() >= p.Images {
		t.Fatal("the run ended before the check")
	}
}
