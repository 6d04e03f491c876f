package serve

import (
	"image"
	"time"

	"grayscott/colormap"
	"grayscott/render"
)

// paintField paints a rows×cols field as grayscott render paints one
// image into a PNG: through cmap, over the field's own range (render's
// auto range of that image alone), a pixel per cell.
func paintField(field []float32, rows, cols int, cmap *colormap.Map) (*image.Paletted, error) {
	rd := render.Renderer{Colormap: cmap}
	rng, err := rd.RangeOf(oneImage{field, rows, cols}, []int{0})
	if err != nil {
		return nil, err
	}
	img := image.NewPaletted(image.Rect(0, 0, cols, rows), cmap.Palette())
	render.Paint(img, field, rows, cols, 1, rng)
	return img, nil
}

// oneImage is a field as render.Images: a stack of one.
type oneImage struct {
	v          []float32
	rows, cols int
}

func (o oneImage) Shape() (int, int, int) { return 1, o.rows, o.cols }

func (o oneImage) ReadFrame(_ int, dst []float32) error { copy(dst, o.v); return nil }

// progress keeps what steps/s and the time left are computed from: the
// images done at each update over the last window.
type progress struct {
	start time.Time
	hist  []Sample
}

const rateWindow = 10 * time.Second

// add records the images done now and returns the sample's time.
func (p *progress) add(now time.Time, images int) float64 {
	if p.start.IsZero() {
		p.start = now
	}
	t := now.Sub(p.start).Seconds()
	p.hist = append(p.hist, Sample{T: t, Images: images})
	for len(p.hist) > 2 && t-p.hist[1].T > rateWindow.Seconds() {
		p.hist = p.hist[1:]
	}
	return t
}

// rate returns the steps per second over the window and the time left at
// that pace, -1 when unknown.
func (p *progress) rate(stepsPerImage, total int) (stepsPerS, etaS float64) {
	if len(p.hist) < 2 {
		return 0, -1
	}
	first, last := p.hist[0], p.hist[len(p.hist)-1]
	dt := last.T - first.T
	imagesPerS := float64(last.Images-first.Images) / dt
	if dt <= 0 || imagesPerS <= 0 {
		return 0, -1
	}
	return imagesPerS * float64(stepsPerImage), float64(total-last.Images) / imagesPerS
}
