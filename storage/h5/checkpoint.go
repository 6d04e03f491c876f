package h5

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"unsafe"

	"grayscott/sim"
	"grayscott/storage"
)

// CheckpointGroup holds the states a run can resume from, in two slots
// written in turn, u0 and u1: float32 [rows, cols] datasets of U, each with
// attributes images (images of /matrix the state follows; V is
// /matrix[images-1], not stored twice, unless /matrix keeps fewer mantissa
// bits: then v0 and v1 hold V exactly beside U), step and crc. The CRC covers U, V,
// images and step, so a slot torn by a crash (its data, its attributes or
// the image it follows from different flushes) is detected at resume, and
// the other slot, one flush older, is used.
const CheckpointGroup = "checkpoint"

var (
	checkpointSlots = [2]string{"u0", "u1"}
	exactVSlots     = [2]string{"v0", "v1"} // V of the slot of the same index, in lossy files
)

// Checkpoint is a saved state.
type Checkpoint struct {
	State  *sim.State
	Step   int64
	Images int
	// Feed and Kill are the rates in force when the state was taken: the
	// file's own unless a window changed them (files of earlier versions:
	// the file's own).
	Feed, Kill float32
	hasRates   bool // Feed and Kill were read from the checkpoint
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkpointCRC is the checksum that ties a checkpoint's parts together:
// U, V, the image count, the step and, when rates is given (feed, kill),
// the rates in force. Checkpoints of earlier versions have none.
func checkpointCRC(u, v []float32, images int, step int64, rates ...float32) int64 {
	h := crc32.New(castagnoli)
	h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), 4*len(u)))
	h.Write(unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v)))
	var n [16]byte
	binary.LittleEndian.PutUint64(n[:8], uint64(images))
	binary.LittleEndian.PutUint64(n[8:], uint64(step))
	h.Write(n[:])
	for _, r := range rates {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(r))
		h.Write(b[:])
	}
	return int64(h.Sum32())
}

// WriteCheckpoint saves u, U after step steps, whose V is v, the last image
// written, into the older checkpoint slot. It is durable after the next Flush.
func (f *File) WriteCheckpoint(u, v []float32, step int64) error {
	if len(u) != f.rows*f.cols || len(v) != f.rows*f.cols {
		return fmt.Errorf("h5: checkpoint of %d and %d floats, grid has %d cells", len(u), len(v), f.rows*f.cols)
	}
	if f.frames == 0 {
		return fmt.Errorf("h5: a checkpoint follows an image; none is written yet")
	}
	name := checkpointSlots[f.nextSlot]
	if err := write2D(f.file, CheckpointGroup+"/"+name, u); err != nil {
		return f.failed(err)
	}
	if !f.comp.Lossless() {
		if err := write2D(f.file, CheckpointGroup+"/"+exactVSlots[f.nextSlot], v); err != nil {
			return f.failed(err)
		}
	}
	d, err := openDataset(f.file, CheckpointGroup+"/"+name)
	if err != nil {
		return f.failed(err)
	}
	defer closeDataset(d)
	quiet()
	// The checksum last: a checkpoint torn before it fails its check.
	for _, a := range []storage.Attr{{Name: "images", Value: f.frames}, {Name: "step", Value: step},
		{Name: "feedrate", Value: f.feed}, {Name: "killrate", Value: f.kill}, {Name: "crc", Value: checkpointCRC(u, v, f.frames, step, f.feed, f.kill)}} {
		if err := writeAttr(d, a.Name, a.Value); err != nil {
			return f.failed(err)
		}
	}
	f.nextSlot = 1 - f.nextSlot
	return nil
}

// readCheckpoint returns the newest checkpoint slot whose CRC matches, and
// its index; none when there is no valid slot. images bounds what /matrix
// holds; im reads its images.
func readCheckpoint(file int64, im *images, rows, cols, images int) (*Checkpoint, int, bool) {
	var best *Checkpoint
	bestSlot := -1
	for slot, name := range checkpointSlots {
		d, err := openDataset(file, CheckpointGroup+"/"+name)
		if err != nil {
			continue
		}
		n, err1 := readIntAttr(d, "images")
		step, err2 := readIntAttr(d, "step")
		crc, err3 := readIntAttr(d, "crc")
		feed, ferr := readFloatAttr(d, "feedrate")
		kill, kerr := readFloatAttr(d, "killrate")
		closeDataset(d)
		if err1 != nil || err2 != nil || err3 != nil || n < 1 || int(n) > images || (best != nil && int(n) <= best.Images) {
			continue
		}
		st := &sim.State{Rows: rows, Cols: cols, U: make([]float32, rows*cols), V: make([]float32, rows*cols)}
		if read2D(file, CheckpointGroup+"/"+name, st.U) != nil || readExactV(file, slot, im, int(n), st.V) != nil {
			continue
		}
		withRates := ferr == nil && kerr == nil && checkpointCRC(st.U, st.V, int(n), step, feed, kill) == crc
		if !withRates && checkpointCRC(st.U, st.V, int(n), step) != crc {
			continue // torn by a crash (or of an earlier version, which had no rates)
		}
		best, bestSlot = &Checkpoint{State: st, Step: step, Images: int(n)}, slot
		if withRates {
			best.Feed, best.Kill, best.hasRates = feed, kill, true
		}
	}
	quiet()
	return best, bestSlot, best != nil
}

// readExactV reads the V of a checkpoint that follows images images:
// exact beside U where /matrix rounds it, else /matrix's last image. (The
// checksum, of the exact V, rejects the rounded one.) It asks whether the
// exact V is there rather than trying to read it: HDF5 prints a failed
// call's error stack on a thread where nothing turned that off, and most
// files (the lossless ones) have none.
func readExactV(file int64, slot int, im *images, images int, dst []float32) error {
	if name := CheckpointGroup + "/" + exactVSlots[slot]; linkExists(file, name) {
		return read2D(file, name, dst)
	}
	return im.read(images-1, dst)
}

// readParams reads the model parameters (sim.Fields) from the root
// attributes of a file written by grayscott.
func readParams(root int64) (sim.Params, error) {
	var p sim.Params
	for _, f := range sim.Fields {
		var v any
		var err error
		switch f.Kind {
		case sim.IntKind:
			var n int64
			n, err = readIntAttr(root, f.Attr)
			v = int(n)
		case sim.Float32Kind:
			v, err = readFloatAttr(root, f.Attr)
		case sim.BoundaryKind:
			var s string
			if s, err = readStringAttr(root, f.Attr); err == nil {
				v, err = sim.ParseBoundary(s)
			}
		}
		if err != nil {
			return p, err
		}
		f.Set(&p, v)
	}
	return p, nil
}

// Resume opens a file written by grayscott for appending from its
// checkpoint: images written after the checkpoint are dropped (they will be
// computed again), and the returned File appends after the checkpoint's
// last image. A file whose run was killed in SWMR mode opens as it is (its
// status flags are cleared). It returns the parameters the file was made
// with. The file is not yet in SWMR mode (StartSWMR).
func Resume(path string) (_ *File, _ sim.Params, _ *Checkpoint, err error) {
	quiet()
	var p sim.Params
	// A file a run is writing would open: HDF5's lock no longer says so
	// in SWMR mode.
	if err := checkNoWriter(path); err != nil {
		return nil, p, nil, err
	}
	hf, err := openFile(path, true, false)
	if err != nil {
		return nil, p, nil, fmt.Errorf("%w to resume", err)
	}
	f := &File{path: path, file: hf}
	defer func() {
		if err != nil {
			f.closeHandles()
		}
	}()
	if f.root, err = openGroup(hf, "/"); err != nil {
		return nil, p, nil, fmt.Errorf("%w of %s", err, path)
	}
	if p, err = readParams(f.root); err != nil {
		return nil, p, nil, fmt.Errorf("%w: %s was not written by grayscott", err, path)
	}
	f.rows, f.cols = p.Rows, p.Cols
	if f.dset, err = openDataset(hf, Dataset); err != nil {
		return nil, p, nil, fmt.Errorf("%w in %s", err, path)
	}
	if f.comp, err = matrixCompression(f.dset, f.root); err != nil {
		return nil, p, nil, fmt.Errorf("%w in %s", err, path)
	}
	if err := f.comp.Validate(); err != nil {
		return nil, p, nil, fmt.Errorf("h5: %s: %v", path, err)
	}
	if f.images, err = newImages(f.dset, p.Rows, p.Cols); err != nil {
		return nil, p, nil, fmt.Errorf("%w in %s", err, path)
	}
	dims, err := datasetDims(f.dset)
	if err != nil || dims[1] != p.Rows || dims[2] != p.Cols {
		return nil, p, nil, fmt.Errorf("h5: /%s of %s has shape %v for a %d×%d grid", Dataset, path, dims, p.Rows, p.Cols)
	}
	// Without a valid checkpoint (stopped before its first one) the run
	// starts over from the initial state: every image is recomputed
	// identically.
	ck, slot, ok := readCheckpoint(hf, f.images, p.Rows, p.Cols, dims[0])
	if !ok {
		ck = &Checkpoint{State: sim.InitialState(p.Rows, p.Cols)}
	} else {
		f.nextSlot = 1 - slot // keep the valid slot until the next one is written
	}
	if !ck.hasRates { // none recorded: the file's own
		ck.Feed, ck.Kill = p.Feed, p.Kill
	}
	f.feed, f.kill = ck.Feed, ck.Kill
	// Images after the checkpoint are recomputed, identical, from its state.
	if err := setExtent(f.dset, ck.Images, p.Rows, p.Cols); err != nil {
		return nil, p, nil, err
	}
	f.frames = ck.Images
	if err := f.createSlots(); err != nil {
		return nil, p, nil, err
	}
	if f.mem, err = memspace(p.Rows, p.Cols); err != nil {
		return nil, p, nil, err
	}
	if f.syncer, err = openSyncer(path); err != nil {
		return nil, p, nil, err
	}
	f.makeReserve()
	if err := f.SetAttrs(storage.Attr{Name: "completed", Value: false}, storage.Attr{Name: "frames_written", Value: f.frames}); err != nil {
		return nil, p, nil, err
	}
	return f, p, ck, nil
}
