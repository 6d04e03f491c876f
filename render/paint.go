package render

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"strconv"
	"strings"

	"grayscott/colormap"
)

// Range is the span of values mapped onto the colormap: Lo to its first
// entry, Hi to its last. The zero Range means auto: the min and max of
// the images rendered.
type Range struct{ Lo, Hi float32 }

// Auto reports the zero Range.
func (r Range) Auto() bool { return r == Range{} }

// ParseRange reads a --range: "auto" (the zero Range) or "LO,HI" with
// finite LO < HI. Like ParseFrames, its error describes spec alone, for a
// command to put after its flag's name.
func ParseRange(spec string) (Range, error) {
	if spec == "auto" {
		return Range{}, nil
	}
	los, his, ok := strings.Cut(spec, ",")
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(los), 32)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(his), 32)
	if !ok || err1 != nil || err2 != nil || !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return Range{}, errors.New("want auto or LO,HI with LO < HI")
	}
	return Range{float32(lo), float32(hi)}, nil
}

// ParseFrames selects image indices of n images by a Python-style slice:
// "A:B:STEP", "A:B", "A:" or "A" (negative counts from the end; "-1" is
// the last image). A selection of no image is an error. The error
// describes spec alone, for a command to put after its flag's name.
func ParseFrames(spec string, n int) ([]int, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 3 {
		return nil, errors.New("want A:B:STEP")
	}
	vals := []int{0, n, 1}
	for i, p := range parts {
		if p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", p)
		}
		vals[i] = v
	}
	if len(parts) == 1 { // a single index
		if parts[0] == "" {
			return nil, errors.New("empty")
		}
		vals[1] = vals[0] + 1
		if vals[0] == -1 {
			vals[1] = n
		}
	}
	norm := func(v int) int {
		if v < 0 {
			v += n
		}
		return min(max(v, 0), n)
	}
	start, stop, step := norm(vals[0]), norm(vals[1]), vals[2]
	if step <= 0 {
		return nil, fmt.Errorf("step %d: must be positive", step)
	}
	var idx []int
	for i := start; i < stop; i += step {
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("selects no image of %d", n)
	}
	return idx, nil
}

// widen grows r to hold the values of field (r starts as the empty
// range, +Inf..-Inf); NaNs are left out.
func (r *Range) widen(field []float32) {
	for _, v := range field {
		if v < r.Lo {
			r.Lo = v
		}
		if v > r.Hi {
			r.Hi = v
		}
	}
}

// Paint colours a rows×cols field into dst through dst's palette (a
// colormap's), each cell scale×scale pixels from dst's top-left corner:
// rng.Lo takes the first entry, rng.Hi the last, values beyond them are
// clamped and NaN takes the first (colormap.Index). rng must not be auto.
func Paint(dst *image.Paletted, field []float32, rows, cols, scale int, rng Range) {
	w := cols * scale
	for r := range rows {
		line := dst.Pix[r*scale*dst.Stride : r*scale*dst.Stride+w]
		for c := range cols {
			idx := colormap.Index(field[r*cols+c], rng.Lo, rng.Hi)
			for k := range scale {
				line[c*scale+k] = idx
			}
		}
		for k := 1; k < scale; k++ {
			copy(dst.Pix[(r*scale+k)*dst.Stride:], line)
		}
	}
}

// WritePNG encodes img to a PNG file at path (rendered images and the
// preview window's screenshots).
func WritePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
