package render

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"grayscott/render/internal/gifstream"
)

// Format is the kind of output a name asks for (FormatOf).
type Format int

const (
	// Unknown is a name with an extension of no format that is not an
	// existing folder.
	Unknown Format = iota
	// Folder is DIR/image_00000.png …, one PNG per image, numbered by the
	// image's index in the file (the folder is made).
	Folder
	// PNG is NAME.png: one image.
	PNG
	// GIF is NAME.gif: an animation with the colormap as its palette.
	GIF
	// MP4 is NAME.mp4: a video, encoded by ffmpeg.
	MP4
)

var formatNames = [...]string{Unknown: "unknown", Folder: "folder", PNG: "png", GIF: "gif", MP4: "mp4"}

func (f Format) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return "Format(" + strconv.Itoa(int(f)) + ")"
	}
	return formatNames[f]
}

// FormatOf says what out names, by its extension in any case: .png, .gif
// or .mp4; a name without an extension, or an existing folder whatever its
// name, is a Folder; any other name is Unknown.
func FormatOf(out string) Format {
	switch strings.ToLower(filepath.Ext(out)) {
	case ".png":
		return PNG
	case ".gif":
		return GIF
	case ".mp4":
		return MP4
	case "":
		return Folder
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return Folder
	}
	return Unknown
}

// CheckOutput says what out names (FormatOf) and whether it can be
// written here: the folder of NAME.png, NAME.gif or NAME.mp4 must exist,
// and an MP4 needs ffmpeg. Like ParseFrames, its error describes out
// alone, for a command to put after its flag's name.
func CheckOutput(out string) (Format, error) {
	f := FormatOf(out)
	switch f {
	case Unknown:
		return f, errors.New("want a folder, NAME.png, NAME.gif or NAME.mp4")
	case Folder:
		return f, nil
	}
	if _, err := os.Stat(filepath.Dir(out)); err != nil {
		return f, fmt.Errorf("folder %s does not exist", filepath.Dir(out))
	}
	if f == MP4 {
		if _, err := lookFFmpeg(); err != nil {
			return f, errors.New("MP4 needs ffmpeg, which is not installed (Debian package ffmpeg); write PNGs or a GIF instead")
		}
	}
	return f, nil
}

// DefaultFrames is the selection of an output given none: the last image
// for a PNG, which holds one, else all of them.
func (f Format) DefaultFrames() string {
	if f == PNG {
		return "-1"
	}
	return ":"
}

// Frames selects images of n for an output of format f: by spec
// (ParseFrames), or f.DefaultFrames() when spec is empty. A PNG takes
// exactly one. Like ParseFrames, its error describes spec alone.
func (f Format) Frames(spec string, n int) ([]int, error) {
	frames, err := ParseFrames(cmp.Or(spec, f.DefaultFrames()), n)
	if err == nil && f == PNG && len(frames) != 1 {
		return nil, fmt.Errorf("selects %d images; a .png output holds one (write to a folder for several)", len(frames))
	}
	return frames, err
}

// A FrameWriter writes rendered images to one output, in the order given.
// It is not safe for concurrent use.
type FrameWriter interface {
	// WriteFrame writes img, the picture of image i of the file (i names
	// a folder's file): of the size the writer was opened for, its pixels
	// indices into the colormap's palette. It does not retain img.
	WriteFrame(i int, img *image.Paletted) error
	// Close finishes the output (a GIF's trailer; an MP4's encoding) and
	// releases what it holds. It must be called, after a failure too.
	Close() error
}

// NewFrameWriter opens the backend of out's format (FormatOf) for pictures
// of a rows×cols field at rd's scale, through rd's colormap, of a file of
// images images (which sets the digits of a folder's names).
func (rd *Renderer) NewFrameWriter(out string, rows, cols, images int) (FrameWriter, error) {
	w, h := rd.size(rows, cols)
	switch FormatOf(out) {
	case PNG:
		return &pngWriter{path: out}, nil
	case Folder:
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		return &folderWriter{dir: out, digits: max(5, len(strconv.Itoa(images-1)))}, nil
	case GIF:
		return newGIFWriter(out, w, h, rd)
	case MP4:
		return newMP4Writer(out, w, h, rd.fps())
	}
	return nil, fmt.Errorf("render: %s: want a folder, NAME.png, NAME.gif or NAME.mp4", out)
}

// pngWriter writes the one image of a NAME.png.
type pngWriter struct {
	path    string
	written bool
}

func (p *pngWriter) WriteFrame(i int, img *image.Paletted) error {
	if p.written {
		return fmt.Errorf("render: %s holds one image; image %d is one more", p.path, i)
	}
	p.written = true
	return WritePNG(p.path, img)
}

func (p *pngWriter) Close() error { return nil }

// folderWriter writes dir/image_00000.png …
type folderWriter struct {
	dir    string
	digits int
}

func (d *folderWriter) WriteFrame(i int, img *image.Paletted) error {
	return WritePNG(filepath.Join(d.dir, fmt.Sprintf("image_%0*d.png", d.digits, i)), img)
}

func (d *folderWriter) Close() error { return nil }

// gifWriter streams an animation to a file (gifstream).
type gifWriter struct {
	path string
	f    *os.File
	g    *gifstream.Writer
}

func newGIFWriter(path string, w, h int, rd *Renderer) (*gifWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	// Browsers show delays under 2/100 s as 1/10 s: 50 frames/s at most.
	g, err := gifstream.NewWriter(f, w, h, rd.colormap().Palette(), max(2, 100/rd.fps()))
	if err != nil {
		f.Close()
		return nil, err
	}
	return &gifWriter{path: path, f: f, g: g}, nil
}

func (g *gifWriter) WriteFrame(_ int, img *image.Paletted) error {
	if err := g.g.WriteFrame(img); err != nil {
		return fmt.Errorf("render: %s: %w", g.path, err)
	}
	return nil
}

func (g *gifWriter) Close() error {
	if err := errors.Join(g.g.Close(), g.f.Close()); err != nil {
		return fmt.Errorf("render: %s: %w", g.path, err)
	}
	return nil
}
