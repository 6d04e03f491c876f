//go:build !nowindow

package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"time"

	"grayscott/gpu"
	"grayscott/gpu/window"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
)

// windowViewer is the preview window: it steps the simulation between
// draws and turns keys and mouse into changes of the run.
type windowViewer struct {
	win          *window.Window
	cfg          *runConfig
	log          *slog.Logger
	eng          engine                   // set by run; steered (presets, painting) and drawn
	host         struct{ u, v []float32 } // the fields of an engine on the CPU, uploaded to draw
	stepsPerDraw int
	adaptive     bool
	preset       int // index into sim.Presets, -1 for the flags' F and k
	interactions []string
	pl           *pipeline.Pipeline

	titleAt    time.Time
	titleSteps int64
	totalSteps int64
}

func openViewer(cfg *runConfig, log *slog.Logger) (viewer, *gpu.Context, error) {
	p := cfg.pipe.Params
	w, err := window.Open(p.Rows, p.Cols, window.Options{Title: "grayscott", Debug: cfg.verbose})
	if err != nil {
		if errors.Is(err, window.ErrNoDisplay) {
			return nil, nil, usagef("--window: %v", err)
		}
		return nil, nil, err
	}
	v := &windowViewer{win: w, cfg: cfg, log: log, stepsPerDraw: max(1, cfg.stepsPerDraw), adaptive: cfg.stepsPerDraw == 0, preset: -1}
	for i, p := range sim.Presets {
		if p.Name == cfg.preset {
			v.preset = i
		}
	}
	return v, w.Context(), nil
}

func (v *windowViewer) close() { v.win.Close() }

func (v *windowViewer) run(ctx context.Context, pl *pipeline.Pipeline, e engine) (stop, err error) {
	v.eng, v.pl = e, pl
	if v.cfg.interactions != "" { // a resumed file's log goes on
		v.interactions = strings.Split(v.cfg.interactions, "; ")
	}
	v.titleAt = time.Now()
	for {
		quit, ferr := v.frame(ctx, pl)
		if ferr != nil {
			err = ferr
			break
		}
		if quit {
			if !pl.Done() {
				stop = errWindowClosed
			}
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	if ferr := v.finish(pl); err == nil {
		err = ferr
	}
	return stop, err
}

// finish ends a windowed run before the pipeline closes: the images
// already computed are delivered and the screenshot (--screenshot) shows
// them. The changes made in the window are in the file already (note).
func (v *windowViewer) finish(pl *pipeline.Pipeline) error {
	var err error
	if derr := pl.Drain(); derr == nil && v.cfg.screenshot != "" {
		img, serr := v.draw(true)
		if serr == nil {
			serr = writePNG(v.cfg.screenshot, img)
		}
		err = serr
	}
	return err
}

// frame handles input, advances the simulation and draws once. It reports
// quit when the user asked to, or when every image is done. A failure of
// the pipeline stops the loop too (quit); Close reports it.
func (v *windowViewer) frame(ctx context.Context, pl *pipeline.Pipeline) (quit bool, err error) {
	a := v.win.Poll()
	if a.Quit {
		return true, nil
	}
	if a.StepsFactor != 1 {
		v.stepsPerDraw = min(max(1, int(float64(v.stepsPerDraw)*a.StepsFactor)), 1<<16)
		v.adaptive = false
	}
	image := pl.Queued()
	p := v.cfg.pipe.Params
	if a.Reset {
		if err := pl.SetState(sim.InitialState(p.Rows, p.Cols), 0); err != nil {
			return true, nil
		}
		v.note("image %d: reset to the initial state", image)
	}
	if a.NextPreset {
		v.preset = (v.preset + 1) % len(sim.Presets)
		pr := sim.Presets[v.preset]
		if err := pl.SetRates(pr.Feed, pr.Kill); err != nil {
			return false, err
		}
		v.note("image %d: preset %s (F %g, k %g)", image, pr.Name, pr.Feed, pr.Kill)
	}
	if len(a.Paints) > 0 {
		radius := max(2, 0.03*float32(min(p.Rows, p.Cols)))
		for _, pt := range a.Paints {
			if err := v.eng.Paint(pt[0], pt[1], radius); err != nil {
				return false, err
			}
		}
		v.note("image %d: painted", image)
	}
	if !v.win.Paused() && !pl.Done() {
		start := time.Now()
		before := v.eng.Steps()
		if pl.Advance(ctx, v.stepsPerDraw) != nil {
			return true, nil // cancelled, or storage failed: the pipeline keeps why
		}
		v.totalSteps += v.eng.Steps() - before
		if v.adaptive { // aim at a draw every 8–25 ms
			switch took := time.Since(start); {
			case took < 8*time.Millisecond && v.stepsPerDraw < 1<<16:
				v.stepsPerDraw *= 2
			case took > 25*time.Millisecond && v.stepsPerDraw > 1:
				v.stepsPerDraw /= 2
			}
		}
	} else {
		time.Sleep(15 * time.Millisecond) // nothing to compute: do not spin
	}
	img, err := v.draw(a.Screenshot)
	if err != nil {
		return false, err
	}
	if a.Screenshot {
		name := fmt.Sprintf("grayscott-%s.png", time.Now().Format("20060102-150405.000"))
		if err := writePNG(name, img); err != nil {
			v.log.Warn("screenshot failed", "err", err)
		} else {
			v.log.Info("screenshot saved", "file", name)
		}
	}
	v.updateTitle(pl)
	return pl.Done(), nil
}

// draw shows the engine's fields: the GPU simulator's buffers directly (it
// runs on the window's context), or a CPU engine's fields uploaded first.
func (v *windowViewer) draw(shot bool) (*image.RGBA, error) {
	if s, ok := v.eng.(*gpu.Simulator); ok {
		return v.win.Draw(s, shot)
	}
	n := v.cfg.pipe.Params.Cells()
	var u, f []float32
	if v.win.ShowsU() {
		if v.host.u == nil {
			v.host.u = make([]float32, n)
		}
		u = v.host.u
		if err := v.eng.ReadU(u); err != nil {
			return nil, err
		}
	} else {
		if v.host.v == nil {
			v.host.v = make([]float32, n)
		}
		f = v.host.v
		if err := v.eng.ReadV(f); err != nil {
			return nil, err
		}
	}
	fields, err := v.win.Upload(u, f)
	if err != nil {
		return nil, err
	}
	return v.win.Draw(fields, shot)
}

// note records a change made in the window in the file's
// interactive_changes at once, in order with the images (a crash keeps
// it); a failure to record it is the pipeline's, reported at Close.
func (v *windowViewer) note(format string, args ...any) {
	v.interactions = append(v.interactions, fmt.Sprintf(format, args...))
	v.pl.Record(storage.Attr{Name: "interactive_changes", Value: strings.Join(v.interactions, "; ")})
}

// updateTitle shows steps/s, the step count, F and k and the queue's fill,
// twice a second.
func (v *windowViewer) updateTitle(pl *pipeline.Pipeline) {
	el := time.Since(v.titleAt)
	if el < 500*time.Millisecond {
		return
	}
	rate := float64(v.totalSteps-v.titleSteps) / el.Seconds()
	v.titleAt, v.titleSteps = time.Now(), v.totalSteps
	p := v.cfg.pipe.Params
	p.Feed, p.Kill = pl.Rates()
	q, c := pl.QueueLen()
	state := ""
	if v.win.Paused() {
		state = " · paused"
	}
	if pl.WaitingForStorage() {
		state += " · waiting for storage"
	}
	v.win.SetTitle(fmt.Sprintf("grayscott · %.0f steps/s · step %d · F %.4g k %.4g · image %d/%d · queue %d/%d · %s%s",
		rate, v.eng.Steps(), p.Feed, p.Kill, pl.Delivered(), pl.Images(), q, c, v.win.Colormap(), state))
}
