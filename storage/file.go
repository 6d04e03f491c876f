// Package storage writes simulation frames to HDF5 in the course's layout:
// /matrix, float32 [images, rows, cols], one chunk per image, extendible
// along images so a stopped run leaves exactly the images it wrote; root
// attributes describe the run.
package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/hdf5"

	"grayscott/sim"
)

// Dataset is the name of the image dataset, as in the course.
const Dataset = "matrix"

// Attr is one root attribute. Value is a float32, int, int64, bool (stored
// as 0/1) or string.
type Attr struct {
	Name  string
	Value any
}

// ParamAttrs returns the model's parameters as root attributes, named
// after the course's flags.
func ParamAttrs(p sim.Params) []Attr {
	r0, r1, c0, c1 := sim.SeedBounds(p.Rows, p.Cols)
	return []Attr{
		{"nbrow", p.Rows}, {"nbcol", p.Cols},
		{"nbimage", p.Images}, {"nbextrastep", p.StepsPerImage},
		{"feedrate", p.Feed}, {"killrate", p.Kill}, {"deltat", p.DeltaT},
		{"du", p.DiffU}, {"dv", p.DiffV},
		{"boundary", p.Boundary.String()},
		{"initial_condition", fmt.Sprintf("u=1 v=0, except u=0 v=1 in rows [%d,%d) cols [%d,%d)", r0, r1, c0, c1)},
		{"image_definition", "image i is V after (i+1)*nbextrastep steps"},
	}
}

// Options tune file creation.
type Options struct {
	// CompressionLevel 0 stores raw chunks; 1..9 applies shuffle + deflate.
	CompressionLevel int
	// Force overwrites an existing file.
	Force bool
}

// File is an open output file. It is not safe for concurrent use; HDF5
// calls are best kept on one goroutine (see Writer).
type File struct {
	path       string
	file       *hdf5.File
	root       *hdf5.Group
	dset       *hdf5.Dataset
	rows, cols int
	frames     int
	memspace   *hdf5.Dataspace
	closed     bool
}

// CheckOutput reports, without touching an existing file, why path cannot be
// created: its folder is missing or not writable, or the file exists and
// force is false. It probes the folder by creating and removing a file, so
// read-only mounts are caught even for root.
func CheckOutput(path string, force bool) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder %s does not exist", dir)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a folder", dir)
	}
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s is a folder", path)
		}
		if !force {
			return fmt.Errorf("%s exists (use --force to overwrite)", path)
		}
	}
	probe, err := os.CreateTemp(dir, ".grayscott-probe-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable: %v", dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// Create makes the file at path with an empty /matrix for p's grid and
// writes p and extra as root attributes, plus hdf5_version, created,
// frames_written (0) and completed (false).
func Create(path string, p sim.Params, extra []Attr, opts Options) (_ *File, err error) {
	if opts.CompressionLevel < 0 || opts.CompressionLevel > 9 {
		return nil, fmt.Errorf("storage: compression level %d: want 0..9", opts.CompressionLevel)
	}
	mode := hdf5.F_ACC_EXCL
	if opts.Force {
		mode = hdf5.F_ACC_TRUNC
	}
	hf, err := hdf5.CreateFile(path, mode)
	if err != nil {
		if _, serr := os.Stat(path); serr == nil && !opts.Force {
			return nil, fmt.Errorf("storage: %s exists (use --force to overwrite)", path)
		}
		return nil, fmt.Errorf("storage: creating %s: %w", path, err)
	}
	f := &File{path: path, file: hf, rows: p.Rows, cols: p.Cols}
	defer func() {
		if err != nil {
			f.closeHandles()
		}
	}()
	if err := f.createDataset(opts.CompressionLevel); err != nil {
		return nil, err
	}
	if f.root, err = hf.OpenGroup("/"); err != nil {
		return nil, fmt.Errorf("storage: opening / of %s: %w", path, err)
	}
	attrs := append(ParamAttrs(p), extra...)
	attrs = append(attrs,
		Attr{"compression_level", opts.CompressionLevel},
		Attr{"hdf5_version", HDF5Version()},
		Attr{"created", time.Now().UTC().Format(time.RFC3339)},
		Attr{"frames_written", 0},
		Attr{"completed", false},
	)
	if err := f.SetAttrs(attrs...); err != nil {
		return nil, err
	}
	if f.memspace, err = hdf5.CreateSimpleDataspace([]uint{1, uint(p.Rows), uint(p.Cols)}, nil); err != nil {
		return nil, fmt.Errorf("storage: memory dataspace: %w", err)
	}
	return f, nil
}

func (f *File) createDataset(level int) error {
	space, err := hdf5.CreateSimpleDataspace(
		[]uint{0, uint(f.rows), uint(f.cols)}, []uint{unlimited, uint(f.rows), uint(f.cols)})
	if err != nil {
		return fmt.Errorf("storage: dataspace for /%s: %w", Dataset, err)
	}
	defer space.Close()
	dcpl, err := hdf5.NewPropList(hdf5.P_DATASET_CREATE)
	if err != nil {
		return fmt.Errorf("storage: dataset properties: %w", err)
	}
	defer dcpl.Close()
	if err := dcpl.SetChunk([]uint{1, uint(f.rows), uint(f.cols)}); err != nil {
		return fmt.Errorf("storage: chunk 1×%d×%d: %w", f.rows, f.cols, err)
	}
	if level > 0 {
		// Shuffle first: grouping the floats' bytes makes deflate far more effective.
		if err := setShuffle(dcpl.ID()); err != nil {
			return err
		}
		if err := dcpl.SetDeflate(level); err != nil {
			return fmt.Errorf("storage: deflate level %d: %w", level, err)
		}
	}
	if f.dset, err = f.file.CreateDatasetWith(Dataset, hdf5.T_NATIVE_FLOAT, space, dcpl); err != nil {
		return fmt.Errorf("storage: creating /%s in %s: %w", Dataset, f.path, err)
	}
	return nil
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// Frames returns how many images have been written.
func (f *File) Frames() int { return f.frames }

// SetAttrs writes (or overwrites) root attributes.
func (f *File) SetAttrs(attrs ...Attr) error {
	for _, a := range attrs {
		if err := writeAttr(f.root.ID(), a.Name, a.Value); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	return nil
}

// WriteFrame appends one image (rows·cols floats, row-major). frame is not
// retained.
func (f *File) WriteFrame(frame []float32) error {
	if len(frame) != f.rows*f.cols {
		return fmt.Errorf("storage: image of %d floats, grid has %d cells", len(frame), f.rows*f.cols)
	}
	n := f.frames
	if err := setExtent(f.dset.ID(), n+1, f.rows, f.cols); err != nil {
		return fmt.Errorf("%w (%s)", err, f.path)
	}
	filespace := f.dset.Space()
	defer filespace.Close()
	if err := filespace.SelectHyperslab([]uint{uint(n), 0, 0}, nil, []uint{1, uint(f.rows), uint(f.cols)}, nil); err != nil {
		return fmt.Errorf("storage: selecting image %d in %s: %w", n, f.path, err)
	}
	if err := f.dset.WriteSubset(&frame[0], f.memspace, filespace); err != nil {
		return fmt.Errorf("storage: writing image %d to %s: %w", n, f.path, err)
	}
	f.frames++
	return nil
}

// Flush asks HDF5 to write its buffers and metadata to the operating system.
func (f *File) Flush() error {
	if err := f.SetAttrs(Attr{"frames_written", f.frames}); err != nil {
		return err
	}
	if err := flush(f.file.ID()); err != nil {
		return fmt.Errorf("%w (%s)", err, f.path)
	}
	return nil
}

// Close records frames_written, completed and, when not completed, reason;
// then closes the file. It returns the first error; the handles are
// released whatever happens. Close is idempotent.
func (f *File) Close(completed bool, reason string) error {
	if f.closed {
		return nil
	}
	attrs := []Attr{{"frames_written", f.frames}, {"completed", completed}}
	if !completed {
		attrs = append(attrs, Attr{"stop_reason", reason})
	}
	err := f.SetAttrs(attrs...)
	if cerr := f.closeHandles(); err == nil {
		err = cerr
	}
	return err
}

func (f *File) closeHandles() error {
	f.closed = true
	var first error
	keep := func(err error, what string) {
		if err != nil && first == nil {
			first = fmt.Errorf("storage: closing %s of %s: %w", what, f.path, err)
		}
	}
	if f.memspace != nil {
		keep(f.memspace.Close(), "memory dataspace")
	}
	if f.dset != nil {
		keep(f.dset.Close(), "/"+Dataset)
	}
	if f.root != nil {
		keep(f.root.Close(), "root group")
	}
	keep(f.file.Close(), "file")
	return first
}
