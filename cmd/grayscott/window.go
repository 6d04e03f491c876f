//go:build !nowindow

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"grayscott/gpu"
	"grayscott/gpu/window"
	"grayscott/sim"
	"grayscott/storage"
)

// windowViewer is the preview window: it steps the simulation between
// draws and turns keys and mouse into changes of the run.
type windowViewer struct {
	win          *window.Window
	cfg          *runConfig
	log          *slog.Logger
	sim          *gpu.Simulator // set by run
	stepsPerDraw int
	adaptive     bool
	preset       int // index into sim.Presets, -1 for the flags' F and k
	interactions []string

	titleAt    time.Time
	titleSteps int64
	totalSteps int64
}

func openViewer(cfg *runConfig, log *slog.Logger) (viewer, *gpu.Context, error) {
	w, err := window.Open(cfg.params.Rows, cfg.params.Cols, window.Options{Title: "grayscott", Debug: cfg.verbose})
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

func (v *windowViewer) run(ctx context.Context, pl *pipeline, w *storage.Writer) (int, error) {
	v.sim = pl.sim
	pl.start()
	v.titleAt = time.Now()
	var runErr error
	for {
		quit, err := v.frame(ctx, pl, w)
		if err != nil {
			runErr = err
			break
		}
		if quit {
			if !pl.done() {
				runErr = errWindowClosed
			}
			break
		}
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
	}
	if err := pl.drain(); runErr == nil {
		runErr = err
	}
	if v.cfg.screenshot != "" {
		img, err := v.win.Draw(v.sim, true)
		if err == nil {
			err = writePNG(v.cfg.screenshot, img)
		}
		if err != nil && runErr == nil {
			runErr = err
		}
	}
	if len(v.interactions) > 0 {
		w.SetFinalAttrs(storage.Attr{Name: "interactive_changes", Value: strings.Join(v.interactions, "; ")})
	}
	return pl.next - pl.first, runErr
}

// frame handles input, advances the simulation and draws once. It reports
// quit when the user asked to, or when every image is done.
func (v *windowViewer) frame(ctx context.Context, pl *pipeline, w *storage.Writer) (quit bool, err error) {
	a := v.win.Poll()
	if a.Quit {
		return true, nil
	}
	if a.StepsFactor != 1 {
		v.stepsPerDraw = min(max(1, int(float64(v.stepsPerDraw)*a.StepsFactor)), 1<<16)
		v.adaptive = false
	}
	image := pl.next + v.sim.PendingReadbacks()
	if a.Reset {
		// SetState needs the readback ring empty: deliver what is in it.
		if err := pl.drain(); err != nil {
			return false, err
		}
		if err := v.sim.SetState(sim.InitialState(v.cfg.params.Rows, v.cfg.params.Cols), 0); err != nil {
			return false, err
		}
		pl.stepInImage = 0
		v.note("image %d: reset to the initial state", image)
	}
	if a.NextPreset {
		v.preset = (v.preset + 1) % len(sim.Presets)
		p := sim.Presets[v.preset]
		if err := v.sim.SetRates(p.Feed, p.Kill); err != nil {
			return false, err
		}
		v.note("image %d: preset %s (F %g, k %g)", image, p.Name, p.Feed, p.Kill)
	}
	if len(a.Paints) > 0 {
		radius := max(2, 0.03*float32(min(v.cfg.params.Rows, v.cfg.params.Cols)))
		for _, p := range a.Paints {
			if err := v.sim.Paint(p[0], p[1], radius); err != nil {
				return false, err
			}
		}
		v.note("image %d: painted", image)
	}
	if !v.win.Paused() && !pl.done() {
		start := time.Now()
		before := v.sim.Steps()
		if err := pl.advance(ctx, v.stepsPerDraw); err != nil {
			return false, err
		}
		v.totalSteps += v.sim.Steps() - before
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
	img, err := v.win.Draw(v.sim, a.Screenshot)
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
	v.updateTitle(pl, w)
	return pl.done(), nil
}

func (v *windowViewer) note(format string, args ...any) {
	v.interactions = append(v.interactions, fmt.Sprintf(format, args...))
}

// updateTitle shows steps/s, the step count, F and k and the queue's fill,
// twice a second.
func (v *windowViewer) updateTitle(pl *pipeline, w *storage.Writer) {
	el := time.Since(v.titleAt)
	if el < 500*time.Millisecond {
		return
	}
	rate := float64(v.totalSteps-v.titleSteps) / el.Seconds()
	v.titleAt, v.titleSteps = time.Now(), v.totalSteps
	p := v.sim.Params()
	q, c := w.QueueLen()
	state := ""
	if v.win.Paused() {
		state = " · paused"
	}
	v.win.SetTitle(fmt.Sprintf("grayscott · %.0f steps/s · step %d · F %.4g k %.4g · image %d/%d · queue %d/%d · %s%s",
		rate, v.sim.Steps(), p.Feed, p.Kill, pl.next, pl.images, q, c, v.win.Colormap(), state))
}
