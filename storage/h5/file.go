// Package h5 is the HDF5 file format of grayscott runs, the course's
// layout: /matrix, float32 [images, rows, cols], one chunk per image,
// extendible along images so a stopped run leaves exactly the images it
// wrote; root attributes describe the run (sim.Fields names the model's);
// /checkpoint holds the state a run resumes from.
//
// A *File is a storage.Sink, ChunkSink, Checkpointer and AttrSetter: the
// storage.Writer drives it from one goroutine locked to an OS thread. The
// cgo shim (shim.h, one C file per HDF5 API) fills what gonum.org/v1/hdf5
// lacks; no HDF5 handle appears in an exported signature.
package h5

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"gonum.org/v1/hdf5"

	"grayscott/sim"
	"grayscott/storage"
)

// Dataset is the name of the image dataset, as in the course.
const Dataset = "matrix"

// ParamAttrs returns the model's parameters as root attributes (one per
// sim.Fields entry, named after the course's flags), then the initial
// condition and what an image is.
func ParamAttrs(p sim.Params) []storage.Attr {
	var attrs []storage.Attr
	for _, f := range sim.Fields {
		v := f.Get(&p)
		if b, ok := v.(sim.Boundary); ok {
			v = b.String()
		}
		attrs = append(attrs, storage.Attr{Name: f.Attr, Value: v})
	}
	r0, r1, c0, c1 := sim.SeedBounds(p.Rows, p.Cols)
	return append(attrs,
		storage.Attr{Name: "initial_condition", Value: fmt.Sprintf("u=1 v=0, except u=0 v=1 in rows [%d,%d) cols [%d,%d)", r0, r1, c0, c1)},
		storage.Attr{Name: "image_definition", Value: "image i is V after (i+1)*nbextrastep steps"},
	)
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
	dset       int64 // /matrix, opened without a chunk cache; 0 when not open
	rows, cols int
	frames     int
	memspace   *hdf5.Dataspace
	level      int
	syncer     *os.File // a descriptor of the same file, for fsync
	reserve    *os.File // see makeReserve
	nextSlot   int      // checkpoint slot written next
	closed     bool
}

// Create makes the file at path with an empty /matrix for p's grid and
// writes p and extra as root attributes, plus hdf5_version, created,
// frames_written (0) and completed (false).
func Create(path string, p sim.Params, extra []storage.Attr, opts Options) (_ *File, err error) {
	if opts.CompressionLevel < 0 || opts.CompressionLevel > 9 {
		return nil, fmt.Errorf("h5: compression level %d: want 0..9", opts.CompressionLevel)
	}
	quiet()
	mode := hdf5.F_ACC_EXCL
	if opts.Force {
		mode = hdf5.F_ACC_TRUNC
	}
	hf, err := hdf5.CreateFile(path, mode)
	if err != nil {
		if _, serr := os.Stat(path); serr == nil && !opts.Force {
			return nil, fmt.Errorf("h5: %s exists (use --force to overwrite)", path)
		}
		return nil, hdf5Err(err, "creating %s", path)
	}
	f := &File{path: path, file: hf, rows: p.Rows, cols: p.Cols, level: opts.CompressionLevel}
	defer func() {
		if err != nil {
			f.closeHandles()
		}
	}()
	if err := f.createDataset(opts.CompressionLevel); err != nil {
		return nil, err
	}
	if f.root, err = hf.OpenGroup("/"); err != nil {
		return nil, hdf5Err(err, "opening / of %s", path)
	}
	attrs := append(ParamAttrs(p), extra...)
	attrs = append(attrs,
		storage.Attr{Name: "compression_level", Value: opts.CompressionLevel},
		storage.Attr{Name: "hdf5_version", Value: Version()},
		storage.Attr{Name: "created", Value: time.Now().UTC().Format(time.RFC3339)},
		storage.Attr{Name: "frames_written", Value: 0},
		storage.Attr{Name: "completed", Value: false},
	)
	if err := f.SetAttrs(attrs...); err != nil {
		return nil, err
	}
	if f.memspace, err = hdf5.CreateSimpleDataspace([]uint{1, uint(p.Rows), uint(p.Cols)}, nil); err != nil {
		return nil, hdf5Err(err, "memory dataspace")
	}
	if f.syncer, err = openSyncer(path); err != nil {
		return nil, err
	}
	f.makeReserve()
	// On disk at once: a run killed before its first flush still leaves a
	// file that opens, with its parameters and no images.
	if err := f.Flush(); err != nil {
		return nil, err
	}
	return f, nil
}

func openSyncer(path string) (*os.File, error) {
	s, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("h5: opening %s for fsync: %w", path, err)
	}
	return s, nil
}

func (f *File) createDataset(level int) error {
	space, err := hdf5.CreateSimpleDataspace(
		[]uint{0, uint(f.rows), uint(f.cols)}, []uint{unlimited, uint(f.rows), uint(f.cols)})
	if err != nil {
		return hdf5Err(err, "dataspace for /%s", Dataset)
	}
	defer space.Close()
	dcpl, err := hdf5.NewPropList(hdf5.P_DATASET_CREATE)
	if err != nil {
		return hdf5Err(err, "dataset properties")
	}
	defer dcpl.Close()
	if err := dcpl.SetChunk([]uint{1, uint(f.rows), uint(f.cols)}); err != nil {
		return hdf5Err(err, "chunk 1×%d×%d", f.rows, f.cols)
	}
	if level > 0 {
		// Shuffle first: grouping the floats' bytes makes deflate far more effective.
		if err := setShuffle(dcpl.ID()); err != nil {
			return err
		}
		if err := dcpl.SetDeflate(level); err != nil {
			return hdf5Err(err, "deflate level %d", level)
		}
	}
	d, err := f.file.CreateDatasetWith(Dataset, hdf5.T_NATIVE_FLOAT, space, dcpl)
	if err != nil {
		return hdf5Err(err, "creating /%s in %s", Dataset, f.path)
	}
	d.Close()
	f.dset, err = openDataset(f.file.ID(), Dataset)
	return err
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// Frames returns how many images have been written.
func (f *File) Frames() int { return f.frames }

// SetAttrs writes (or overwrites) root attributes.
func (f *File) SetAttrs(attrs ...storage.Attr) error {
	quiet()
	for _, a := range attrs {
		if err := writeAttr(f.root.ID(), a.Name, a.Value); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	return nil
}

// DeleteAttrs removes root attributes; missing ones are no error.
func (f *File) DeleteAttrs(names ...string) error {
	quiet()
	for _, n := range names {
		if err := deleteAttr(f.root.ID(), n); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	return nil
}

// WriteFrame appends one image (rows·cols floats, row-major) through
// HDF5's filter pipeline (in-line deflate when compressing). frame is not
// retained.
func (f *File) WriteFrame(frame []float32) error {
	quiet()
	if len(frame) != f.rows*f.cols {
		return fmt.Errorf("h5: image of %d floats, grid has %d cells", len(frame), f.rows*f.cols)
	}
	if err := f.checkSpace(4 * len(frame)); err != nil {
		return f.failed(err)
	}
	if err := appendFrame(f.dset, f.memspace.ID(), f.frames, f.rows, f.cols, frame); err != nil {
		return f.failed(err)
	}
	f.frames++
	return nil
}

// CompressionLevel returns the deflate level the file was made with (0: none).
func (f *File) CompressionLevel() int { return f.level }

// Encodes reports whether images are compressed: then the Writer encodes
// chunks on its workers (NewEncoder) and stores them with WriteChunk.
func (f *File) Encodes() bool { return f.level > 0 }

// NewEncoder returns an encoder of this file's chunks: shuffle and deflate
// at its level, byte for byte what HDF5's own filters write.
func (f *File) NewEncoder() storage.Encoder { return newEncoder(f.level, f.rows*f.cols) }

// WriteChunk appends one image given as its stored chunk: for a compressed
// file, the shuffled and deflated bytes (see encoder); for a raw file, the
// frame's bytes. chunk is not retained.
func (f *File) WriteChunk(chunk []byte) error {
	quiet()
	if err := f.checkSpace(len(chunk)); err != nil {
		return f.failed(err)
	}
	if err := appendChunk(f.dset, f.frames, f.rows, f.cols, chunk); err != nil {
		return f.failed(err)
	}
	f.frames++
	return nil
}

// failed handles a write that failed, perhaps for want of space: the
// reserve is given back to the file system so that closing the file, which
// writes its metadata, can still succeed. It returns err naming the file.
func (f *File) failed(err error) error {
	f.releaseReserve()
	// A failed append rolls /matrix back to the images written; should the
	// rollback itself have failed for want of the space just given back,
	// set the extent again.
	if f.dset > 0 {
		if setExtent(f.dset, f.frames, f.rows, f.cols) != nil {
			clearErrors()
		}
	}
	return fmt.Errorf("%w (%s)", err, f.path)
}

// spaceMargin is kept free beyond an image's bytes for the metadata that
// goes with it (chunk index, attributes at the next flush).
const spaceMargin = 64 << 10

// checkSpace fails, before the file is touched, when the disk has no room
// for bytes more plus the margin: a write that HDF5 starts and the disk
// cuts short can leave a compressed image half recorded (an extent one
// image past what was written, the image reading as zeros).
func (f *File) checkSpace(bytes int) error {
	if free := storage.FreeBytes(f.path); free >= 0 && free < int64(bytes)+spaceMargin {
		return fmt.Errorf("h5: writing image %d: %w (%d bytes free, %d needed)", f.frames, syscall.ENOSPC, free, int64(bytes)+spaceMargin)
	}
	return nil
}

// reserveBytes is held on the output's file system for the whole run and
// given back when a write fails: room for HDF5 to write the metadata that
// makes the file readable, even when the disk is full.
const reserveBytes = 256 << 10

// makeReserve claims reserveBytes next to path in a file that is unlinked
// at once: no trace is left, whatever happens to the process.
func (f *File) makeReserve() {
	r, err := os.CreateTemp(filepath.Dir(f.path), ".grayscott-reserve-*")
	if err != nil {
		return // best effort: without it a full disk may cost the metadata
	}
	os.Remove(r.Name())
	if err := syscall.Fallocate(int(r.Fd()), 0, 0, reserveBytes); err != nil {
		r.Close()
		return
	}
	f.reserve = r
}

func (f *File) releaseReserve() {
	if f.reserve != nil {
		f.reserve.Close()
		f.reserve = nil
	}
}

// Flush records frames_written, writes HDF5's buffers and metadata to the
// operating system and fsyncs the file: after Flush returns, the images
// written so far survive a crash of the process or the machine.
func (f *File) Flush() error {
	quiet()
	if err := f.SetAttrs(storage.Attr{Name: "frames_written", Value: f.frames}); err != nil {
		return err
	}
	if err := flush(f.file.ID()); err != nil {
		return f.failed(err)
	}
	if err := f.syncer.Sync(); err != nil {
		return f.failed(fmt.Errorf("h5: fsync: %w", err))
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
	quiet()
	attrs := []storage.Attr{{Name: "frames_written", Value: f.frames}, {Name: "completed", Value: completed}}
	if !completed {
		attrs = append(attrs, storage.Attr{Name: "stop_reason", Value: reason})
	}
	err := f.SetAttrs(attrs...)
	if completed && err == nil {
		// A resumed run that completes leaves no earlier stop behind.
		err = deleteAttr(f.root.ID(), "stop_reason")
	}
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
			first = hdf5Err(err, "closing %s of %s", what, f.path)
		}
	}
	if f.memspace != nil {
		keep(f.memspace.Close(), "memory dataspace")
	}
	if f.dset > 0 {
		keep(closeDataset(f.dset), "/"+Dataset)
		f.dset = 0
	}
	if f.root != nil {
		keep(f.root.Close(), "root group")
	}
	keep(f.file.Close(), "file")
	f.releaseReserve()
	if f.syncer != nil {
		// What close handed to the operating system reaches the disk too.
		keep(f.syncer.Sync(), "file (fsync)")
		keep(f.syncer.Close(), "fsync descriptor")
	}
	return first
}
