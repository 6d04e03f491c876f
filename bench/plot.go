package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"grayscott/internal/plural"
	"grayscott/storage"
)

// The two panels' colours are disjoint, so that a colour means one series
// in the whole picture: end to end draws a colour per engine and grid in
// endToEndColors, a marker shape per codec; compute a colour per kernel
// (and the CPU engine) in computeColors, a marker shape per work group
// (or thread count).
var (
	endToEndColors = []color.Color{
		color.RGBA{31, 119, 180, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{44, 160, 44, 255},
		color.RGBA{0, 0, 0, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
	}
	computeColors = []color.Color{
		color.RGBA{255, 127, 14, 255}, color.RGBA{23, 190, 207, 255}, color.RGBA{227, 119, 194, 255},
		color.RGBA{188, 189, 34, 255}, color.RGBA{127, 127, 127, 255}, color.RGBA{255, 187, 120, 255},
	}
	markerShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.CrossGlyph{},
		draw.PlusGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}}
)

// plotLayout places the panels and their legends on a w×h picture: the
// two panels side by side above, each one's legend in the strip below it,
// in as many columns as it needs, so that no legend sits on data.
type plotLayout struct {
	title         vg.Length // the title's baseline
	panels        [2]vg.Rectangle
	legends       [2][]vg.Rectangle // per panel, its legend's columns
	legendEntries int               // entries per legend column
}

func newPlotLayout(w, h vg.Length, entries [2]int) plotLayout {
	const perColumn = 8
	lay := plotLayout{title: h - vg.Points(18), legendEntries: perColumn}
	strip := vg.Points(14*perColumn + 20) // eight entries of 14 pt, and a margin
	half := w / 2
	for i := range 2 {
		x0 := vg.Length(i) * half
		lay.panels[i] = vg.Rectangle{Min: vg.Point{X: x0 + vg.Points(5), Y: strip}, Max: vg.Point{X: x0 + half - vg.Points(10), Y: h - vg.Points(30)}}
		cols := max(1, (entries[i]+perColumn-1)/perColumn)
		cw := (half - vg.Points(40)) / vg.Length(cols)
		for c := range cols {
			left := x0 + vg.Points(30) + vg.Length(c)*cw
			lay.legends[i] = append(lay.legends[i], vg.Rectangle{Min: vg.Point{X: left, Y: vg.Points(8)},
				Max: vg.Point{X: left + cw, Y: strip - vg.Points(12)}})
		}
	}
	return lay
}

// legendEntry is a series' name and how it is drawn.
type legendEntry struct {
	name   string
	thumbs []plot.Thumbnailer
}

// Plot writes a PNG of two panels to path: end-to-end images/s against
// the storage buffer length, a line per engine, grid size and codec (a
// colour per engine and grid, a marker per codec), with the slower stage
// alone dashed; and compute cell-updates/s against grid size, a line per
// kernel and work group (thread count on the CPU). Each panel's legend is
// below it.
func (rep *Report) Plot(path string) error {
	left, leftLegend, err := rep.endToEndPanel()
	if err != nil {
		return err
	}
	right, rightLegend, err := rep.computePanel()
	if err != nil {
		return err
	}
	const w, h = 13 * vg.Inch, 7 * vg.Inch
	lay := newPlotLayout(w, h, [2]int{len(leftLegend), len(rightLegend)})
	img := vgimg.New(w, h)
	dc := draw.New(img)
	for i, p := range []*plot.Plot{left, right} {
		p.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: lay.panels[i]})
	}
	for i, entries := range [][]legendEntry{leftLegend, rightLegend} {
		for c, col := range lay.legends[i] {
			l := plot.NewLegend()
			l.Top, l.Left = true, true
			l.TextStyle.Font.Size = vg.Points(10)
			for _, e := range entries[min(len(entries), c*lay.legendEntries):min(len(entries), (c+1)*lay.legendEntries)] {
				l.Add(e.name, e.thumbs...)
			}
			l.Draw(draw.Canvas{Canvas: dc.Canvas, Rectangle: col})
		}
	}
	title := fmt.Sprintf("grayscott bench · %s · %s · %s per image", rep.Renderer, rep.CPUModel, plural.N(rep.Steps, "step"))
	if rep.Renderer == "" {
		title = fmt.Sprintf("grayscott bench · %s · %s per image", rep.CPUModel, plural.N(rep.Steps, "step"))
	}
	titleFont := plot.DefaultFont
	titleFont.Size = vg.Points(14)
	dc.FillText(draw.TextStyle{Color: color.Black, Font: titleFont, Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter}, vg.Point{X: w / 2, Y: lay.title}, title)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	return f.Close()
}

// endToEndPanel plots images/s against the storage buffer length: a line
// per engine, grid and codec. Its legend names each colour (engine and
// grid) and each marker (codec) once.
func (rep *Report) endToEndPanel() (*plot.Plot, []legendEntry, error) {
	p := plot.New()
	p.Title.Text = "end to end"
	p.X.Label.Text = "storage buffer length (0 = synchronous)"
	p.Y.Label.Text = "images/s (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks125{}
	type run struct {
		engine     string
		rows, cols int
		codec      string
	}
	runs := map[run]plotter.XYs{}
	bound := map[run]float64{}
	var codecs []string // in the order measured
	for _, f := range rep.Figures {
		if f.Stage == "end-to-end" {
			k := run{f.Engine, f.Rows, f.Cols, codecName(f)}
			runs[k] = append(runs[k], plotter.XY{X: float64(f.BufferLen), Y: f.Median})
			bound[k] = f.Limit
			if !slices.Contains(codecs, k.codec) {
				codecs = append(codecs, k.codec)
			}
		}
	}
	keys := make([]run, 0, len(runs))
	for k := range runs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b run) int {
		if a.engine != b.engine {
			return strings.Compare(a.engine, b.engine)
		}
		if a.rows*a.cols != b.rows*b.cols {
			return a.rows*a.cols - b.rows*b.cols
		}
		return slices.Index(codecs, a.codec) - slices.Index(codecs, b.codec)
	})
	var legend []legendEntry
	var colours []string // engine and grid, in the order drawn
	for _, n := range keys {
		xys := runs[n]
		slices.SortFunc(xys, func(a, b plotter.XY) int { return int(a.X - b.X) })
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, nil, err
		}
		name := n.engine + " " + Grid{n.rows, n.cols}.String()
		fresh := !slices.Contains(colours, name)
		if fresh {
			colours = append(colours, name)
		}
		c := endToEndColors[slices.Index(colours, name)%len(endToEndColors)]
		l.Color, pts.Color = c, c
		pts.Shape = markerShapes[slices.Index(codecs, n.codec)%len(markerShapes)]
		pts.Radius = vg.Points(4)
		p.Add(l, pts)
		if fresh {
			legend = append(legend, legendEntry{name, []plot.Thumbnailer{l}})
		}
		lim, _ := plotter.NewLine(plotter.XYs{{X: xys[0].X, Y: bound[n]}, {X: xys[len(xys)-1].X, Y: bound[n]}})
		lim.Color, lim.Dashes = c, []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(lim)
	}
	padLogAxis(&p.Y)
	for i, name := range codecs {
		s, _ := plotter.NewScatter(plotter.XYs{})
		s.Color, s.Shape, s.Radius = color.Gray{Y: 60}, markerShapes[i%len(markerShapes)], vg.Points(4)
		legend = append(legend, legendEntry{name, []plot.Thumbnailer{s}})
	}
	if len(keys) > 0 {
		dashed, _ := plotter.NewLine(plotter.XYs{})
		dashed.Color, dashed.Dashes = color.Gray{Y: 90}, []vg.Length{vg.Points(4), vg.Points(3)}
		legend = append(legend, legendEntry{"slower stage alone", []plot.Thumbnailer{dashed}})
	}
	return p, legend, nil
}

// codecName is a figure's codec as the plot's legend names it: as
// --compression takes it, with the bits kept when fewer than all.
func codecName(f Figure) string {
	name := f.Codec
	if name == "" {
		name = "none"
	}
	if f.KeepBits > 0 && f.KeepBits < storage.LosslessBits {
		name += fmt.Sprintf(", %d bits kept", f.KeepBits)
	}
	return name
}

// computePanel plots G cell-updates/s against the grid's side: a colour
// per kernel (the CPU engine has one too), a marker per work group or
// thread count.
func (rep *Report) computePanel() (*plot.Plot, []legendEntry, error) {
	p := plot.New()
	p.Title.Text = "compute"
	p.X.Label.Text = "grid side (cells; √cells for other shapes)"
	p.Y.Label.Text = "G cell-updates/s (log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = ticks125{}
	series := map[string]plotter.XYs{}
	var names, kernels, shapes []string
	style := map[string][2]int{} // a series' colour and marker
	for _, f := range rep.Figures {
		if f.Stage != "compute" || f.Unit != "cell-updates/s" {
			continue
		}
		kernel, variant := "gpu "+f.Kernel, f.Workgroup
		if f.Engine == "cpu" {
			kernel, variant = "cpu "+f.Kernel, plural.N(f.Threads, "thread")
		}
		k := kernel + " " + variant
		if _, ok := series[k]; !ok {
			names = append(names, k)
			if !slices.Contains(kernels, kernel) {
				kernels = append(kernels, kernel)
			}
			if !slices.Contains(shapes, variant) {
				shapes = append(shapes, variant)
			}
			style[k] = [2]int{slices.Index(kernels, kernel), slices.Index(shapes, variant)}
		}
		series[k] = append(series[k], plotter.XY{X: float64(f.Size), Y: f.Median / 1e9})
	}
	var legend []legendEntry
	for _, k := range names {
		l, pts, err := plotter.NewLinePoints(series[k])
		if err != nil {
			return nil, nil, err
		}
		c := computeColors[style[k][0]%len(computeColors)]
		l.Color, pts.Color = c, c
		pts.Shape = markerShapes[style[k][1]%len(markerShapes)]
		p.Add(l, pts)
		legend = append(legend, legendEntry{k, []plot.Thumbnailer{l, pts}})
	}
	padLogAxis(&p.Y)
	return p, legend, nil
}

// padLogAxis widens a log axis around a single value (one measurement),
// which plot would widen by ±1, below zero.
func padLogAxis(a *plot.Axis) {
	if a.Min == a.Max && a.Min > 0 {
		a.Min, a.Max = a.Min/2, a.Max*2
	}
}

// ticks125 labels a log axis at 1, 2 and 5 times powers of ten, falling
// back to plot's default ticks on a range too narrow for two of them.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || lo <= 0 { // one value (one measurement), where plot's own ticks never end
		return []plot.Tick{{Value: hi, Label: strconv.FormatFloat(hi, 'g', 4, 64)}}
	}
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 4, 64)})
			}
		}
	}
	if len(ts) < 2 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	return ts
}
