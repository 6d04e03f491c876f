package h5

import (
	"fmt"
	"syscall"

	"gonum.org/v1/hdf5"

	"grayscott/sim"
	"grayscott/storage"
)

// Reader reads images from a file in the course's layout (ours or the
// course's own, which has /matrix and no attributes).
type Reader struct {
	path               string
	file               *hdf5.File
	dset               *hdf5.Dataset
	images, rows, cols int
	memspace           *hdf5.Dataspace
	matrix             *images
}

// swmrRead is H5F_ACC_SWMR_READ, which gonum does not name.
const swmrRead = 0x0040

// Open opens path read-only, with SWMR where the file's format has it: a
// run may be writing the file (Refresh then shows its newest images), or
// may have been killed while writing it.
func Open(path string) (_ *Reader, err error) {
	quiet()
	syscall.ForkLock.RLock()
	hf, err := hdf5.OpenFile(path, hdf5.F_ACC_RDONLY|swmrRead)
	if err != nil {
		// A file in a format older than HDF5 1.10's has no SWMR.
		errorDetail()
		hf, err = hdf5.OpenFile(path, hdf5.F_ACC_RDONLY)
	}
	if err == nil {
		noInherit(hf.ID())
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, hdf5Err(err, "opening %s", path)
	}
	r := &Reader{path: path, file: hf}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if r.dset, err = hf.OpenDataset(Dataset); err != nil {
		return nil, hdf5Err(err, "%s has no /%s dataset", path, Dataset)
	}
	space := r.dset.Space()
	dims, _, err := space.SimpleExtentDims()
	space.Close()
	if err != nil || len(dims) != 3 {
		return nil, fmt.Errorf("h5: /%s in %s is not 3-dimensional (dims %v)", Dataset, path, dims)
	}
	r.images, r.rows, r.cols = int(dims[0]), int(dims[1]), int(dims[2])
	if r.matrix, err = newImages(r.dset.ID(), r.rows, r.cols); err != nil {
		return nil, fmt.Errorf("%w in %s", err, path)
	}
	if r.memspace, err = hdf5.CreateSimpleDataspace([]uint{uint(r.rows * r.cols)}, nil); err != nil {
		return nil, hdf5Err(err, "memory dataspace")
	}
	return r, nil
}

// Shape returns images, rows, cols.
func (r *Reader) Shape() (images, rows, cols int) { return r.images, r.rows, r.cols }

// Refresh catches up with a run writing the file in SWMR mode: the images
// it has flushed since. It returns the number of images.
func (r *Reader) Refresh() (int, error) {
	quiet()
	if err := refresh(r.dset.ID()); err != nil {
		// A file opened without SWMR does not change under the reader.
		errorDetail()
		return r.images, nil
	}
	dims, err := datasetDims(r.dset.ID())
	if err != nil {
		return r.images, fmt.Errorf("%w in %s", err, r.path)
	}
	r.images = dims[0]
	return r.images, nil
}

// ReadFrame reads image i into dst (rows·cols floats), decoding
// bitshuffle chunks in process (no plugin needed). A chunk that does not
// decode is an error naming the image.
func (r *Reader) ReadFrame(i int, dst []float32) error {
	if i < 0 || i >= r.images {
		return fmt.Errorf("h5: image %d out of range [0,%d) in %s", i, r.images, r.path)
	}
	if len(dst) != r.rows*r.cols {
		return fmt.Errorf("h5: reading into %d floats, images have %d", len(dst), r.rows*r.cols)
	}
	if r.matrix.bitshuffle {
		if err := r.matrix.read(i, dst); err != nil {
			return fmt.Errorf("%w in %s", err, r.path)
		}
		return nil
	}
	fs := r.dset.Space()
	defer fs.Close()
	if err := fs.SelectHyperslab([]uint{uint(i), 0, 0}, nil, []uint{1, uint(r.rows), uint(r.cols)}, nil); err != nil {
		return hdf5Err(err, "selecting image %d of %s", i, r.path)
	}
	if err := r.dset.ReadSubset(&dst[0], r.memspace, fs); err != nil {
		return hdf5Err(err, "reading image %d of %s", i, r.path)
	}
	return nil
}

// Int reads an integer root attribute.
func (r *Reader) Int(name string) (v int64, err error) {
	err = r.withRoot(func(root int64) error { v, err = readIntAttr(root, name); return err })
	return v, err
}

// Float reads a float32 root attribute.
func (r *Reader) Float(name string) (v float32, err error) {
	err = r.withRoot(func(root int64) error { v, err = readFloatAttr(root, name); return err })
	return v, err
}

// String reads a string root attribute.
func (r *Reader) String(name string) (v string, err error) {
	err = r.withRoot(func(root int64) error { v, err = readStringAttr(root, name); return err })
	return v, err
}

// Attrs returns the root attributes (scalars: integers, floats, strings).
// A file from the course's own tools has none.
func (r *Reader) Attrs() (attrs []storage.Attr, err error) {
	err = r.withRoot(func(root int64) error { attrs, err = readAttrs(root); return err })
	return attrs, err
}

// StoredBytes returns the bytes /matrix takes in the file (after compression).
func (r *Reader) StoredBytes() int64 { return storageSize(r.dset.ID()) }

// Checkpoint returns the step and image count of the file's newest valid
// checkpoint, or ok = false when it has none.
func (r *Reader) Checkpoint() (step int64, images int, ok bool) {
	ck, _, ok := readCheckpoint(r.file.ID(), r.matrix, r.rows, r.cols, r.images)
	if !ok {
		return 0, 0, false
	}
	return ck.Step, ck.Images, true
}

// Path returns the file's path.
func (r *Reader) Path() string { return r.path }

// Params reads the model parameters of a file written by grayscott.
func (r *Reader) Params() (p sim.Params, err error) {
	err = r.withRoot(func(root int64) error { p, err = readParams(root); return err })
	return p, err
}

// withRoot runs f on the root group, naming the file in f's error.
func (r *Reader) withRoot(f func(root int64) error) error {
	root, err := r.file.OpenGroup("/")
	if err != nil {
		return hdf5Err(err, "opening / of %s", r.path)
	}
	defer root.Close()
	if err := f(root.ID()); err != nil {
		return fmt.Errorf("%w in %s", err, r.path)
	}
	return nil
}

// Close releases the file.
func (r *Reader) Close() error {
	if r.memspace != nil {
		r.memspace.Close()
	}
	if r.dset != nil {
		r.dset.Close()
	}
	return r.file.Close()
}

// ReadImages reads every image of the file at path into memory: for small
// files (tests, scripts), where a slice per image is no burden.
func ReadImages(path string) ([][]float32, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := make([][]float32, r.images)
	for i := range out {
		out[i] = make([]float32, r.rows*r.cols)
		if err := r.ReadFrame(i, out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
