package render

import (
	"image"
	"image/draw"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// ColorBarHeight is the pixels a colour bar adds below a picture: a strip
// of the colormap from the range's low end (left) to its high end (right),
// and a line with the two values.
const ColorBarHeight = 30

// DrawColorBar draws the colour bar of rng in the bottom ColorBarHeight
// rows of img, through img's palette (a colormap's, 256 entries): the strip,
// then rng.Lo at the left and rng.Hi at the right, in the palette's
// brightest entry on its darkest, so that no colour outside the colormap is
// needed (a GIF's palette holds the colormap and nothing else).
func DrawColorBar(img *image.Paletted, rng Range) {
	b := img.Bounds()
	top := b.Max.Y - ColorBarHeight
	dark, light := uint8(0), uint8(len(img.Palette)-1)
	draw.Draw(img, image.Rect(b.Min.X, top, b.Max.X, b.Max.Y), &image.Uniform{img.Palette[dark]}, image.Point{}, draw.Src)
	w := b.Dx()
	for x := range w {
		idx := uint8(x * (len(img.Palette) - 1) / max(1, w-1))
		for y := top + 3; y < top+13; y++ {
			img.SetColorIndex(b.Min.X+x, y, idx)
		}
	}
	d := font.Drawer{Dst: img, Src: &image.Uniform{img.Palette[light]}, Face: basicfont.Face7x13}
	lo, hi := label(rng.Lo), label(rng.Hi)
	d.Dot = fixed.P(b.Min.X+2, b.Max.Y-4)
	d.DrawString(lo)
	d.Dot = fixed.P(b.Max.X-2-d.MeasureString(hi).Round(), b.Max.Y-4)
	d.DrawString(hi)
}

// label writes a value of the range in four significant digits.
func label(v float32) string { return strconv.FormatFloat(float64(v), 'g', 4, 32) }
