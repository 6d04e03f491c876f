package gifstream

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"testing"
)

// TestDecodesWithImageGIF writes frames with every index value and odd
// sizes, and decodes them with the standard library's decoder.
func TestDecodesWithImageGIF(t *testing.T) {
	p := make(color.Palette, 256)
	for i := range p {
		p[i] = color.RGBA{uint8(i), uint8(255 - i), uint8(i / 2), 255}
	}
	const w, h, n = 37, 23, 5
	var buf bytes.Buffer
	g, err := NewWriter(&buf, w, h, p, 4)
	if err != nil {
		t.Fatal(err)
	}
	var frames []*image.Paletted
	for k := range n {
		m := image.NewPaletted(image.Rect(0, 0, w, h), p)
		for i := range m.Pix {
			m.Pix[i] = uint8((i*7 + k*31) % 256)
		}
		frames = append(frames, m)
		if err := g.WriteFrame(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	dec, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(dec.Image) != n || dec.LoopCount != 0 || dec.Delay[0] != 4 {
		t.Fatalf("%d frames, loop %d, delay %v", len(dec.Image), dec.LoopCount, dec.Delay)
	}
	for k, m := range dec.Image {
		if len(m.Palette) != 256 || m.Palette[200] != p[200] {
			t.Fatalf("frame %d palette differs", k)
		}
		if !bytes.Equal(m.Pix, frames[k].Pix) {
			t.Fatalf("frame %d pixels differ", k)
		}
	}
	if _, err := NewWriter(&buf, 0, 5, p, 1); err == nil {
		t.Error("a 0-wide animation was accepted")
	}
	g2, _ := NewWriter(&bytes.Buffer{}, 2, 2, p, 1)
	if err := g2.WriteFrame(image.NewPaletted(image.Rect(0, 0, 3, 2), p)); err == nil {
		t.Error("a frame of the wrong size was accepted")
	}
}
