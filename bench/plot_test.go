package bench

import (
	"fmt"
	"image/color"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"grayscott/storage"
)

// TestPlotLegendsSitBesideTheData: whatever the number of series, each
// legend column lies in the strip below the panels, inside the picture,
// where no data is drawn.
func TestPlotLegendsSitBesideTheData(t *testing.T) {
	const w, h = 13 * vg.Inch, 7 * vg.Inch
	for _, entries := range [][2]int{{1, 1}, {5, 20}, {9, 40}} {
		lay := newPlotLayout(w, h, entries)
		for i, cols := range lay.legends {
			if want := (entries[i] + lay.legendEntries - 1) / lay.legendEntries; len(cols) != want {
				t.Errorf("%v: panel %d has %d legend columns, want %d", entries, i, len(cols), want)
			}
			for _, col := range cols {
				for _, panel := range lay.panels {
					if overlaps(col, panel) {
						t.Errorf("%v: legend column %v overlaps the panel %v", entries, col, panel)
					}
				}
				if col.Min.X < 0 || col.Max.X > w || col.Min.Y < 0 || col.Max.Y > h {
					t.Errorf("%v: legend column %v leaves the %v×%v picture", entries, col, w, h)
				}
			}
		}
	}
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// TestPlotColoursMeanOneSeries: no colour of the end-to-end panel is used
// in the compute panel, on a report with both engines and two grids.
func TestPlotColoursMeanOneSeries(t *testing.T) {
	rep := &Report{Steps: 2}
	for _, size := range []int{32, 48} {
		for _, e := range []string{"gpu", "cpu"} {
			rep.Figures = append(rep.Figures, Figure{Stage: "end-to-end", Engine: e, Size: size, Rows: size, Cols: size, BufferLen: 0, Median: 10, Limit: 20},
				Figure{Stage: "end-to-end", Engine: e, Size: size, Rows: size, Cols: size, BufferLen: 2, Median: 12, Limit: 20})
		}
		for _, k := range []string{"naive", "column", "block", "tiled"} {
			rep.Figures = append(rep.Figures, Figure{Stage: "compute", Engine: "gpu", Kernel: k, Workgroup: "16x16", Size: size, Unit: "cell-updates/s", Median: 1e9})
		}
		rep.Figures = append(rep.Figures, Figure{Stage: "compute", Engine: "cpu", Kernel: "avx2", Threads: 2, Size: size, Unit: "cell-updates/s", Median: 1e9})
	}
	_, left, err := rep.endToEndPanel()
	if err != nil {
		t.Fatal(err)
	}
	_, right, err := rep.computePanel()
	if err != nil {
		t.Fatal(err)
	}
	colours := func(entries []legendEntry) map[color.RGBA]string {
		m := map[color.RGBA]string{}
		for _, e := range entries {
			for _, th := range e.thumbs {
				if l, ok := th.(*plotter.Line); ok && len(l.Dashes) == 0 {
					r, g, b, a := l.Color.RGBA()
					m[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}] = e.name
				}
			}
		}
		return m
	}
	l, r := colours(left), colours(right)
	if len(l) != 4 || len(r) != 5 {
		t.Fatalf("%d end-to-end colours, %d compute colours; want 4 and 5", len(l), len(r))
	}
	for c, name := range l {
		if other, ok := r[c]; ok {
			t.Errorf("colour %v is %q end to end and %q in compute", c, name, other)
		}
	}
	if err := rep.Plot(filepath.Join(t.TempDir(), "p.png")); err != nil {
		t.Fatal(err)
	}
}

// TestPlotMarksEachCodec: the end-to-end panel draws each codec with its
// own marker, named once in its legend, beside a colour per engine and
// grid.
func TestPlotMarksEachCodec(t *testing.T) {
	rep := &Report{Steps: 2}
	for _, e := range []string{"gpu", "cpu"} {
		for _, c := range []storage.Compression{storage.Deflate(0), storage.Deflate(1), bitshuffle, bitshuffle10} {
			for _, bl := range []int{0, 2} {
				f := Figure{Stage: "end-to-end", Engine: e, Size: 32, Rows: 32, Cols: 32, BufferLen: bl, Median: 10, Limit: 20}
				setCodec(&f, c)
				rep.Figures = append(rep.Figures, f)
			}
		}
	}
	_, legend, err := rep.endToEndPanel()
	if err != nil {
		t.Fatal(err)
	}
	var lines int
	shapes := map[string]string{}
	for _, e := range legend {
		for _, th := range e.thumbs {
			switch th := th.(type) {
			case *plotter.Line:
				if len(th.Dashes) == 0 {
					lines++
				}
			case *plotter.Scatter:
				shape := fmt.Sprintf("%T", th.Shape)
				if other, ok := shapes[shape]; ok {
					t.Errorf("codecs %q and %q share the marker %s", other, e.name, shape)
				}
				shapes[shape] = e.name
			}
		}
	}
	if lines != 2 || len(shapes) != 4 {
		t.Errorf("legend of %d colours (want 2: an engine and grid each) and %d markers (want 4 codecs): %v", lines, len(shapes), shapes)
	}
	for _, want := range []string{"none", "deflate:1", "bitshuffle-lz4", "bitshuffle-lz4, 10 bits kept"} {
		found := false
		for _, name := range shapes {
			found = found || name == want
		}
		if !found {
			t.Errorf("no marker for %q in the legend: %v", want, shapes)
		}
	}
}
