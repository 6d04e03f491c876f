package sweep

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"grayscott/colormap"
	"grayscott/internal/testutil"
	"grayscott/storage/h5/h5test"
)

// TestSummaryAndMosaic: summary.csv has a line per point (its values,
// state and images), and the mosaic shows each point's last image in its
// own tile, on the parameters' grid, pixel for pixel.
func TestSummaryAndMosaic(t *testing.T) {
	sw, _ := prepare(t, "--feedrate", "0.03,0.04", "--killrate", "0.055:0.06:2")
	if err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(sw.Dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 5 || recs[0][1] != "feedrate" || recs[0][2] != "killrate" {
		t.Fatalf("summary.csv: %v %q", err, recs)
	}
	for i, rec := range recs[1:] {
		p := sw.Manifest.Points[i]
		if rec[1] != p.Values[0] || rec[2] != p.Values[1] || rec[3] != p.File || rec[4] != "done" || rec[5] != "3" {
			t.Errorf("summary line %d: %q", i, rec)
		}
	}
	g := checkMosaic(t, sw, []gridShape{{12, 16}, {12, 16}, {12, 16}, {12, 16}})
	if g.rows != 2 || g.cols != 2 {
		t.Errorf("%d×%d tiles, want 2×2", g.rows, g.cols)
	}
}

// TestMosaicOverGridSizes: points of different grids each get a tile of
// their own shape.
func TestMosaicOverGridSizes(t *testing.T) {
	sw, _ := prepare(t, "--nbrow", "12,30", "--nbcol", "20")
	if err := sw.Run(context.Background(), &Local{}, Settings{Scheduler: "local"}, false); err != nil {
		t.Fatal(err)
	}
	checkMosaic(t, sw, []gridShape{{12, 20}, {30, 20}})
}

// checkMosaic checks pixels of each tile of the sweep's mosaic against the
// last image of its point's file (shapes: the points' grids), and returns
// the mosaic's geometry.
func checkMosaic(t *testing.T, sw *Sweep, shapes []gridShape) mosaicGeometry {
	t.Helper()
	img := testutil.DecodePNG(t, filepath.Join(sw.Dir, "mosaic.png"))
	var last [][]float32
	for _, p := range sw.Manifest.Points {
		images := h5test.ReadImages(t, filepath.Join(sw.Dir, p.File))
		last = append(last, images[len(images)-1])
	}
	g := newMosaicGeometry(sw.Manifest, shapes)
	if img.Bounds().Dx() != g.width || img.Bounds().Dy() != g.height {
		t.Fatalf("mosaic %v, want %d×%d", img.Bounds(), g.width, g.height)
	}
	lo, hi := mosaicRange(last)
	cmap, _ := colormap.Lookup(colormap.Default)
	for i, s := range shapes {
		x0, y0 := g.tileAt(i)
		w, h := tileSize(s)
		for _, px := range [][2]int{{0, 0}, {w / 2, h / 2}, {w - 1, h - 1}, {w / 3, 2 * h / 3}} {
			r, c := min(s.rows-1, px[1]*s.rows/h), min(s.cols-1, px[0]*s.cols/w) // nearest cell, by hand
			want := cmap.Table()[colormap.Index(last[i][r*s.cols+c], lo, hi)]
			cr, cg, cb, _ := img.At(x0+px[0], y0+px[1]).RGBA()
			if [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)} != want {
				t.Errorf("tile %d (%d×%d) pixel %v: colour %d,%d,%d, want %v", i, s.rows, s.cols, px, cr>>8, cg>>8, cb>>8, want)
			}
		}
	}
	// The colour bar runs through the colormap from the left, under the tiles.
	for _, end := range []struct{ x, entry int }{{g.left, 0}, {g.width - mosaicGap - 1, 255}} {
		cr, cg, cb, _ := img.At(end.x, g.barTop+barH/2).RGBA()
		if want := cmap.Table()[end.entry]; [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)} != want {
			t.Errorf("colour bar at x=%d: %d,%d,%d, want entry %d %v", end.x, cr>>8, cg>>8, cb>>8, end.entry, want)
		}
	}
	return g
}
