package serve

import (
	"fmt"
	"image"
	"time"

	"grayscott/colormap"
	"grayscott/storage/h5"
)

// File is a file on disk as its page shows it: written by a run now (read
// in SWMR mode, as render --follow reads it) or not. While a page watches,
// the Server reads it every Interval: it opens it afresh (a new view of the
// attributes and of /matrix), decodes its state through h5.Status, and
// reads its newest image when there is a new one.
type File struct {
	path string

	// The Server's loop goroutine only.
	st      Status
	prog    progress
	steps   int // per image, 0 when unknown
	field   []float32
	index   int // the image in field, -1 for none
	rows    int
	cols    int
	read    bool      // read once at least
	failing time.Time // since when it cannot be read, zero when it can
}

var _ Source = (*File)(nil)

// NewFile returns the page's view of the file at path.
func NewFile(path string) *File {
	return &File{path: path, index: -1, st: Status{Kind: "file", Output: path, State: StateRunning, ETAS: -1, ImageShown: -1}}
}

func (f *File) ended() <-chan struct{} { return nil }

func (f *File) update(now time.Time, watched bool) {
	if !watched && f.read {
		return
	}
	err := f.readFile()
	f.st.Error = ""
	if err != nil {
		if f.failing.IsZero() {
			f.failing = now
		}
		// A run holds its file outside SWMR for a moment at its end: say
		// so only once it lasts.
		if now.Sub(f.failing) > 3*time.Second {
			f.st.Error = err.Error()
		}
		return
	}
	f.failing = time.Time{}
	t := f.prog.add(now, f.st.ImagesDone)
	f.st.ElapsedS = t
	f.st.StepsPerS, f.st.ETAS = 0, -1
	if f.st.State == StateRunning && f.steps > 0 {
		f.st.StepsPerS, f.st.ETAS = f.prog.rate(f.steps, f.st.ImagesTotal)
	}
}

// readFile reads the file's status, attributes and, when there is a new
// one, its newest image.
func (f *File) readFile() error {
	r, err := h5.Open(f.path)
	if err != nil {
		return err
	}
	defer r.Close()
	hs, err := r.Status()
	if err != nil {
		return err
	}
	attrs, err := r.Attrs()
	if err != nil {
		return err
	}
	am := attrMap(attrs)
	st := &f.st
	st.ImagesDone, st.ImagesTotal = hs.Images, hs.Images
	f.steps = 0
	if p, err := r.Params(); err == nil {
		st.ImagesTotal, f.steps = max(p.Images, hs.Images), p.StepsPerImage
	}
	st.Params = paramsOfAttrs(am)
	st.Engine, st.Device = engineOf(am)
	st.Field = "V"
	st.State, st.StopReason = fileState(hs)
	ck := 0
	if hs.Checkpoint != nil {
		ck = hs.Checkpoint.Images
	}
	c := hs.Compression.Normal()
	st.FileState = &FileState{FramesWritten: hs.FramesWritten, Compression: c.String(), CompressionLevel: c.Level, KeepBits: c.KeepBits,
		StoredBytes:      hs.StoredBytes,
		CheckpointImages: ck, Rows: hs.Rows, Cols: hs.Cols, Codec: hs.Codec()}
	f.read = true
	if hs.Images == 0 || hs.Images-1 == f.index && hs.Rows == f.rows && hs.Cols == f.cols {
		return nil
	}
	if len(f.field) != hs.Rows*hs.Cols {
		f.field = make([]float32, hs.Rows*hs.Cols)
	}
	if err := r.ReadFrame(hs.Images-1, f.field); err != nil {
		f.index = -1
		return fmt.Errorf("reading image %d: %w", hs.Images-1, err)
	}
	f.index, f.rows, f.cols = hs.Images-1, hs.Rows, hs.Cols
	return nil
}

// fileState says what h5.Status says of a file's run (Status.Ended): a
// run killed without closing its file failed.
func fileState(hs h5.Status) (state, reason string) {
	ended := hs.Ended()
	switch {
	case ended == "":
		return StateRunning, ""
	case !hs.Run:
		return StateEnded, "a file without run attributes"
	case hs.Completed:
		return StateCompleted, ""
	case hs.StopReason != "":
		return StateStopped, hs.StopReason
	}
	return StateFailed, ended
}

func (f *File) status() Status { return f.st }

func (f *File) picture(shown int, cmap *colormap.Map) (image.Image, int, error) {
	if f.index < 0 || f.index == shown {
		return nil, shown, nil
	}
	img, err := paintField(f.field, f.rows, f.cols, cmap)
	return img, f.index, err
}
