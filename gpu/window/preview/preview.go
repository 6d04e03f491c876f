//go:build !nowindow

// Package preview drives a run with the preview window (package
// gpu/window): between draws it advances the pipeline, and it turns keys
// and the mouse into changes of the run (pause, steps per draw, reset,
// presets, painting, screenshots), each recorded in the file's
// interactive_changes as it happens. Built with -tags nowindow it opens
// no window (Open fails) and links no X11 library.
//
// Everything here runs on the goroutine that drives the pipeline (the
// caller of Run); the window's GL calls go to its context's own thread.
// The GPU engine draws straight from its buffers on the window's context;
// a CPU engine's fields are uploaded first.
package preview

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"strings"
	"time"

	"grayscott/engine"
	"grayscott/gpu"
	"grayscott/gpu/window"
	"grayscott/pipeline"
	"grayscott/render"
	"grayscott/sim"
	"grayscott/storage"
)

// ErrNoDisplay is window.ErrNoDisplay: there is no display to open on.
var ErrNoDisplay = window.ErrNoDisplay

// Viewer is an open preview window.
type Viewer struct {
	win          *window.Window
	opts         Options
	p            sim.Params
	eng          engine.Engine
	pl           *pipeline.Pipeline
	host         struct{ u, v []float32 } // a CPU engine's fields, uploaded to draw
	stepsPerDraw int
	adaptive     bool
	preset       int // index into sim.Presets, -1 for the flags' F and k
	changes      []string

	titleAt    time.Time
	titleSteps int64
	totalSteps int64
}

// Open opens a window sized for p's grid. Its GL context (Context) is the
// one to make the engine on, so that the GPU engine draws without a
// readback. Close releases both.
func Open(p sim.Params, o Options) (*Viewer, error) {
	w, err := window.Open(p.Rows, p.Cols, window.Options{Title: "grayscott", Debug: o.Debug})
	if err != nil {
		return nil, err
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	v := &Viewer{win: w, opts: o, p: p, stepsPerDraw: max(1, o.StepsPerDraw), adaptive: o.StepsPerDraw == 0, preset: -1}
	for i, pr := range sim.Presets {
		if pr.Name == o.Preset {
			v.preset = i
		}
	}
	if o.Changes != "" { // a resumed file's log goes on
		v.changes = strings.Split(o.Changes, "; ")
	}
	return v, nil
}

// Context is the window's GL context.
func (v *Viewer) Context() *gpu.Context { return v.win.Context() }

// Close closes the window and its context (after the engine's release).
func (v *Viewer) Close() { v.win.Close() }

// Run replaces Pipeline.Run: it steps, draws and handles input until the
// images are done, the user quits (stop is ErrClosed) or ctx is cancelled
// (the pipeline records the interruption, as a headless run's does). err
// is the view's own failure; the pipeline keeps its own errors for Close.
// The images computed are delivered, and the screenshot taken, before it
// returns.
func (v *Viewer) Run(ctx context.Context, pl *pipeline.Pipeline, e engine.Engine) (stop, err error) {
	v.eng, v.pl = e, pl
	v.titleAt = time.Now()
	for !pl.Done() {
		if ctx.Err() != nil {
			pl.Advance(ctx, 1) // records why the run stops, as Pipeline.Run does
			break
		}
		quit, ended, ferr := v.frame(ctx)
		if ferr != nil {
			err = ferr
			break
		}
		if quit {
			stop = ErrClosed
			break
		}
		if ended { // the pipeline failed or was cancelled: it knows why
			break
		}
	}
	if ferr := v.finish(); err == nil {
		err = ferr
	}
	return stop, err
}

// finish delivers the images already computed and saves the screenshot
// (Options.Screenshot) of them.
func (v *Viewer) finish() error {
	if v.pl.Drain() != nil || v.opts.Screenshot == "" {
		return nil
	}
	img, err := v.draw(true)
	if err != nil {
		return err
	}
	return render.WritePNG(v.opts.Screenshot, img)
}

// frame handles input, advances the simulation and draws once. quit says
// the user asked to stop; ended that the pipeline stopped (cancelled, or
// storage failed).
func (v *Viewer) frame(ctx context.Context) (quit, ended bool, err error) {
	a := v.win.Poll()
	if a.Quit {
		return true, false, nil
	}
	if a.StepsFactor != 1 {
		v.stepsPerDraw = min(max(1, int(float64(v.stepsPerDraw)*a.StepsFactor)), 1<<16)
		v.adaptive = false
	}
	if err := v.apply(a); err != nil {
		return false, true, err
	}
	if !v.win.Paused() {
		start := time.Now()
		before := v.eng.Steps()
		if v.pl.Advance(ctx, v.stepsPerDraw) != nil {
			return false, true, nil
		}
		v.totalSteps += v.eng.Steps() - before
		v.adapt(time.Since(start))
	} else {
		time.Sleep(15 * time.Millisecond) // nothing to compute: do not spin
	}
	img, err := v.draw(a.Screenshot)
	if err != nil {
		return false, false, err
	}
	if a.Screenshot {
		name := fmt.Sprintf("grayscott-%s.png", time.Now().Format("20060102-150405.000"))
		if err := render.WritePNG(name, img); err != nil {
			v.opts.Log.Warn("screenshot failed", "err", err)
		} else {
			v.opts.Log.Info("screenshot saved", "file", name)
		}
	}
	v.updateTitle()
	return false, false, nil
}

// apply makes the changes asked in the window: a reset, the next preset,
// painting. A failure of the pipeline's ends the run (Close reports it).
func (v *Viewer) apply(a window.Actions) error {
	image := v.pl.Queued()
	if a.Reset {
		if err := v.pl.SetState(sim.InitialState(v.p.Rows, v.p.Cols), 0); err != nil {
			return nil
		}
		v.note("image %d: reset to the initial state", image)
	}
	if a.NextPreset {
		v.preset = (v.preset + 1) % len(sim.Presets)
		pr := sim.Presets[v.preset]
		if err := v.pl.SetRates(pr.Feed, pr.Kill); err != nil {
			return err
		}
		v.note("image %d: preset %s (F %g, k %g)", image, pr.Name, pr.Feed, pr.Kill)
	}
	if len(a.Paints) > 0 {
		radius := max(2, 0.03*float32(min(v.p.Rows, v.p.Cols)))
		for _, pt := range a.Paints {
			if err := v.eng.Paint(pt[0], pt[1], radius); err != nil {
				return err
			}
		}
		v.note("image %d: painted", image)
	}
	return nil
}

// adapt aims at a draw every 8–25 ms when the steps per draw adapt.
func (v *Viewer) adapt(took time.Duration) {
	if !v.adaptive {
		return
	}
	switch {
	case took < 8*time.Millisecond && v.stepsPerDraw < 1<<16:
		v.stepsPerDraw *= 2
	case took > 25*time.Millisecond && v.stepsPerDraw > 1:
		v.stepsPerDraw /= 2
	}
}

// draw shows the engine's fields: the GPU simulator's buffers directly (it
// runs on the window's context), or a CPU engine's fields uploaded first.
func (v *Viewer) draw(shot bool) (*image.RGBA, error) {
	if s := engine.Simulator(v.eng); s != nil {
		return v.win.Draw(s, shot)
	}
	n := v.p.Cells()
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
func (v *Viewer) note(format string, args ...any) {
	v.changes = append(v.changes, fmt.Sprintf(format, args...))
	v.pl.Record(storage.Attr{Name: "interactive_changes", Value: strings.Join(v.changes, "; ")})
}

// updateTitle shows steps/s, the step count, F and k and the queue's fill,
// twice a second.
func (v *Viewer) updateTitle() {
	el := time.Since(v.titleAt)
	if el < 500*time.Millisecond {
		return
	}
	rate := float64(v.totalSteps-v.titleSteps) / el.Seconds()
	v.titleAt, v.titleSteps = time.Now(), v.totalSteps
	feed, kill := v.pl.Rates()
	q, c := v.pl.QueueLen()
	state := ""
	if v.win.Paused() {
		state = " · paused"
	}
	if v.pl.WaitingForStorage() {
		state += " · waiting for storage"
	}
	v.win.SetTitle(fmt.Sprintf("grayscott · %.0f steps/s · step %d · F %.4g k %.4g · image %d/%d · queue %d/%d · %s%s",
		rate, v.eng.Steps(), feed, kill, v.pl.Delivered(), v.pl.Images(), q, c, v.win.Colormap(), state))
}
