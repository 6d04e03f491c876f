package h5

import (
	"path/filepath"
	"testing"
)

// TestTornCheckpointFallsBack writes checkpoints after images 2 and 4, then
// overwrites the newer slot's U without its attributes (what a crash
// between the two writes leaves): Resume must detect it and use the older
// slot; with both torn, the initial state.
func TestTornCheckpointFallsBack(t *testing.T) {
	p := testParams(6, 5, 10)
	frames := randomFrames(5, p.Cells(), 11)
	us := randomFrames(5, p.Cells(), 12)
	path := filepath.Join(t.TempDir(), "ck.h5")
	f, err := Create(path, p, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		if err := f.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
		if i == 1 || i == 3 {
			if err := f.WriteCheckpoint(us[i], fr, int64(10*(i+1))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Close(false, "stopped"); err != nil {
		t.Fatal(err)
	}
	resume := func() *Checkpoint {
		t.Helper()
		f, _, ck, err := Resume(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Close(false, "test"); err != nil {
			t.Fatal(err)
		}
		return ck
	}
	// Resume truncates to the checkpoint: check the newest first on a copy
	// of the state by reading before tampering.
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	step, images, ok := r.Checkpoint()
	r.Close()
	if !ok || images != 4 || step != 40 {
		t.Fatalf("newest checkpoint: images %d step %d ok %v, want 4 40 true", images, step, ok)
	}
	tamper := func(slot string) {
		t.Helper()
		f, _, _, err := Resume(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := write2D(f.file, CheckpointGroup+"/"+slot, us[0]); err != nil {
			t.Fatal(err)
		}
		f.Close(false, "tampered")
	}
	tamper("u1") // the slot written after image 4
	ck := resume()
	if ck.Images != 2 || ck.Step != 20 || !equalBits(ck.State.U, us[1]) || !equalBits(ck.State.V, frames[1]) {
		t.Fatalf("with the newer slot torn: images %d step %d; want the older slot (2, 20)", ck.Images, ck.Step)
	}
	tamper("u0")
	if ck := resume(); ck.Images != 0 || ck.Step != 0 {
		t.Fatalf("with both slots torn: images %d step %d, want the initial state", ck.Images, ck.Step)
	}
}

// TestCheckpointKeepsItsRates: a checkpoint records the rates in force
// (SetRates) and Resume returns them; a checkpoint whose rates were torn
// from the rest (the newer slot's feedrate rewritten alone) fails its
// checksum and the older slot is used.
func TestCheckpointKeepsItsRates(t *testing.T) {
	p := testParams(6, 5, 10)
	frames := randomFrames(4, p.Cells(), 21)
	us := randomFrames(4, p.Cells(), 22)
	path := filepath.Join(t.TempDir(), "rates.h5")
	f, err := Create(path, p, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, fr := range frames {
		if i == 2 {
			f.SetRates(0.03, 0.06)
		}
		if err := f.WriteFrame(fr); err != nil {
			t.Fatal(err)
		}
		if err := f.WriteCheckpoint(us[i], fr, int64(10*(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(false, "stopped"); err != nil {
		t.Fatal(err)
	}
	f, _, ck, err := Resume(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Images != 4 || ck.Feed != 0.03 || ck.Kill != 0.06 {
		t.Fatalf("newest checkpoint: images %d, F %g k %g; want 4, 0.03, 0.06", ck.Images, ck.Feed, ck.Kill)
	}
	// Tear the newer slot (after image 4, slot u1): its feedrate alone.
	d, err := openDataset(f.file, CheckpointGroup+"/u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAttr(d, "feedrate", float32(0.05)); err != nil {
		t.Fatal(err)
	}
	closeDataset(d)
	f.Close(false, "tampered")
	f, _, ck, err = Resume(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close(false, "test")
	if ck.Images != 3 || ck.Feed != 0.03 || ck.Kill != 0.06 {
		t.Fatalf("with the newer slot's rate torn: images %d, F %g k %g; want the older slot (3, 0.03, 0.06)", ck.Images, ck.Feed, ck.Kill)
	}
}
