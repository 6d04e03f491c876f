package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"grayscott/internal/plural"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var plotColors = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// Plot writes a PNG of two panels to path: end-to-end images/s against
// the storage buffer length, a line per grid size, with the slower stage
// alone dashed; and compute cell-updates/s against grid size, a line per
// kernel and work group.
func (rep *Report) Plot(path string) error {
	left := plot.New()
	left.Title.Text = "end to end"
	left.X.Label.Text = "storage buffer length (0 = synchronous)"
	left.Y.Label.Text = "images/s (log scale)"
	left.Y.Scale = plot.LogScale{}
	left.Y.Tick.Marker = ticks125{}
	type run struct {
		engine     string
		rows, cols int
	}
	runs := map[run]plotter.XYs{}
	bound := map[run]float64{}
	for _, f := range rep.Figures {
		if f.Stage == "end-to-end" {
			k := run{f.Engine, f.Rows, f.Cols}
			runs[k] = append(runs[k], plotter.XY{X: float64(f.BufferLen), Y: f.Median})
			bound[k] = f.Limit
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
		return a.rows*a.cols - b.rows*b.cols
	})
	for i, n := range keys {
		xys := runs[n]
		slices.SortFunc(xys, func(a, b plotter.XY) int { return int(a.X - b.X) })
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return err
		}
		c := plotColors[i%len(plotColors)]
		l.Color, pts.Color = c, c
		left.Add(l, pts)
		left.Legend.Add(n.engine+" "+Grid{n.rows, n.cols}.String(), l, pts)
		lim, _ := plotter.NewLine(plotter.XYs{{X: xys[0].X, Y: bound[n]}, {X: xys[len(xys)-1].X, Y: bound[n]}})
		lim.Color, lim.Dashes = c, []vg.Length{vg.Points(4), vg.Points(3)}
		left.Add(lim)
	}
	left.Legend.Add("slower stage alone (dashed)")

	right := plot.New()
	right.Title.Text = "compute"
	right.X.Label.Text = "grid side (cells; √cells for other shapes)"
	right.Y.Label.Text = "G cell-updates/s (log scale)"
	right.Y.Scale = plot.LogScale{}
	right.Y.Tick.Marker = ticks125{}
	right.Legend.Top = true
	right.Legend.Left = true
	series := map[string]plotter.XYs{}
	var names []string
	for _, f := range rep.Figures {
		if f.Stage == "compute" && f.Unit == "cell-updates/s" {
			k := "gpu " + f.Kernel + " " + f.Workgroup
			if f.Engine == "cpu" {
				k = fmt.Sprintf("cpu %s %s", f.Kernel, plural.N(f.Threads, "thread"))
			}
			if _, ok := series[k]; !ok {
				names = append(names, k)
			}
			series[k] = append(series[k], plotter.XY{X: float64(f.Size), Y: f.Median / 1e9})
		}
	}
	for i, k := range names {
		l, pts, err := plotter.NewLinePoints(series[k])
		if err != nil {
			return err
		}
		c := plotColors[i%len(plotColors)]
		l.Color, pts.Color = c, c
		right.Add(l, pts)
		right.Legend.Add(k, l, pts)
	}

	const w, h = 12 * vg.Inch, 5 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadTop: vg.Points(30), PadBottom: vg.Points(5), PadLeft: vg.Points(5), PadRight: vg.Points(10)}
	canvases := plot.Align([][]*plot.Plot{{left, right}}, tiles, dc)
	left.Draw(canvases[0][0])
	right.Draw(canvases[0][1])
	title := fmt.Sprintf("grayscott bench · %s · %s · %d steps per image", rep.Renderer, rep.CPUModel, rep.Steps)
	if rep.Renderer == "" {
		title = fmt.Sprintf("grayscott bench · %s · %d steps per image", rep.CPUModel, rep.Steps)
	}
	titleFont := plot.DefaultFont
	titleFont.Size = vg.Points(14)
	dc.FillText(draw.TextStyle{Color: color.Black, Font: titleFont, Handler: plot.DefaultTextHandler,
		XAlign: draw.XCenter}, vg.Point{X: w / 2, Y: h - vg.Points(18)}, title)

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

// ticks125 labels a log axis at 1, 2 and 5 times powers of ten, falling
// back to plot's default ticks on a range too narrow for two of them.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
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
