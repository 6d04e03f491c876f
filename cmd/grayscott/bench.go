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
)

func benchCommand(args []string, stdout, stderr io.Writer) error {
	o, err := benchflags.Parse(args, stdout)
	if err != nil {
		return err
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := notifyStopDoing(context.Background(), stderr, "stopping after the measurement in progress")
	defer stop()
	var glctx *gpu.Context
	if o.EnginesFlag == engine.Auto || slices.Contains(o.Engines, engine.GPU) {
		glctx, err = gpu.NewHeadless(gpu.Options{Platform: o.EGLPlatform})
		switch {
		case err == nil && o.EnginesFlag == engine.Auto:
			o.Engines = []string{engine.GPU, engine.CPU}
		case err == nil:
		case o.EnginesFlag == engine.Auto:
			o.Log.Info("bench: the CPU engine only, as there is no OpenGL 4.3 context here", "why", engine.FirstLine(err.Error()))
			o.Engines = []string{engine.CPU}
		default:
			return err
		}
	}
	rep, err := bench.Run(ctx, glctx, o.Options)
	if glctx != nil {
		glctx.Release()
	}
	if err != nil {
		return err
	}
	rep.Program, rep.Version = "grayscott", Version()
	if !o.Quiet {
		rep.WriteTable(stdout)
	}
	return writeBenchFiles(stdout, o, rep)
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
