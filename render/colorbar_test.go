package render

import (
	"image"
	"testing"

	"grayscott/colormap"
)

// TestColorBar: below the picture, the strip runs through the colormap
// from the low end at the left to the high end at the right, the values'
// line holds text in the palette's brightest entry on its darkest, and the
// picture above is untouched.
func TestColorBar(t *testing.T) {
	m, _ := colormap.Lookup("viridis")
	const w, pic = 200, 20
	img := image.NewPaletted(image.Rect(0, 0, w, pic+ColorBarHeight), m.Palette())
	for i := range img.Pix[:w*pic] {
		img.Pix[i] = 77
	}
	DrawColorBar(img, Range{Lo: 0.125, Hi: 0.5})
	for i, p := range img.Pix[:w*pic] {
		if p != 77 {
			t.Fatalf("pixel %d of the picture changed to %d", i, p)
		}
	}
	strip := pic + 8
	if l, r := img.ColorIndexAt(0, strip), img.ColorIndexAt(w-1, strip); l != 0 || r != 255 {
		t.Errorf("the strip runs from entry %d to %d, want 0 to 255", l, r)
	}
	for x := 1; x < w; x++ {
		if img.ColorIndexAt(x, strip) < img.ColorIndexAt(x-1, strip) {
			t.Fatalf("the strip goes down at x=%d", x)
		}
	}
	lit := map[bool]int{}
	for y := pic + 16; y < pic+ColorBarHeight; y++ {
		for x := range w {
			switch img.ColorIndexAt(x, y) {
			case 255:
				lit[x < w/2]++
			case 0:
			default:
				t.Fatalf("pixel (%d,%d) of the values' line is entry %d", x, y, img.ColorIndexAt(x, y))
			}
		}
	}
	if lit[true] < 10 || lit[false] < 10 {
		t.Errorf("text pixels: %d on the left, %d on the right; want both values written", lit[true], lit[false])
	}
}
