package storage

import (
	"fmt"

	"gonum.org/v1/hdf5"

	"grayscott/sim"
)

// CheckpointGroup holds the state a run can resume from: dataset u
// (float32 [rows, cols]) and attributes step (simulation steps done) and
// images (images of /matrix that the state follows). V is the last of those
// images, /matrix[images-1], so it is not stored twice.
const CheckpointGroup = "checkpoint"

// Checkpoint is a saved state.
type Checkpoint struct {
	State  *sim.State
	Step   int64
	Images int
}

// WriteCheckpoint saves u, U after step steps, under /checkpoint; V of that
// state is the last image written. It is durable after the next Flush.
func (f *File) WriteCheckpoint(u []float32, step int64) error {
	if len(u) != f.rows*f.cols {
		return fmt.Errorf("storage: checkpoint of %d floats, grid has %d cells", len(u), f.rows*f.cols)
	}
	if f.frames == 0 {
		return fmt.Errorf("storage: a checkpoint follows an image; none is written yet")
	}
	if err := writeCheckpoint(f.file.ID(), f.rows, f.cols, u); err != nil {
		return f.failed(err)
	}
	g := openGroup(f.file.ID(), CheckpointGroup)
	if g < 0 {
		return fmt.Errorf("storage: /%s missing in %s after writing it", CheckpointGroup, f.path)
	}
	defer closeGroup(g)
	for _, a := range []Attr{{"step", step}, {"images", f.frames}} {
		if err := writeAttr(g, a.Name, a.Value); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	return nil
}

// ReadParams reads the model parameters from the root attributes of a file
// written by grayscott.
func ReadParams(root int64) (sim.Params, error) {
	var p sim.Params
	ints := []struct {
		name string
		dst  *int
	}{{"nbrow", &p.Rows}, {"nbcol", &p.Cols}, {"nbimage", &p.Images}, {"nbextrastep", &p.StepsPerImage}}
	for _, a := range ints {
		v, err := readIntAttr(root, a.name)
		if err != nil {
			return p, err
		}
		*a.dst = int(v)
	}
	floats := []struct {
		name string
		dst  *float32
	}{{"feedrate", &p.Feed}, {"killrate", &p.Kill}, {"deltat", &p.DeltaT}, {"du", &p.DiffU}, {"dv", &p.DiffV}}
	for _, a := range floats {
		v, err := readFloatAttr(root, a.name)
		if err != nil {
			return p, err
		}
		*a.dst = v
	}
	b, err := readStringAttr(root, "boundary")
	if err != nil {
		return p, err
	}
	if p.Boundary, err = sim.ParseBoundary(b); err != nil {
		return p, err
	}
	return p, nil
}

// Resume opens a file written by grayscott for appending from its
// checkpoint: images written after the checkpoint are dropped (they will be
// computed again), and the returned File appends after the checkpoint's
// last image. It returns the parameters the file was made with.
func Resume(path string) (_ *File, _ sim.Params, _ *Checkpoint, err error) {
	quiet()
	var p sim.Params
	hf, err := hdf5.OpenFile(path, hdf5.F_ACC_RDWR)
	if err != nil {
		return nil, p, nil, hdf5Err(err, "opening %s to resume", path)
	}
	f := &File{path: path, file: hf}
	defer func() {
		if err != nil {
			f.closeHandles()
		}
	}()
	if f.root, err = hf.OpenGroup("/"); err != nil {
		return nil, p, nil, hdf5Err(err, "opening / of %s", path)
	}
	if p, err = ReadParams(f.root.ID()); err != nil {
		return nil, p, nil, fmt.Errorf("%w: %s was not written by grayscott", err, path)
	}
	f.rows, f.cols = p.Rows, p.Cols
	if lvl, err := readIntAttr(f.root.ID(), "compression_level"); err == nil {
		f.level = int(lvl)
	}
	// Without a checkpoint (stopped before its first one) the run starts
	// over from the initial state: every image is recomputed identically.
	ck := &Checkpoint{State: sim.InitialState(p.Rows, p.Cols)}
	if g := openGroup(hf.ID(), CheckpointGroup); g >= 0 {
		step, err1 := readIntAttr(g, "step")
		images, err2 := readIntAttr(g, "images")
		closeGroup(g)
		if err1 != nil || err2 != nil {
			return nil, p, nil, fmt.Errorf("storage: /%s of %s lacks its step or images attribute", CheckpointGroup, path)
		}
		ck.Step, ck.Images = step, int(images)
		if err := read2D(hf.ID(), CheckpointGroup+"/u", ck.State.U); err != nil {
			return nil, p, nil, err
		}
	}
	if f.dset, err = openDataset(hf.ID(), Dataset); err != nil {
		return nil, p, nil, fmt.Errorf("%w in %s", err, path)
	}
	dims, err := datasetDims(f.dset)
	if err != nil || dims[1] != p.Rows || dims[2] != p.Cols || dims[0] < ck.Images {
		return nil, p, nil, fmt.Errorf("storage: /%s of %s has shape %v; its checkpoint follows image %d of a %d×%d grid",
			Dataset, path, dims, ck.Images, p.Rows, p.Cols)
	}
	if ck.Images > 0 {
		if err := readImage(f.dset, ck.Images-1, p.Rows, p.Cols, ck.State.V); err != nil {
			return nil, p, nil, fmt.Errorf("%w of %s (the checkpoint's V)", err, path)
		}
	}
	// Images after the checkpoint are recomputed, identical, from its state.
	if err := setExtent(f.dset, ck.Images, p.Rows, p.Cols); err != nil {
		return nil, p, nil, err
	}
	f.frames = ck.Images
	if f.memspace, err = hdf5.CreateSimpleDataspace([]uint{1, uint(p.Rows), uint(p.Cols)}, nil); err != nil {
		return nil, p, nil, hdf5Err(err, "memory dataspace")
	}
	if f.syncer, err = openSyncer(path); err != nil {
		return nil, p, nil, err
	}
	f.makeReserve()
	if err := f.SetAttrs(Attr{"completed", false}, Attr{"frames_written", f.frames}); err != nil {
		return nil, p, nil, err
	}
	return f, p, ck, nil
}
