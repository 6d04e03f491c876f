package sweep

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"grayscott/colormap"
	"grayscott/storage/h5"
)

// lastImage reads the last image of a point's file.
func lastImage(path string) (v []float32, rows, cols, images int, err error) {
	r, err := h5.Open(path)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	defer r.Close()
	images, rows, cols = r.Shape()
	if images == 0 {
		return nil, rows, cols, 0, fmt.Errorf("%s holds no image", path)
	}
	v = make([]float32, rows*cols)
	if err := r.ReadFrame(images-1, v); err != nil {
		return nil, 0, 0, 0, err
	}
	return v, rows, cols, images, nil
}

// writeSummary writes summary.csv (a line per point: its parameters,
// state and statistics of V in its last image) and mosaic.png, both
// atomically.
func (sw *Sweep) writeSummary() error {
	dir, m := sw.Dir, sw.Manifest
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"index"}
	for _, a := range m.Axes {
		header = append(header, a.Flag)
	}
	w.Write(append(header, "file", "state", "images", "v_min", "v_max", "v_mean", "v_fraction_above_0.1"))
	last := make([][]float32, len(m.Points))
	shapes := make([]gridShape, len(m.Points))
	found := false
	states := sw.states(Queue{})
	for i, p := range m.Points {
		rec := append([]string{strconv.Itoa(i)}, p.Values...)
		rec = append(rec, p.File, string(states[i].State))
		v, r, c, n, err := lastImage(filepath.Join(dir, p.File))
		if err != nil {
			w.Write(append(rec, "0", "", "", "", ""))
			continue
		}
		last[i], shapes[i], found = v, gridShape{r, c}, true
		lo, hi, sum, above := v[0], v[0], 0.0, 0
		for _, x := range v {
			lo, hi = min(lo, x), max(hi, x)
			sum += float64(x)
			if x > 0.1 {
				above++
			}
		}
		f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
		w.Write(append(rec, strconv.Itoa(n), f(float64(lo)), f(float64(hi)), f(sum/float64(len(v))), f(float64(above)/float64(len(v)))))
	}
	w.Flush()
	if err := writeAtomic(filepath.Join(dir, "summary.csv"), buf.Bytes()); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no point has an image to put in the mosaic")
	}
	img, err := drawMosaic(m, last, shapes)
	if err != nil {
		return err
	}
	var pngBuf bytes.Buffer
	if err := png.Encode(&pngBuf, img); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "mosaic.png"), pngBuf.Bytes())
}

// gridShape is a point's grid (points may differ: a sweep over --nbrow).
type gridShape struct{ rows, cols int }

// tileSize is the size in pixels of a rows×cols image scaled (nearest
// cell) to fit mosaicTile pixels.
func tileSize(s gridShape) (w, h int) {
	scale := float64(mosaicTile) / float64(max(s.rows, s.cols))
	return max(1, int(float64(s.cols)*scale)), max(1, int(float64(s.rows)*scale))
}

// mosaicGeometry places the tiles of a mosaic: one column per value of
// the last axis, one row per combination of the others (one row when there
// is one axis); each cell of the layout holds the largest tile.
type mosaicGeometry struct {
	rows, cols    int // tiles
	tileW, tileH  int // pixels
	left, top     int // margins holding the labels
	barTop        int // the colour bar's strip, below the tiles
	width, height int
}

const (
	mosaicTile = 128
	mosaicGap  = 6
	glyphW     = 7 // basicfont.Face7x13
	lineH      = 15
	barH       = 10 // the colour bar's strip; its values' line below it
)

func newMosaicGeometry(m *Manifest, shapes []gridShape) mosaicGeometry {
	g := mosaicGeometry{cols: len(m.Axes[len(m.Axes)-1].Values)}
	g.rows = len(m.Points) / g.cols
	for _, s := range shapes {
		if s.rows > 0 {
			w, h := tileSize(s)
			g.tileW, g.tileH = max(g.tileW, w), max(g.tileH, h)
		}
	}
	longest := 0
	for r := range g.rows {
		longest = max(longest, len(mosaicRowLabel(m, r)))
	}
	g.left = longest*glyphW + 2*mosaicGap
	g.top = 2*lineH + mosaicGap
	g.width = g.left + g.cols*(g.tileW+mosaicGap)
	g.barTop = g.top + g.rows*(g.tileH+mosaicGap) + mosaicGap
	g.height = g.barTop + barH + lineH + mosaicGap
	return g
}

// tileAt returns the top-left pixel of point i's tile.
func (g mosaicGeometry) tileAt(i int) (x, y int) {
	return g.left + (i%g.cols)*(g.tileW+mosaicGap), g.top + (i/g.cols)*(g.tileH+mosaicGap)
}

// cellAt returns the cell of a grid of shape s that pixel (px, py) of its
// tile shows.
func cellAt(px, py int, s gridShape) (row, col int) {
	w, h := tileSize(s)
	return min(s.rows-1, py*s.rows/h), min(s.cols-1, px*s.cols/w)
}

func mosaicRowLabel(m *Manifest, r int) string {
	if len(m.Axes) == 1 {
		return ""
	}
	cols := len(m.Axes[len(m.Axes)-1].Values)
	p := m.Points[r*cols]
	var parts []string
	for j, a := range m.Axes[:len(m.Axes)-1] {
		parts = append(parts, a.Flag+" "+p.Values[j])
	}
	return strings.Join(parts, ", ")
}

// mosaicRange is the value range every tile shares: 0 to the largest V.
func mosaicRange(last [][]float32) (lo, hi float32) {
	for _, v := range last {
		for _, x := range v {
			hi = max(hi, x)
		}
	}
	if hi <= 0 {
		hi = 1
	}
	return 0, hi
}

func drawMosaic(m *Manifest, last [][]float32, shapes []gridShape) (*image.RGBA, error) {
	cmap, err := colormap.Lookup(colormap.Default)
	if err != nil {
		return nil, err
	}
	g := newMosaicGeometry(m, shapes)
	img := image.NewRGBA(image.Rect(0, 0, g.width, g.height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	lo, hi := mosaicRange(last)
	table := cmap.Table()
	for i, v := range last {
		x0, y0 := g.tileAt(i)
		if v == nil { // no image: a grey tile
			draw.Draw(img, image.Rect(x0, y0, x0+g.tileW, y0+g.tileH), image.NewUniform(color.Gray{Y: 200}), image.Point{}, draw.Src)
			continue
		}
		s := shapes[i]
		w, h := tileSize(s)
		for py := range h {
			for px := range w {
				r, c := cellAt(px, py, s)
				rgb := table[colormap.Index(v[r*s.cols+c], lo, hi)]
				img.SetRGBA(x0+px, y0+py, color.RGBA{rgb[0], rgb[1], rgb[2], 255})
			}
		}
	}
	text := func(x, y int, s string) {
		d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	lastAxis := m.Axes[len(m.Axes)-1]
	title := "columns: " + lastAxis.Flag
	if len(m.Axes) > 1 {
		var names []string
		for _, a := range m.Axes[:len(m.Axes)-1] {
			names = append(names, a.Flag)
		}
		title = "rows: " + strings.Join(names, ", ") + "; " + title
	}
	text(mosaicGap, lineH-3, fmt.Sprintf("%s; V from %.3g to %.3g", title, lo, hi))
	for c, val := range lastAxis.Values {
		x, _ := g.tileAt(c)
		text(x+max(0, (g.tileW-len(val)*glyphW)/2), 2*lineH-3, val)
	}
	for r := range g.rows {
		_, y := g.tileAt(r * g.cols)
		text(mosaicGap, y+g.tileH/2+4, mosaicRowLabel(m, r))
	}
	// The colour bar under the tiles: the colormap from lo (left) to hi.
	x0, x1 := g.left, g.width-mosaicGap
	for x := x0; x < x1; x++ {
		rgb := table[(x-x0)*255/max(1, x1-x0-1)]
		for y := g.barTop; y < g.barTop+barH; y++ {
			img.SetRGBA(x, y, color.RGBA{rgb[0], rgb[1], rgb[2], 255})
		}
	}
	loText, hiText := fmt.Sprintf("V %.3g", lo), fmt.Sprintf("%.3g", hi)
	text(x0, g.barTop+barH+lineH-3, loText)
	text(x1-len(hiText)*glyphW, g.barTop+barH+lineH-3, hiText)
	return img, nil
}
