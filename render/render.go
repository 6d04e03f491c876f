package render

import (
	"fmt"
	"image"
	"math"

	"grayscott/colormap"
	"grayscott/storage/h5"
)

// Images is what a Renderer reads: a stack of rows×cols fields. An
// *h5.Reader is one.
type Images interface {
	// Shape returns the number of images and the size of each.
	Shape() (images, rows, cols int)
	// ReadFrame reads image i into dst (rows·cols values, row after row).
	ReadFrame(i int, dst []float32) error
}

// A Renderer paints images through a colormap and writes them to an
// output. Its zero value renders with the default colormap, one pixel per
// cell, the range of the images rendered and 25 frames per second.
type Renderer struct {
	// Colormap maps values to colours; nil means colormap.Default.
	Colormap *colormap.Map
	// Scale enlarges each cell to Scale×Scale pixels; 0 means 1.
	Scale int
	// Range is the span of values mapped onto the colormap; the zero
	// Range, the min and max of the images rendered (a first pass).
	Range Range
	// FPS is the frames per second of a GIF (50 at most: browsers slow
	// faster ones down) or an MP4; 0 means 25.
	FPS int
	// ColorBar adds a colour bar with the range's values below each
	// picture (ColorBarHeight pixels).
	ColorBar bool
}

func (rd *Renderer) colormap() *colormap.Map {
	if rd.Colormap != nil {
		return rd.Colormap
	}
	m, err := colormap.Lookup(colormap.Default)
	if err != nil {
		panic(err) // the default is one of the tables
	}
	return m
}

func (rd *Renderer) scale() int { return max(1, rd.Scale) }

func (rd *Renderer) fps() int {
	if rd.FPS <= 0 {
		return 25
	}
	return rd.FPS
}

// size is the pictures' size in pixels for rows×cols fields.
func (rd *Renderer) size(rows, cols int) (w, h int) {
	w, h = cols*rd.scale(), rows*rd.scale()
	if rd.ColorBar {
		h += ColorBarHeight
	}
	return w, h
}

// newImage is a picture of a rows×cols field at rd's scale, in rd's
// colormap, with its colour bar of rng when rd has one.
func (rd *Renderer) newImage(rows, cols int, rng Range) *image.Paletted {
	w, h := rd.size(rows, cols)
	img := image.NewPaletted(image.Rect(0, 0, w, h), rd.colormap().Palette())
	if rd.ColorBar {
		DrawColorBar(img, rng)
	}
	return img
}

// Render writes images frames of src to out, in the format its name asks
// for (FormatOf), and returns the range it mapped onto the colormap:
// rd.Range, or the min and max of those images. A PNG holds one image. On
// a failure the output is closed and may hold the images written so far.
func (rd *Renderer) Render(src Images, frames []int, out string) (Range, error) {
	n, rows, cols := src.Shape()
	buf := make([]float32, rows*cols)
	rng, err := rd.rangeOf(src, frames, buf)
	if err != nil {
		return rng, err
	}
	fw, err := rd.NewFrameWriter(out, rows, cols, n)
	if err != nil {
		return rng, err
	}
	img := rd.newImage(rows, cols, rng)
	for _, i := range frames {
		if err := rd.draw(img, src, i, buf, rng); err != nil {
			fw.Close()
			return rng, err
		}
		if err := fw.WriteFrame(i, img); err != nil {
			fw.Close()
			return rng, err
		}
	}
	return rng, fw.Close()
}

// RangeOf returns the range that Render maps onto the colormap for images
// frames of src: rd.Range, or when that is auto the min and max of those
// images, leaving NaNs out (read in a first pass). For a uniform field it
// is V..V+1, and 0..1 where the images hold nothing but NaNs.
func (rd *Renderer) RangeOf(src Images, frames []int) (Range, error) {
	if !rd.Range.Auto() {
		return rd.Range, nil
	}
	_, rows, cols := src.Shape()
	return rd.rangeOf(src, frames, make([]float32, rows*cols))
}

func (rd *Renderer) rangeOf(src Images, frames []int, buf []float32) (Range, error) {
	if !rd.Range.Auto() {
		return rd.Range, nil
	}
	rng := Range{float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, i := range frames {
		if err := src.ReadFrame(i, buf); err != nil {
			return Range{}, err
		}
		rng.widen(buf)
	}
	if !(rng.Hi > rng.Lo) { // a uniform field, or NaNs only
		if math.IsInf(float64(rng.Lo), 0) {
			rng.Lo = 0
		}
		rng.Hi = rng.Lo + 1
	}
	return rng, nil
}

// draw reads image i of src into buf and paints it into img.
func (rd *Renderer) draw(img *image.Paletted, src Images, i int, buf []float32, rng Range) error {
	if err := src.ReadFrame(i, buf); err != nil {
		return err
	}
	_, rows, cols := src.Shape()
	Paint(img, buf, rows, cols, rd.scale(), rng)
	return nil
}

// File renders the HDF5 file in to out with a zero Renderer: every image
// (the last one for a NAME.png), the default colormap, the images' range.
// It returns the range.
func File(in, out string) (Range, error) {
	r, err := h5.Open(in)
	if err != nil {
		return Range{}, fmt.Errorf("render: %w", err)
	}
	defer r.Close()
	n, _, _ := r.Shape()
	frames, err := FormatOf(out).Frames("", n)
	if err != nil {
		return Range{}, fmt.Errorf("render: %s: %w", in, err)
	}
	var rd Renderer
	return rd.Render(r, frames, out)
}
