package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"grayscott/cmd/grayscott/internal/runflags"
	"grayscott/gpu"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
	"grayscott/storage/h5/guard"
)

var errHelp = runflags.ErrHelp

// runConfig is everything "grayscott run" needs, parsed and validated: the
// pipeline's configuration, the engine's tuning and what only the command
// line has.
type runConfig struct {
	pipe pipeline.Config

	engine        string // auto, gpu or cpu
	threads       int    // the CPU engine's; 0 one per core
	workGroup     gpu.WorkGroup
	kernel        string
	readbackSlots int
	eglPlatform   string
	tuning        string // bench's measurements for --kernel/--workgroup auto; "" none

	quiet, verbose bool
	jsonPath       string
	window         bool
	stepsPerDraw   int
	screenshot     string
	preset         string
	interactions   string // a resumed file's interactive_changes
	gpuTuningGiven bool   // --kernel or --workgroup on the command line
}

// errWindowClosed is the stop reason when the user closes the preview
// window before the last image: a clean stop (exit status 0).
var errWindowClosed = errors.New("the window was closed")

// viewer drives a run with a live view (the preview window, when the
// binary has one); headless runs have none.
type viewer interface {
	// run replaces Pipeline.Run: it steps, draws and handles input until
	// the images are done, the user quits or ctx is cancelled. It returns
	// why the run ended early by the user's wish (errWindowClosed), or nil,
	// and the view's own failure; the pipeline's errors stay in the
	// pipeline.
	run(ctx context.Context, pl *pipeline.Pipeline, e engine) (stop, err error)
	// close releases the view and its GL context (after the simulator).
	close()
}

// testSinkHook, when set (by tests only), wraps the output file: the seam
// for fault injection in tests of the command.
var testSinkHook func(storage.Sink) storage.Sink

// parseRunFlags parses and validates the flags of "grayscott run" (see
// runflags), then checks the files they name. Every error is a usage
// error naming the flag and the value. It reads an existing file for
// --resume but does no GPU work.
func parseRunFlags(args []string, stdout io.Writer) (*runConfig, error) {
	f, err := runflags.Parse(args, stdout)
	if err != nil {
		return nil, err
	}
	if f.JSON != "" {
		if _, err := os.Stat(filepath.Dir(f.JSON)); err != nil {
			return nil, usagef("--json %s: folder %s does not exist", f.JSON, filepath.Dir(f.JSON))
		}
		if st, err := os.Stat(f.JSON); err == nil && st.IsDir() {
			return nil, usagef("--json %s is a folder; name a file", f.JSON)
		}
	}
	if err := checkPathClashes(f); err != nil {
		return nil, err
	}
	cfg := &runConfig{
		pipe: pipeline.Config{Params: f.Params, Output: f.Output, Force: f.Force, CompressionLevel: f.Compression,
			BufferLen: f.BufferLen, FlushEvery: f.FlushEvery, CompressWorkers: f.CompressWorkers,
			PublishEvery: cmp.Or(f.PublishEvery, -1)}, // the flag's 0 (never) is the pipeline's -1
		engine: f.Engine, threads: f.Threads,
		workGroup: gpu.WorkGroup{X: f.WorkGroupX, Y: f.WorkGroupY}, kernel: f.Kernel, readbackSlots: f.ReadbackSlots,
		eglPlatform: f.EGLPlatform, tuning: f.Tuning, quiet: f.Quiet, verbose: f.Verbose, jsonPath: f.JSON,
		window: f.Window, stepsPerDraw: f.StepsPerDraw, screenshot: f.Screenshot, preset: f.Preset,
		gpuTuningGiven: f.Changed("kernel") || f.Changed("workgroup")}
	if cfg.screenshot != "" {
		if _, err := os.Stat(filepath.Dir(cfg.screenshot)); err != nil {
			return nil, usagef("--screenshot %s: folder %s does not exist", cfg.screenshot, filepath.Dir(cfg.screenshot))
		}
	}
	if f.Resume != "" {
		if err := resumeParams(cfg, f.Resume, f); err != nil {
			return nil, err
		}
		return cfg, nil
	}
	if err := storage.CheckOutput(f.Output, f.Force); err != nil {
		return nil, usagef("--output %s: %v", f.Output, err)
	}
	return cfg, nil
}

// checkPathClashes refuses outputs that would overwrite each other: the
// HDF5 file, its XDMF sidecar, the JSON summary and the screenshot.
func checkPathClashes(f *runflags.Flags) error {
	out := cmp.Or(f.Resume, f.Output)
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	if abs(xdmfPath(out)) == abs(out) {
		return usagef("--output %s: its XDMF sidecar would have the same name; use the .h5 extension", out)
	}
	taken := map[string]string{abs(out): "the output", abs(xdmfPath(out)): "the XDMF sidecar " + xdmfPath(out)}
	for _, o := range []struct{ flag, path string }{{"json", f.JSON}, {"screenshot", f.Screenshot}} {
		if o.path == "" {
			continue
		}
		if what, ok := taken[abs(o.path)]; ok {
			return usagef("--%s %s: would overwrite %s", o.flag, o.path, what)
		}
		taken[abs(o.path)] = "--" + o.flag
	}
	return nil
}

// resumeParams takes the parameters of the file to resume and refuses
// model flags (sim.Fields, and the compression level) set to other values,
// naming each difference. -n may raise the number of images.
func resumeParams(cfg *runConfig, path string, fs *runflags.Flags) error {
	if err := storage.CheckOutput(path, true); err != nil {
		return usagef("--resume %s: %v", path, err)
	}
	if _, err := os.Stat(path); err != nil {
		return usagef("--resume %s: no such file", path)
	}
	r, err := h5.Open(path)
	if err != nil {
		return usagef("--resume %s: %v", path, err)
	}
	fp, perr := r.Params()
	level, lerr := r.Int("compression_level")
	_, ckImages, _ := r.Checkpoint()
	flushEvery, ferr := r.Int("flush_every")
	fileKernel, kerr := r.String("kernel")
	fileWG, wgerr := r.String("workgroup")
	cfg.interactions, _ = r.String("interactive_changes")
	r.Close()
	if perr != nil || lerr != nil {
		return usagef("--resume %s: not a grayscott file with parameters: %v", path, errors.Join(perr, lerr))
	}
	given := cfg.pipe.Params
	var diffs []string
	for _, f := range sim.Fields {
		if f.Flag != "nbimage" && fs.Changed(f.Flag) && f.Format(&given) != f.Format(&fp) {
			diffs = append(diffs, fmt.Sprintf("--%s %s (file: %s)", f.Flag, f.Format(&given), f.Format(&fp)))
		}
	}
	if fs.Changed("compression-level") && int64(cfg.pipe.CompressionLevel) != level {
		diffs = append(diffs, fmt.Sprintf("--compression-level %d (file: %d)", cfg.pipe.CompressionLevel, level))
	}
	if fs.Preset != "" && (given.Feed != fp.Feed || given.Kill != fp.Kill) {
		diffs = append(diffs, fmt.Sprintf("--preset %s (F %g, k %g; file: F %g, k %g)", fs.Preset,
			given.Feed, given.Kill, fp.Feed, fp.Kill))
	}
	if len(diffs) > 0 {
		return usagef("--resume %s: the file was made with other parameters: %s", path, strings.Join(diffs, ", "))
	}
	images := given.Images
	if !fs.Changed("nbimage") {
		images = fp.Images
	}
	if images < ckImages {
		return usagef("--nbimage %d: %s already holds %d images", images, path, ckImages)
	}
	cfg.pipe.Params = fp
	cfg.pipe.Params.Images = images
	cfg.preset = "" // the file keeps what it had
	if !fs.Changed("flush-every") && ferr == nil {
		cfg.pipe.FlushEvery = int(flushEvery) // as the run being continued did
	}
	// The same kernel and work group as the run being continued: results
	// are then bit-identical whatever bench measured since.
	if !fs.Changed("kernel") && kerr == nil {
		cfg.kernel = fileKernel
	}
	if x, y, err := runflags.ParseWorkGroup(fileWG); !fs.Changed("workgroup") && wgerr == nil && err == nil {
		cfg.workGroup = gpu.WorkGroup{X: x, Y: y}
	}
	cfg.pipe.CompressionLevel = int(level)
	cfg.pipe.Output = path
	cfg.pipe.Resume = true
	return nil
}

func runCommand(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseRunFlags(args, stdout)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	switch {
	case cfg.quiet:
		level = slog.LevelError
	case cfg.verbose:
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	warnAboutSize(cfg, log)
	ctx, stop := notifyStop(context.Background(), stderr)
	defer stop()
	var prog progress = noProgress{}
	if !cfg.quiet {
		prog = newProgress(stderr, log)
	}
	sum, err := simulate(ctx, cfg, log, prog)
	prog.finish()
	out, p := cfg.pipe.Output, cfg.pipe.Params
	if sum != nil {
		// The sidecar describes whatever the file holds, stopped or not.
		if _, xerr := writeXDMF(out); xerr != nil {
			log.Warn("no XDMF sidecar", "err", xerr)
		}
		if !cfg.quiet {
			printSummary(stderr, sum)
		}
		if cfg.jsonPath != "" {
			if jerr := writeJSON(cfg.jsonPath, sum); jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	if errors.Is(err, errWindowClosed) && sum != nil {
		// Closing the window is a clean stop, like the end of the run.
		if !cfg.quiet {
			fmt.Fprintf(stderr, "grayscott: the window was closed: %s holds %d of %d images; continue with: grayscott run --resume %s\n",
				out, sum.Images+sum.FirstImage, p.Images, out)
		}
		return nil
	}
	if sig := stopSignal(ctx); sig != nil && sum != nil {
		return &interruptedError{sig: sig, output: out, images: sum.Images + sum.FirstImage, total: p.Images, cause: err}
	}
	return err
}

// warnAboutSize says what a run will write, and warns when it cannot fit
// or cannot show anything.
func warnAboutSize(cfg *runConfig, log *slog.Logger) {
	p := cfg.pipe.Params
	raw := int64(p.Images) * int64(p.Cells()) * 4
	free := storage.FreeBytes(cfg.pipe.Output)
	switch {
	case free >= 0 && raw > free && cfg.pipe.CompressionLevel == 0:
		log.Warn("the images will not fit: the run stops when the disk is full",
			"images_GB", fmt.Sprintf("%.2f", float64(raw)/1e9), "free_GB", fmt.Sprintf("%.2f", float64(free)/1e9))
	case raw > 1e9:
		log.Info("large run", "images", p.Images, "grid", fmt.Sprintf("%d×%d", p.Rows, p.Cols),
			"raw_GB", fmt.Sprintf("%.2f", float64(raw)/1e9))
	}
	if sim.SeedEmpty(p.Rows, p.Cols) {
		log.Warn("the course's seed is empty on this grid (fewer than 10 rows or 2 columns): V stays 0",
			"rows", p.Rows, "cols", p.Cols)
	}
}

// simulate chooses the engine (--engine; for the GPU, the GL context:
// headless, or the preview window's), makes it and the pipeline, runs it
// and tears it all down in reverse order. When ctx is cancelled the
// pipeline stops starting images, stores those already computed with a
// checkpoint and closes the file as incomplete.
func simulate(ctx context.Context, cfg *runConfig, log *slog.Logger, prog progress) (*runSummary, error) {
	p := cfg.pipe.Params
	var glctx *gpu.Context
	var view viewer
	var err error
	if cfg.window {
		if view, glctx, err = openViewer(cfg, log); err != nil {
			return nil, err
		}
		defer view.close()
	}
	name, glctx, err := chooseEngine(cfg, glctx, log)
	if err != nil {
		return nil, err
	}
	if glctx != nil && view == nil {
		defer glctx.Release()
	}
	eng, info, err := newEngine(name, cfg, glctx, log)
	if err != nil {
		return nil, err
	}
	defer eng.Release()

	pc := cfg.pipe
	engAttrs, drop := info.attrs(cfg)
	pc.Attrs = append([]storage.Attr{{Name: "program", Value: "grayscott"}, {Name: "program_version", Value: Version()}}, engAttrs...)
	if cfg.preset != "" {
		pc.Attrs = append(pc.Attrs, storage.Attr{Name: "preset", Value: cfg.preset})
	}
	if cfg.window && !pc.Resume {
		// Created now, so that the window can record its changes while the
		// file is in SWMR mode (which creates nothing).
		pc.Attrs = append(pc.Attrs, storage.Attr{Name: "interactive_changes", Value: ""})
	}
	pc.DropAttrs = drop
	pc.OnImage = prog.image
	// A line per flush at -v: what a crash can no longer lose.
	pc.OnFlush = func(images int) { log.Debug("flushed", "images", images) }
	pc.WrapSink = testSinkHook
	// Should this process die with the file open (SIGKILL, OOM), the
	// guardian clears the file's "open for writing" mark after it.
	stopGuard, gerr := guard.Start(pc.Output)
	if gerr != nil {
		log.Warn("no guardian: if this run is killed, its file will need grayscott recover", "err", gerr)
	}
	defer stopGuard() // the file is closed by then
	pl, err := pipeline.New(eng, pc)
	if err != nil {
		return nil, err
	}
	if pc.Resume {
		log.Info("resuming", "file", pc.Output, "from_image", pl.FirstImage(), "step", pl.StartStep(), "images", p.Images)
		if f, k := pl.Rates(); f != p.Feed || k != p.Kill {
			log.Info("continuing with the rates in force at the checkpoint (changed in the window)", "feedrate", f, "killrate", k)
		}
	}
	log.Debug("engine", "engine", info)
	prog.start(pl, p.StepsPerImage)
	var stop, viewErr error
	if view != nil {
		stop, viewErr = view.run(ctx, pl, eng)
	} else {
		pl.Run(ctx)
	}
	sum, err := pl.Close(cmp.Or(viewErr, stop))
	if viewErr != nil {
		err = viewErr
	} else if err == nil {
		err = stop
	}
	rs := &runSummary{Summary: sum, Engine: info.name, Renderer: info.gl.Renderer, Vendor: info.gl.Vendor, GLVersion: info.gl.Version}
	if info.name == "cpu" {
		rs.Threads, rs.CPUISA = info.threads, info.isa
	}
	return rs, err
}
