// Package colormap maps scalar fields to colours with perceptually uniform
// colormaps (inferno, viridis, magma, plasma: matplotlib's published
// tables) and gray. The same tables colour exported images and the preview
// window. It is pure Go.
package colormap

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
)

//go:generate /usr/bin/python3 ../scripts/gen_colormaps.py

// Default is the colormap used when none is named.
const Default = "inferno"

// Map is one colormap of 256 entries.
type Map struct {
	name string
	rgb  *[256][3]uint8
}

var gray = func() *[256][3]uint8 {
	var t [256][3]uint8
	for i := range t {
		t[i] = [3]uint8{uint8(i), uint8(i), uint8(i)}
	}
	return &t
}()

// Names lists the colormaps, the default first.
func Names() []string {
	names := []string{"gray"}
	for n := range tables {
		names = append(names, n)
	}
	slices.Sort(names)
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == Default:
			return -1
		case b == Default:
			return 1
		}
		return 0
	})
	return names
}

// Lookup returns the named colormap.
func Lookup(name string) (*Map, error) {
	if name == "gray" || name == "grey" {
		return &Map{"gray", gray}, nil
	}
	if t, ok := tables[name]; ok {
		return &Map{name, t}, nil
	}
	return nil, fmt.Errorf("colormap: unknown colormap %q (want %s)", name, strings.Join(Names(), ", "))
}

// Name returns the colormap's name.
func (m *Map) Name() string { return m.name }

// Table returns the 256 RGB entries, low to high.
func (m *Map) Table() *[256][3]uint8 { return m.rgb }

// Palette returns the 256 entries as a colour palette (for paletted PNG and GIF).
func (m *Map) Palette() color.Palette {
	p := make(color.Palette, 256)
	for i, c := range m.rgb {
		p[i] = color.RGBA{c[0], c[1], c[2], 255}
	}
	return p
}

// Index maps v in [lo, hi] to an entry 0..255; values outside are clamped
// and NaN maps to 0. hi must exceed lo.
func Index(v, lo, hi float32) uint8 {
	t := (v - lo) / (hi - lo)
	switch {
	case !(t > 0): // NaN too
		return 0
	case t >= 1:
		return 255
	}
	return uint8(math.Floor(float64(t) * 256))
}
