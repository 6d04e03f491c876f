package render

import (
	"errors"
	"image"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"grayscott/colormap"
	"grayscott/internal/testutil"
)

// images is an Images in memory: cell c of image i holds at(i, c), and
// reading an image of fails fails with its error.
type images struct {
	n, rows, cols int
	at            func(i, c int) float32
	fails         map[int]error
	reads         []int // the images read, in order
}

func (s *images) Shape() (int, int, int) { return s.n, s.rows, s.cols }

func (s *images) ReadFrame(i int, dst []float32) error {
	s.reads = append(s.reads, i)
	if err := s.fails[i]; err != nil {
		return err
	}
	for c := range dst {
		dst[c] = s.at(i, c)
	}
	return nil
}

// painted is the picture of image i of src that Render must make.
func painted(src *images, i, scale int, m *colormap.Map, rng Range) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, src.cols*scale, src.rows*scale), m.Palette())
	field := make([]float32, src.rows*src.cols)
	for c := range field {
		field[c] = src.at(i, c)
	}
	Paint(img, field, src.rows, src.cols, scale, rng)
	return img
}

func TestParseFrames(t *testing.T) {
	for _, c := range []struct {
		spec string
		n    int
		want []int
		err  string
	}{
		{":", 3, []int{0, 1, 2}, ""},
		{"1::2", 6, []int{1, 3, 5}, ""},
		{"-2:", 6, []int{4, 5}, ""},
		{"-1", 6, []int{5}, ""},
		{"-2", 6, []int{4}, ""},
		{"3", 6, []int{3}, ""},
		{"0", 1, []int{0}, ""},
		{"-1", 1, []int{0}, ""},
		{"-9:2", 6, []int{0, 1}, ""},
		{"2:100", 6, []int{2, 3, 4, 5}, ""},
		{":-4:3", 10, []int{0, 3}, ""},
		{"9", 6, nil, "selects no image of 6"},
		{"5:2", 6, nil, "selects no image of 6"},
		{":", 0, nil, "selects no image of 0"},
		{"::0", 6, nil, "step 0: must be positive"},
		{"::-1", 6, nil, "step -1: must be positive"},
		{"a:", 6, nil, `"a" is not an integer`},
		{"", 6, nil, "empty"},
		{"1:2:3:4", 6, nil, "want A:B:STEP"},
	} {
		got, err := ParseFrames(c.spec, c.n)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseFrames(%q, %d) = %v, %v; want the error %q", c.spec, c.n, got, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseFrames(%q, %d) = %v, %v; want %v", c.spec, c.n, got, err, c.want)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		spec string
		want Range
		ok   bool
	}{
		{"auto", Range{}, true},
		{"0,1", Range{0, 1}, true},
		{" -0.5 , 0.25 ", Range{-0.5, 0.25}, true},
		{"1,0", Range{}, false},
		{"1,1", Range{}, false},
		{"0.5", Range{}, false},
		{"a,b", Range{}, false},
		{"0,inf", Range{}, false},
		{"-inf,0", Range{}, false},
		{"nan,1", Range{}, false},
		{"", Range{}, false},
	} {
		got, err := ParseRange(c.spec)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseRange(%q) = %v, %v; want %v and ok %v", c.spec, got, err, c.want, c.ok)
		}
		if err != nil && err.Error() != "want auto or LO,HI with LO < HI" {
			t.Errorf("ParseRange(%q): %v", c.spec, err)
		}
	}
	if !(Range{}).Auto() || (Range{0, 1}).Auto() {
		t.Error("Auto must hold for the zero Range alone")
	}
}

func TestRangeOf(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		name   string
		at     func(i, c int) float32
		frames []int
		want   Range
	}{
		{"min and max of the frames only", func(i, c int) float32 { return float32(10*i + c) }, []int{1, 3}, Range{10, 35}},
		{"NaNs left out", func(i, c int) float32 { return [...]float32{nan, 2, -1, nan, 4, 3}[c] }, []int{0}, Range{-1, 4}},
		{"a uniform field", func(i, c int) float32 { return 0.25 }, []int{0, 2}, Range{0.25, 1.25}},
		{"NaNs only", func(i, c int) float32 { return nan }, []int{0}, Range{0, 1}},
	} {
		src := &images{n: 4, rows: 2, cols: 3, at: c.at}
		var rd Renderer
		got, err := rd.RangeOf(src, c.frames)
		if err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	// A range given is not computed: no image is read.
	src := &images{n: 4, rows: 2, cols: 3}
	rd := Renderer{Range: Range{-1, 1}}
	if got, err := rd.RangeOf(src, []int{0, 1}); err != nil || got != rd.Range || len(src.reads) != 0 {
		t.Errorf("a given range: %v, %v after reading %v", got, err, src.reads)
	}
	errRead := errors.New("unreadable")
	src = &images{n: 4, rows: 2, cols: 3, at: func(i, c int) float32 { return 0 }, fails: map[int]error{2: errRead}}
	if _, err := (&Renderer{}).RangeOf(src, []int{1, 2}); !errors.Is(err, errRead) {
		t.Errorf("a failed read: %v", err)
	}
}

// TestPaint checks every index by hand: 0..1 onto 256 entries, values
// beyond clamped, NaN the first, each cell scale×scale pixels from the
// corner and nothing painted outside.
func TestPaint(t *testing.T) {
	m, _ := colormap.Lookup("gray")
	dst := image.NewPaletted(image.Rect(0, 0, 7, 5), m.Palette())
	for i := range dst.Pix {
		dst.Pix[i] = 77
	}
	field := []float32{0, 0.5, 1, float32(math.NaN()), -1, 2}
	Paint(dst, field, 2, 3, 2, Range{0, 1})
	want := []uint8{
		0, 0, 128, 128, 255, 255, 77,
		0, 0, 128, 128, 255, 255, 77,
		0, 0, 0, 0, 255, 255, 77,
		0, 0, 0, 0, 255, 255, 77,
		77, 77, 77, 77, 77, 77, 77,
	}
	if !slices.Equal(dst.Pix, want) {
		t.Errorf("painted\n%v\nwant\n%v", dst.Pix, want)
	}
}

func TestWritePNG(t *testing.T) {
	src := &images{n: 1, rows: 3, cols: 4, at: func(i, c int) float32 { return float32(c) / 11 }}
	m, _ := colormap.Lookup("viridis")
	img := painted(src, 0, 2, m, Range{0, 1})
	path := filepath.Join(t.TempDir(), "a.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatal(err)
	}
	if ok, where := testutil.SamePixels(testutil.DecodePNG(t, path), img, 0); !ok {
		t.Errorf("the PNG differs at %s", where)
	}
	if err := WritePNG(filepath.Join(t.TempDir(), "missing", "a.png"), img); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a PNG in a missing folder: %v", err)
	}
}
