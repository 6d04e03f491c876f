package serve

import (
	"image"
	"image/draw"
	"os"
	"time"

	"grayscott/colormap"
	"grayscott/render"
	"grayscott/storage/h5"
)

// Sweep is a sweep's folder as its page shows it: each point's state and
// a live mosaic of their newest images. While a page watches, the Server
// reads every point's file every Interval (its status through h5.Status,
// its newest image when there is a new one).
type Sweep struct {
	d *sweepDir

	// The Server's loop goroutine only.
	st      Status
	last    []pointImage // per point: its newest image read
	version int          // counts the mosaic's changes
	painted int          // the version last painted
	read    bool
}

// pointImage is the newest image read of a point.
type pointImage struct {
	v          []float32
	rows, cols int
	index      int // in its file, -1 for none
}

var _ Source = (*Sweep)(nil)

// mosaicTile is the most pixels a tile spans; mosaicGap separates tiles.
const (
	mosaicTile = 128
	mosaicGap  = 6
)

// NewSweep reads the manifest of the sweep in dir.
func NewSweep(dir string) (*Sweep, error) {
	d, err := readSweepDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Sweep{d: d, last: make([]pointImage, d.points()), painted: -1}
	for i := range s.last {
		s.last[i].index = -1
	}
	s.st = Status{Kind: "sweep", Output: d.dir(), State: StateRunning, ETAS: -1, ImageShown: -1}
	return s, nil
}

func (s *Sweep) ended() <-chan struct{} { return nil }

func (s *Sweep) update(now time.Time, watched bool) {
	if !watched && s.read {
		return
	}
	s.read = true
	st := Status{Kind: "sweep", Output: s.d.dir(), ETAS: -1, Field: "V", Counts: counts{}}
	rows, cols, rowLabels, colLabels := s.d.layout()
	m := &Mosaic{Rows: rows, Cols: cols, Gap: mosaicGap, RowLabels: rowLabels, ColLabels: colLabels}
	states, details := s.d.states()
	for i := range states {
		p := Point{Index: i, Label: s.d.label(i), File: s.d.path(i), Row: i / cols, Col: i % cols, State: states[i], Detail: details[i]}
		p.Images, p.ImagesTotal = s.readPoint(i)
		st.Points = append(st.Points, p)
		st.Counts[p.State]++
		st.ImagesDone += p.Images
		st.ImagesTotal += max(p.Images, p.ImagesTotal)
		if w, h := tileSize(s.last[i]); w > 0 {
			m.TileW, m.TileH = max(m.TileW, w), max(m.TileH, h)
		}
	}
	m.TileW, m.TileH = max(m.TileW, mosaicTile/2), max(m.TileH, mosaicTile/2)
	m.Lo, m.Hi = s.mosaicRange()
	st.Mosaic = m
	st.State = StateRunning
	if st.Counts["done"] == s.d.points() {
		st.State = StateCompleted
	}
	s.st = st
}

// readPoint reads point i's file, when there is one: its images so far
// and in all (0 when unknown) and, when there is a new one, its newest
// image.
func (s *Sweep) readPoint(i int) (images, total int) {
	path := s.d.path(i)
	if _, err := os.Stat(path); err != nil {
		return 0, 0
	}
	r, err := h5.Open(path)
	if err != nil {
		return 0, 0
	}
	defer r.Close()
	images, rows, cols := r.Shape()
	if p, err := r.Params(); err == nil {
		total = p.Images
	}
	last := &s.last[i]
	if images > 0 && images-1 != last.index {
		v := make([]float32, rows*cols)
		if err := r.ReadFrame(images-1, v); err == nil {
			*last = pointImage{v: v, rows: rows, cols: cols, index: images - 1}
			s.version++
		}
	}
	return images, total
}

// tileSize is the size of a point's tile: its grid, every step-th cell,
// each cell scale×scale pixels, within mosaicTile pixels.
func tileSize(p pointImage) (w, h int) {
	step, scale := tileScale(p)
	if step == 0 {
		return 0, 0
	}
	return (p.cols + step - 1) / step * scale, (p.rows + step - 1) / step * scale
}

func tileScale(p pointImage) (step, scale int) {
	n := max(p.rows, p.cols)
	if n == 0 {
		return 0, 0
	}
	return max(1, (n+mosaicTile-1)/mosaicTile), max(1, mosaicTile/n)
}

// mosaicRange is the range all tiles share, so that they compare: 0 to the
// largest V, as the sweep's mosaic.png.
func (s *Sweep) mosaicRange() (lo, hi float32) {
	for _, p := range s.last {
		for _, x := range p.v {
			hi = max(hi, x)
		}
	}
	if hi <= 0 {
		hi = 1
	}
	return 0, hi
}

func (s *Sweep) status() Status { return s.st }

// picture paints the mosaic when an image changed since the last one.
func (s *Sweep) picture(shown int, cmap *colormap.Map) (image.Image, int, error) {
	if s.version == s.painted && shown == s.painted || s.st.Mosaic == nil {
		return nil, shown, nil
	}
	m := s.st.Mosaic
	img := image.NewRGBA(image.Rect(0, 0, m.Cols*(m.TileW+mosaicGap)-mosaicGap, m.Rows*(m.TileH+mosaicGap)-mosaicGap))
	rng := render.Range{Lo: m.Lo, Hi: m.Hi}
	for i, p := range s.last {
		step, scale := tileScale(p)
		if p.index < 0 || step == 0 {
			continue
		}
		rows, cols := (p.rows+step-1)/step, (p.cols+step-1)/step
		small := make([]float32, 0, rows*cols)
		for r := 0; r < p.rows; r += step {
			for c := 0; c < p.cols; c += step {
				small = append(small, p.v[r*p.cols+c])
			}
		}
		tile := image.NewPaletted(image.Rect(0, 0, cols*scale, rows*scale), cmap.Palette())
		render.Paint(tile, small, rows, cols, scale, rng)
		x, y := (i%m.Cols)*(m.TileW+mosaicGap), (i/m.Cols)*(m.TileH+mosaicGap)
		draw.Draw(img, tile.Bounds().Add(image.Pt(x, y)), tile, image.Point{}, draw.Src)
	}
	s.painted = s.version
	return img, s.version, nil
}
