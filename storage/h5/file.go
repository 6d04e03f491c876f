// Package h5 is the HDF5 file format of grayscott runs, the course's
// layout: /matrix, float32 [images, rows, cols], one chunk per image,
// extendible along images so a stopped run leaves exactly the images it
// wrote; root attributes describe the run (sim.Fields names the model's);
// /checkpoint holds the state a run resumes from.
//
// A *File is a storage.Sink: the storage.Writer drives it from one
// goroutine locked to an OS thread, which makes every call on it. The
// cgo shim (shim.h, one C file per HDF5 API) fills what gonum.org/v1/hdf5
// lacks; no HDF5 handle appears in an exported signature.
//
// Files are written in the HDF5 1.10 format and, once set up, in SWMR mode
// (single writer, multiple readers): a reader that opens the file with
// SWMR (h5py.File(path, "r", swmr=True), Open) sees the images of every
// flush while the run goes on, and can open it after a crash without
// h5clear; other readers refuse a file whose writer died until its mark
// is cleared (WriterMark, Recover; package guard does it after a run).
// A writer holds a lock of its own on the file from open to close (see
// lockWriter). SWMR lets the writer create nothing: every object and
// attribute a run updates exists before StartSWMR, and attributes set
// later are written when the file closes.
package h5

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/codec"
)

// Dataset is the name of the image dataset, as in the course.
const Dataset = "matrix"

var _ storage.Sink = (*File)(nil)

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
	// Compression is how /matrix stores images; the zero value stores
	// them raw.
	Compression storage.Compression
	// Force overwrites an existing file.
	Force bool
}

// File is an open output file. It is not safe for concurrent use; HDF5
// calls are best kept on one goroutine (see Writer).
type File struct {
	path       string
	file       int64 // the HDF5 file
	root       int64 // "/"
	dset       int64 // /matrix, opened without a chunk cache; 0 when not open
	mem        int64 // the memory dataspace of one image
	rows, cols int
	frames     int
	comp       storage.Compression
	// The synchronous path's encoding (WriteFrame): V rounded to the kept
	// bits, and the bitshuffle encoder; made on first use.
	rounded []float32
	enc     storage.Encoder
	// images reads /matrix back (a checkpoint's V).
	images     *images
	syncer     *os.File // a descriptor of the same file, for fsync
	reserve    *os.File // see makeReserve
	nextSlot   int      // checkpoint slot written next
	feed, kill float32  // the rates in force (SetRates), saved with each checkpoint
	swmr       bool     // in SWMR writing mode
	// Attribute changes SWMR mode cannot make (new attributes, deletions),
	// made when the file closes.
	later   []storage.Attr
	deletes []string
	closed  bool
}

// Create makes the file at path with an empty /matrix for p's grid and
// empty checkpoint slots, and writes p and extra as root attributes, plus
// hdf5_version, created, frames_written (0) and completed (false). The file
// is not yet in SWMR mode (StartSWMR).
func Create(path string, p sim.Params, extra []storage.Attr, opts Options) (_ *File, err error) {
	comp := opts.Compression.Normal()
	if err := comp.Validate(); err != nil {
		return nil, fmt.Errorf("h5: %v", err)
	}
	quiet()
	if opts.Force {
		// Not over a file a run is writing (HDF5's lock no longer says so).
		if err := checkNoWriter(path); err != nil {
			return nil, err
		}
	}
	hf, err := createFile(path, opts.Force)
	if err != nil {
		if _, serr := os.Stat(path); serr == nil && !opts.Force {
			return nil, fmt.Errorf("h5: %s exists (use --force to overwrite)", path)
		}
		return nil, err
	}
	f := &File{path: path, file: hf, rows: p.Rows, cols: p.Cols, comp: comp, feed: p.Feed, kill: p.Kill}
	defer func() {
		if err != nil {
			f.closeHandles()
		}
	}()
	if f.dset, err = createMatrix(hf, p.Rows, p.Cols, comp); err != nil {
		return nil, fmt.Errorf("%w in %s", err, path)
	}
	if f.images, err = newImages(f.dset, p.Rows, p.Cols); err != nil {
		return nil, fmt.Errorf("%w in %s", err, path)
	}
	if comp.Codec == storage.CodecBitshuffleLZ4 {
		// Made here, so that a grid too large for one chunk fails now.
		enc, err := codec.NewEncoder(p.Rows*p.Cols, comp.KeepBits)
		if err != nil {
			return nil, fmt.Errorf("h5: %w (%s)", err, path)
		}
		f.enc = enc
	}
	if f.root, err = openGroup(hf, "/"); err != nil {
		return nil, fmt.Errorf("%w of %s", err, path)
	}
	if err := f.createSlots(); err != nil {
		return nil, err
	}
	attrs := append(append(ParamAttrs(p), extra...), compressionAttrs(comp)...)
	attrs = append(attrs,
		storage.Attr{Name: "hdf5_version", Value: Version()},
		storage.Attr{Name: "created", Value: time.Now().UTC().Format(time.RFC3339)},
		storage.Attr{Name: "frames_written", Value: 0},
		storage.Attr{Name: "completed", Value: false},
		// Empty while running; set when a run stops early, removed when it
		// completes. It exists from the start: SWMR mode creates nothing.
		storage.Attr{Name: "stop_reason", Value: ""},
	)
	if err := f.SetAttrs(attrs...); err != nil {
		return nil, err
	}
	if f.mem, err = memspace(p.Rows, p.Cols); err != nil {
		return nil, err
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

// createSlots makes the checkpoint slots and the attributes a checkpoint
// writes where they are missing (a file of an earlier version may lack
// them): SWMR writing creates nothing. A new slot holds no checkpoint
// (images 0), and the rates in force.
func (f *File) createSlots() error {
	g, err := ensureGroup(f.file, CheckpointGroup)
	if err != nil {
		return fmt.Errorf("%w in %s", err, f.path)
	}
	defer closeGroup(g)
	for slot, name := range checkpointSlots {
		d, err := ensure2D(g, name, f.rows, f.cols)
		if err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
		if !f.comp.Lossless() {
			v, err := ensure2D(g, exactVSlots[slot], f.rows, f.cols)
			if err != nil {
				closeDataset(d)
				return fmt.Errorf("%w in %s", err, f.path)
			}
			closeDataset(v)
		}
		for _, a := range []storage.Attr{{Name: "images", Value: 0}, {Name: "step", Value: 0}, {Name: "crc", Value: 0},
			{Name: "feedrate", Value: f.feed}, {Name: "killrate", Value: f.kill}} {
			if !attrExists(d, a.Name) {
				if err = writeAttr(d, a.Name, a.Value); err != nil {
					break
				}
			}
		}
		closeDataset(d)
		if err != nil {
			return fmt.Errorf("%w in %s/%s of %s", err, CheckpointGroup, name, f.path)
		}
	}
	return nil
}

// StoredSize returns the bytes /matrix takes in the file (after
// compression).
func (f *File) StoredSize() int64 {
	if f.dset <= 0 {
		return 0
	}
	return storageSize(f.dset)
}

// SetRates sets the feed and kill rates in force for the images and
// checkpoints that follow (a window's preset): each checkpoint saves them,
// and a run resumed from it continues with them. Call it on the goroutine
// that writes the images, in order with them (storage.Writer.Do).
func (f *File) SetRates(feed, kill float32) { f.feed, f.kill = feed, kill }

// StartSWMR switches the file to SWMR writing; from then on readers that
// open it with SWMR see every flush. It fails for a file in a format older
// than HDF5 1.10's (one from an earlier version of grayscott), which can
// still be written without SWMR.
func (f *File) StartSWMR() error {
	quiet()
	if err := startSWMR(f.file, f.path); err != nil {
		return fmt.Errorf("%w (%s)", err, f.path)
	}
	f.swmr = true
	return nil
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// Frames returns how many images have been written.
func (f *File) Frames() int { return f.frames }

// SetAttrs writes (or overwrites) root attributes. In SWMR mode an
// attribute that does not exist yet is written when the file closes.
func (f *File) SetAttrs(attrs ...storage.Attr) error {
	quiet()
	for _, a := range attrs {
		if f.swmr && !attrExists(f.root, a.Name) {
			f.later = slices.DeleteFunc(f.later, func(l storage.Attr) bool { return l.Name == a.Name })
			f.later = append(f.later, a)
			f.deletes = slices.DeleteFunc(f.deletes, func(d string) bool { return d == a.Name })
			continue
		}
		if err := writeAttr(f.root, a.Name, a.Value); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	return nil
}

// DeleteAttrs removes root attributes; missing ones are no error. In SWMR
// mode they go when the file closes.
func (f *File) DeleteAttrs(names ...string) error {
	quiet()
	for _, n := range names {
		f.later = slices.DeleteFunc(f.later, func(l storage.Attr) bool { return l.Name == n })
		if f.swmr {
			f.deletes = append(f.deletes, n)
			continue
		}
		if err := deleteAttr(f.root, n); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	return nil
}

// WriteFrame appends one image (rows·cols floats, row-major), encoded on
// this goroutine: raw images go as they are, deflated ones through HDF5's
// filter pipeline (in-line deflate), bitshuffle ones through an encoder of
// the file's own. V is rounded to the kept bits first. frame is not
// retained nor changed.
func (f *File) WriteFrame(frame []float32) error {
	quiet()
	if len(frame) != f.rows*f.cols {
		return fmt.Errorf("h5: image of %d floats, grid has %d cells", len(frame), f.rows*f.cols)
	}
	if err := f.checkSpace(4 * len(frame)); err != nil {
		return f.failed(err)
	}
	var err error
	switch {
	case f.comp.Codec == storage.CodecBitshuffleLZ4:
		if f.enc == nil {
			f.enc = f.NewEncoder()
		}
		var chunk []byte
		if chunk, err = f.enc.Encode(frame); err == nil {
			err = appendChunk(f.dset, f.frames, f.rows, f.cols, chunk)
		}
	case f.comp.Codec == storage.CodecDeflate:
		if !f.comp.Lossless() {
			if f.rounded == nil {
				f.rounded = make([]float32, len(frame))
			}
			codec.RoundMantissa(f.rounded, frame, f.comp.KeepBits)
			frame = f.rounded
		}
		err = appendFrame(f.dset, f.mem, f.frames, f.rows, f.cols, frame, f.swmr)
	default:
		// Raw images go to the file as they are, with no copy through
		// HDF5's chunk cache and filter pipeline: the frame is the chunk.
		err = appendChunk(f.dset, f.frames, f.rows, f.cols, unsafe.Slice((*byte)(unsafe.Pointer(&frame[0])), 4*len(frame)))
	}
	if err != nil {
		return f.failed(err)
	}
	f.frames++
	return nil
}

// Compression returns how the file stores its images.
func (f *File) Compression() storage.Compression { return f.comp }

// NewEncoder returns an encoder of this file's chunks when it compresses
// (rounding V to the kept bits first): shuffle and deflate at its level,
// byte for byte what HDF5's own filters write, or bitshuffle+LZ4 as the
// plugin writes it (storage/codec); the Writer then encodes on its
// workers and stores the chunks with WriteChunk. A raw file has none
// (nil): its images go through WriteFrame.
func (f *File) NewEncoder() storage.Encoder {
	switch f.comp.Codec {
	case storage.CodecDeflate:
		return newEncoder(f.comp.Level, f.comp.KeepBits, f.rows*f.cols)
	case storage.CodecBitshuffleLZ4:
		e, err := codec.NewEncoder(f.rows*f.cols, f.comp.KeepBits)
		if err != nil {
			return failingEncoder{err}
		}
		return e
	}
	return nil
}

// failingEncoder reports why an encoder could not be made (a grid too
// large for one chunk) at the first image.
type failingEncoder struct{ err error }

func (e failingEncoder) Encode([]float32) ([]byte, error) { return nil, e.err }

// WriteChunk appends one image given as its stored chunk, from one of the
// file's encoders (NewEncoder); for a raw file, the frame's bytes. chunk
// is not retained.
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
	if err := flush(f.file); err != nil {
		return f.failed(err)
	}
	if err := f.syncer.Sync(); err != nil {
		return f.failed(fmt.Errorf("h5: fsync: %w", err))
	}
	return nil
}

// Publish makes the images written so far visible to SWMR readers (HDF5's
// buffers and metadata to the operating system, frames_written recorded),
// without the fsync of Flush: cheap enough to call every second.
func (f *File) Publish() error {
	quiet()
	if err := f.SetAttrs(storage.Attr{Name: "frames_written", Value: f.frames}); err != nil {
		return err
	}
	if err := flush(f.file); err != nil {
		return f.failed(err)
	}
	return nil
}

// Close records frames_written, completed and stop_reason (reason, or ""
// when completed); then closes the file. The
// attribute changes SWMR mode kept for later are made by opening the file
// once more without SWMR. It returns the first error; the handles are
// released whatever happens. Close is idempotent.
func (f *File) Close(completed bool, reason string) error {
	if f.closed {
		return nil
	}
	quiet()
	var err error
	if f.swmr {
		// The images reach the file before the attributes that count
		// them: a reader never sees completed with images still to come.
		err = flush(f.file)
	}
	if err == nil {
		err = f.SetAttrs(storage.Attr{Name: "frames_written", Value: f.frames}, storage.Attr{Name: "completed", Value: completed})
	}
	if err == nil {
		if completed {
			reason = "" // a resumed run that completes leaves no earlier stop behind
		}
		// Overwritten, not deleted: SWMR can update it in place.
		err = f.SetAttrs(storage.Attr{Name: "stop_reason", Value: reason})
	}
	if cerr := f.closeHandles(); err == nil {
		err = cerr
	}
	if len(f.later) > 0 || len(f.deletes) > 0 {
		if lerr := f.writeLater(); err == nil {
			err = lerr
		}
	}
	return err
}

// laterMargin is the free space writeLater needs: opening a closed file
// for writing on a full disk could leave it damaged.
const laterMargin = 1 << 20

// writeLater makes the attribute changes kept from SWMR mode, in the
// closed file opened again without SWMR.
func (f *File) writeLater() error {
	if free := storage.FreeBytes(f.path); free >= 0 && free < laterMargin {
		var names []string
		for _, a := range f.later {
			names = append(names, a.Name)
		}
		return fmt.Errorf("h5: %s: attributes %v not written: %d bytes free (%w)", f.path, append(names, f.deletes...), free, syscall.ENOSPC)
	}
	file, err := openFile(f.path, true, false)
	if err != nil {
		return err
	}
	defer closeFile(file)
	root, err := openGroup(file, "/")
	if err != nil {
		return err
	}
	defer closeGroup(root)
	for _, n := range f.deletes {
		if err := deleteAttr(root, n); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	for _, a := range f.later {
		if err := writeAttr(root, a.Name, a.Value); err != nil {
			return fmt.Errorf("%w in %s", err, f.path)
		}
	}
	f.later, f.deletes = nil, nil
	return flush(file)
}

func (f *File) closeHandles() error {
	f.closed = true
	var first error
	keep := func(err error, what string) {
		if err != nil && first == nil {
			first = fmt.Errorf("h5: closing %s of %s: %w", what, f.path, err)
		}
	}
	if f.mem > 0 {
		keep(closeSpace(f.mem), "memory dataspace")
		f.mem = 0
	}
	if f.dset > 0 {
		keep(closeDataset(f.dset), "/"+Dataset)
		f.dset = 0
	}
	if f.root > 0 {
		keep(closeGroup(f.root), "root group")
		f.root = 0
	}
	if f.file > 0 {
		keep(closeFile(f.file), "file")
		f.file = 0
	}
	f.releaseReserve()
	if f.syncer != nil {
		// What close handed to the operating system reaches the disk too.
		keep(f.syncer.Sync(), "file (fsync)")
		keep(f.syncer.Close(), "fsync descriptor")
		f.syncer = nil
	}
	return first
}
