package colormap

import (
	"math"
	"testing"
)

func TestIndex(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		v, lo, hi float32
		want      uint8
	}{{0, 0, 1, 0}, {1, 0, 1, 255}, {0.5, 0, 1, 128}, {-3, 0, 1, 0}, {7, 0, 1, 255}, {nan, 0, 1, 0}, {0.999, 0, 1, 255}, {0.25, 0, 0.5, 128}} {
		if got := Index(c.v, c.lo, c.hi); got != c.want {
			t.Errorf("Index(%v, %v, %v) = %d, want %d", c.v, c.lo, c.hi, got, c.want)
		}
	}
}

// The perceptual maps run from dark to bright: a swapped or truncated
// table would break that.
func TestTablesRunDarkToBright(t *testing.T) {
	for _, name := range Names() {
		m, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		lum := func(i int) float64 {
			c := m.Table()[i]
			return 0.2126*float64(c[0]) + 0.7152*float64(c[1]) + 0.0722*float64(c[2])
		}
		if !(lum(0) < lum(128) && lum(128) < lum(255)) {
			t.Errorf("%s: luminance %v, %v, %v is not increasing", name, lum(0), lum(128), lum(255))
		}
		if len(m.Palette()) != 256 {
			t.Errorf("%s: palette of %d", name, len(m.Palette()))
		}
	}
	if Names()[0] != Default || len(Names()) != 5 {
		t.Errorf("Names() = %v", Names())
	}
	if _, err := Lookup("jet"); err == nil {
		t.Error("Lookup(jet) succeeded")
	}
}
