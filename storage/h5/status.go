package h5

import (
	"fmt"

	"grayscott/storage"
)

// Status is what a file says of its run: the one decoder of the run
// attributes (frames_written, completed, stop_reason, the compression) that
// every command reads, so that they all say the same thing.
type Status struct {
	Path string
	// Images, Rows and Cols are /matrix's shape as the reader sees it: for
	// a file a run is writing, what the run has published.
	Images, Rows, Cols int
	// Run reports a file written by grayscott run (it has the run
	// attributes); the course's own files have none, and the fields below
	// are zero.
	Run bool
	// FramesWritten is the number of images the writer had stored when it
	// last flushed, published or closed the file.
	FramesWritten int
	// Completed: the run stored every image and closed the file.
	Completed bool
	// StopReason says why a run ended early; it is empty while the run
	// goes on, after it completed, and when it was killed.
	StopReason string
	// Compression is how /matrix stores images (the course's own files
	// included: it is read from the dataset's filters).
	Compression storage.Compression
	// StoredBytes is what /matrix takes in the file.
	StoredBytes int64
	// Checkpoint is the newest valid checkpoint, nil when there is none.
	Checkpoint *CheckpointInfo
	// Writing reports that a run holds the file now (its writer's lock);
	// it is also true where file locks cannot tell.
	Writing bool
}

// CheckpointInfo locates a checkpoint: the state after Step steps, which
// follows image Images-1.
type CheckpointInfo struct {
	Step   int64
	Images int
}

// RawBytes is what the images take uncompressed: 4 bytes per value.
func (s Status) RawBytes() int64 { return int64(s.Images) * int64(s.Rows) * int64(s.Cols) * 4 }

// Codec says how /matrix is stored, for a person: "none", "deflate 6
// (shuffled)" or "bitshuffle-lz4", then the mantissa bits kept when not
// all are, and the error bound they give.
func (s Status) Codec() string {
	c := s.Compression.Normal()
	out := string(c.Codec)
	if c.Codec == storage.CodecDeflate {
		out = fmt.Sprintf("deflate %d (shuffled)", c.Level)
	}
	if !c.Lossless() {
		out += fmt.Sprintf(", V rounded to %d mantissa bits (|error| ≤ 2^-%d·|V|)", c.KeepBits, c.KeepBits+1)
	}
	return out
}

// Ended says how the run ended, for a reader following the file: "" while
// it writes, else "completed", "stopped (REASON)", "killed (its run ended
// without closing the file)", or, for a file without run attributes, which
// does not change under its reader, "ended (a file without run
// attributes)". A run's end counts only once the images it counts are
// visible: a reader may see the attributes of the end before the images.
func (s Status) Ended() string {
	switch {
	case !s.Run:
		return "ended (a file without run attributes)"
	case s.Images < s.FramesWritten:
		return ""
	case s.Completed:
		return "completed"
	case s.StopReason != "":
		return "stopped (" + s.StopReason + ")"
	case !s.Writing:
		return "killed (its run ended without closing the file)"
	}
	return ""
}

// Status reads the file's status. A file from the course's tools has no
// run attributes: its Status says so (Run false) and is no error.
func (r *Reader) Status() (Status, error) {
	st := Status{Path: r.path, Images: r.images, Rows: r.rows, Cols: r.cols, StoredBytes: r.StoredBytes(), Writing: true}
	var err error
	if err = r.withRoot(func(root int64) error {
		st.Compression, err = matrixCompression(r.dset.ID(), root)
		return err
	}); err != nil {
		return st, err
	}
	if busy, err := writerHolds(r.path); err == nil {
		st.Writing = busy
	}
	if step, images, ok := r.Checkpoint(); ok {
		st.Checkpoint = &CheckpointInfo{Step: step, Images: images}
	}
	completed, err := r.Int("completed")
	if err != nil {
		return st, nil
	}
	st.Run, st.Completed = true, completed != 0
	fw, err := r.Int("frames_written")
	if err != nil {
		return st, err
	}
	st.FramesWritten = int(fw)
	if st.StopReason, err = r.String("stop_reason"); err != nil {
		st.StopReason = "" // files of earlier versions deleted it on completion
	}
	return st, nil
}

// ReadStatus opens path, reads its status and closes it.
func ReadStatus(path string) (Status, error) {
	r, err := Open(path)
	if err != nil {
		return Status{Path: path}, err
	}
	defer r.Close()
	return r.Status()
}
