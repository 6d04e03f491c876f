package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"grayscott/bench"
	"grayscott/engine"
	"grayscott/gpu"
	"grayscott/internal/benchflags"
	"grayscott/internal/plural"
)

func benchCommand(args []string, stdout, stderr io.Writer) error {
	o, err := benchflags.Parse(args, stdout)
	if err != nil {
		return err
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := notifyStopDoing(context.Background(), stderr, "stopping after the measurement in progress")
	defer stop()
	glctx, err := benchContext(o)
	if err != nil {
		return err
	}
	rep, err := bench.Run(ctx, glctx, o.Options)
	if glctx != nil {
		glctx.Release()
	}
	sig := stopSignal(ctx)
	if rep == nil || (err != nil && sig == nil) {
		return err
	}
	rep.Program, rep.Version = "grayscott", Version()
	if !o.Quiet {
		rep.WriteTable(stdout)
	}
	if err := writeBenchFiles(stdout, o, rep); err != nil {
		return err
	}
	if sig != nil {
		return &signalError{sig, fmt.Sprintf("bench: the table and files hold the %s measured before it", plural.N(len(rep.Figures), "figure"))}
	}
	return nil
}

// benchContext makes the GL context of the GPU engine's measurements, or
// none. --engines auto measures the GPU where EGL finds a hardware one,
// as run's --engine auto chooses, and the CPU engine.
func benchContext(o *benchflags.Options) (*gpu.Context, error) {
	if o.EnginesFlag != engine.Auto && !slices.Contains(o.Engines, engine.GPU) {
		return nil, nil
	}
	glctx, err := gpu.NewHeadless(gpu.Options{Platform: o.EGLPlatform})
	switch {
	case err != nil && o.EnginesFlag == engine.Auto:
		o.Log.Info("bench: the CPU engine only, as there is no OpenGL 4.3 context here", "why", engine.FirstLine(err.Error()))
		o.Engines = []string{engine.CPU}
		return nil, nil
	case err != nil:
		return nil, err
	case o.EnginesFlag == engine.Auto && glctx.Info().Software():
		o.Log.Info("bench: the CPU engine only, as the only OpenGL here is a software rasterizer (--engines gpu,cpu measures it too)",
			"renderer", glctx.Info().Renderer)
		glctx.Release()
		o.Engines = []string{engine.CPU}
		return nil, nil
	case o.EnginesFlag == engine.Auto:
		o.Engines = []string{engine.GPU, engine.CPU}
	}
	return glctx, nil
}

// writeBenchFiles saves the tuning and writes --json, --csv and --plot.
func writeBenchFiles(stdout io.Writer, o *benchflags.Options, rep *bench.Report) error {
	if o.Tuning != "" && slices.Contains(o.Engines, engine.GPU) {
		var fresh []engine.Tuning
		var picks []string
		for _, b := range rep.Fastest() {
			fresh = append(fresh, engine.Tuning{Renderer: rep.Renderer, GLVersion: rep.GLVersion, Size: b.Size,
				Kernel: b.Kernel, Workgroup: b.Workgroup, CellUpdatesPerS: b.CellUpdatesPerS, Date: rep.Date})
			picks = append(picks, fmt.Sprintf("%d²: %s %s", b.Size, b.Kernel, b.Workgroup))
		}
		if err := engine.SaveTuning(o.Tuning, fresh); err != nil {
			return fmt.Errorf("bench: saving the tuning to %s: %w", o.Tuning, err)
		}
		if !o.Quiet {
			fmt.Fprintf(stdout, "\nfastest per size (run uses them with --kernel/--workgroup auto): %s; saved to %s\n", strings.Join(picks, ", "), o.Tuning)
		}
	}
	if o.JSONPath != "" {
		buf, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.JSONPath, append(buf, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if o.CSVPath != "" {
		if err := writeFileWith(o.CSVPath, rep.WriteCSV); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if o.PlotPath != "" {
		return rep.Plot(o.PlotPath)
	}
	return nil
}

// writeFileWith creates path and fills it with write.
func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := errors.Join(write(f), f.Close()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
