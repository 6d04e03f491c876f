package testutil

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"testing"
)

// DecodePNG reads the PNG file at path.
func DecodePNG(tb testing.TB, path string) image.Image {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return img
}

// SamePixels compares two images, 8 bits per channel, within tol per
// channel; when they differ it says where.
func SamePixels(a, b image.Image, tol int) (bool, string) {
	if a.Bounds() != b.Bounds() {
		return false, "sizes " + a.Bounds().String() + " and " + b.Bounds().String()
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				if d > tol || -d > tol {
					return false, fmt.Sprintf("pixel (%d,%d)", x, y)
				}
			}
		}
	}
	return true, ""
}
