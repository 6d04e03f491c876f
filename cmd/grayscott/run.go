package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"grayscott/engine"
	"grayscott/gpu/gpuconf"
	"grayscott/gpu/window/preview"
	"grayscott/internal/plural"
	"grayscott/internal/progress"
	"grayscott/internal/runflags"
	"grayscott/pipeline"
	"grayscott/serve"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
	"grayscott/storage/h5/guard"
)

// runConfig is everything "grayscott run" needs, parsed and validated: the
// pipeline's configuration, the engine's options and what only the command
// line has.
type runConfig struct {
	pipe   pipeline.Config
	engine engine.Options

	quiet, verbose bool
	jsonPath       string
	window         bool
	stepsPerDraw   int
	screenshot     string
	preset         string
	serve          string // --serve's address
	interactions   string // a resumed file's interactive_changes
	complete       bool   // --resume of a file that holds its images already
}

// errWindowClosed is the stop when the user closes the preview window
// before the last image: a clean stop (exit status 0).
var errWindowClosed = preview.ErrClosed

// openFile opens a run's file; tests replace it to inject faults.
var openFile pipeline.Opener = pipeline.OpenHDF5

// parseRunFlags parses and validates the flags of "grayscott run" (see
// runflags), then checks the files they name. Every error is a usage
// error naming the flag and the value. It reads an existing file for
// --resume but does no GPU work.
func parseRunFlags(args []string, stdout io.Writer) (*runConfig, error) {
	f, err := runflags.Parse(args, stdout)
	if err != nil {
		return nil, err
	}
	for _, o := range []struct{ flag, path string }{{"json", f.JSON}, {"screenshot", f.Screenshot}} {
		if o.path == "" {
			continue
		}
		if _, err := os.Stat(filepath.Dir(o.path)); err != nil {
			return nil, usagef("--%s %s: folder %s does not exist", o.flag, o.path, filepath.Dir(o.path))
		}
		if st, err := os.Stat(o.path); err == nil && st.IsDir() {
			return nil, usagef("--%s %s is a folder; name a file", o.flag, o.path)
		}
	}
	if err := checkPathClashes(f); err != nil {
		return nil, err
	}
	cfg := &runConfig{
		pipe: pipeline.Config{Params: f.Params, Output: f.Output, Force: f.Force, Compression: f.Compression,
			BufferLen: f.BufferLen, FlushEvery: f.FlushEvery, CompressWorkers: f.CompressWorkers,
			PublishEvery: cmp.Or(f.PublishEvery, -1)}, // the flag's 0 (never) is the pipeline's -1
		engine: engine.Options{Kind: f.Engine, Threads: f.Threads, WorkGroup: f.WorkGroup, Kernel: f.Kernel,
			ReadbackSlots: f.ReadbackSlots, Platform: f.EGLPlatform, Tuning: f.Tuning, Debug: f.Verbose},
		quiet: f.Quiet, verbose: f.Verbose, jsonPath: f.JSON,
		window: f.Window, stepsPerDraw: f.StepsPerDraw, screenshot: f.Screenshot, preset: f.Preset, serve: f.Serve}
	if f.Resume != "" {
		return cfg, resumeParams(cfg, f.Resume, f)
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
	if abs(h5.XDMFPath(out)) == abs(out) {
		return usagef("--output %s: its XDMF sidecar would have the same name; use the .h5 extension", out)
	}
	taken := map[string]string{abs(out): "the output", abs(h5.XDMFPath(out)): "the XDMF sidecar " + h5.XDMFPath(out)}
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
// model flags (sim.Fields, and the compression level) given with other
// values than the file's, naming each (pipeline.CheckResume). -n may raise
// the number of images.
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
	st, serr := r.Status()
	fp, perr := r.Params()
	flushEvery, ferr := r.Int("flush_every")
	fileKernel, kerr := r.String("kernel")
	fileWG, wgerr := r.String("workgroup")
	cfg.interactions, _ = r.String("interactive_changes")
	r.Close()
	if serr == nil && !st.Run {
		return usagef("--resume %s: not a file of grayscott run (it has no run attributes): nothing to continue", path)
	}
	if perr != nil || serr != nil {
		return usagef("--resume %s: its parameters cannot be read: %v", path, cmp.Or(perr, serr))
	}
	given := cfg.pipe.Params
	if fs.Preset != "" && (given.Feed != fp.Feed || given.Kill != fp.Kill) {
		return usagef("--resume %s: the file was made with other parameters: --preset %s (F %g, k %g; file: F %g, k %g)",
			path, fs.Preset, given.Feed, given.Kill, fp.Feed, fp.Kill)
	}
	if !fs.Changed("nbimage") {
		cfg.pipe.Params.Images = fp.Images
	}
	cfg.pipe.Output = path
	ckImages := 0
	if st.Checkpoint != nil {
		ckImages = st.Checkpoint.Images
	}
	if err := pipeline.CheckResume(cfg.pipe, fp, st.Compression, ckImages, fs.Changed); err != nil {
		return usagef("%v", err)
	}
	fp.Images = cfg.pipe.Params.Images
	cfg.pipe.Params, cfg.pipe.Compression, cfg.pipe.Resume = fp, st.Compression, true
	cfg.complete = st.Completed && st.Images >= fp.Images
	cfg.preset = "" // the file keeps what it had
	if !fs.Changed("flush-every") && ferr == nil {
		cfg.pipe.FlushEvery = int(flushEvery) // as the run being continued did
	}
	// The same kernel and work group as the run being continued: results
	// are then bit-identical whatever bench measured since.
	if !fs.Changed("kernel") && kerr == nil {
		cfg.engine.Kernel = fileKernel
	}
	if wg, err := gpuconf.ParseWorkGroup(fileWG); !fs.Changed("workgroup") && wgerr == nil && err == nil {
		cfg.engine.WorkGroup = wg
	}
	return nil
}

func runCommand(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseRunFlags(args, stdout)
	if err != nil {
		return err
	}
	if cfg.complete {
		out := cfg.pipe.Output
		fmt.Fprintf(stderr, "grayscott: %s is complete, with its %s: nothing to do (grayscott run --resume %s -n N appends images up to N)\n",
			out, plural.N(cfg.pipe.Params.Images, "image"), out)
		return nil
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

	page, err := servePage(cfg, log, stderr) // bound before any work: a bad address is bad input
	if err != nil {
		return err
	}
	warnAboutSize(cfg, log)
	ctx, stop := notifyStop(context.Background(), stderr)
	defer stop()
	var prog progress.Reporter = progress.None{}
	if !cfg.quiet {
		prog = progress.New(stderr, log)
	}
	sum, err := simulate(ctx, cfg, log, prog, page)
	prog.Finish()
	page.end(sum, err)
	out, p := cfg.pipe.Output, cfg.pipe.Params
	if sum != nil {
		// The sidecar describes whatever the file holds, stopped or not.
		if _, xerr := h5.WriteXDMF(out); xerr != nil {
			log.Warn("no XDMF sidecar", "err", xerr)
		}
		if !cfg.quiet {
			sum.WriteText(stderr)
		}
		if cfg.jsonPath != "" {
			if jerr := writeJSON(cfg.jsonPath, sum); jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	if sig := stopSignal(ctx); sig != nil && sum != nil {
		return &interruptedError{sig: sig, output: out, images: sum.Images + sum.FirstImage, total: p.Images, cause: err}
	}
	if errors.Is(err, errWindowClosed) && sum != nil {
		// Closing the window is a clean stop, like the end of the run.
		if !cfg.quiet {
			fmt.Fprintf(stderr, "grayscott: the window was closed: %s holds %d of %d images; continue with: grayscott run --resume %s\n",
				out, sum.Images+sum.FirstImage, p.Images, out)
		}
		return nil
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
	case free >= 0 && raw > free && cfg.pipe.Compression.Normal().Codec == storage.CodecNone:
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

// simulate makes the engine (on the preview window's GL context with
// --window) and the pipeline, runs it and tears it all down in reverse
// order. When ctx is cancelled the pipeline stops starting images, stores
// those already computed with a checkpoint and closes the file as
// incomplete.
func simulate(ctx context.Context, cfg *runConfig, log *slog.Logger, prog progress.Reporter, page *runPage) (*engine.Summary, error) {
	eo := cfg.engine
	eo.Log = log
	var view *preview.Viewer
	if cfg.window {
		var err error
		view, err = preview.Open(cfg.pipe.Params, preview.Options{StepsPerDraw: cfg.stepsPerDraw, Screenshot: cfg.screenshot,
			Preset: cfg.preset, Changes: cfg.interactions, Debug: cfg.verbose, Log: log})
		if errors.Is(err, preview.ErrNoDisplay) || errors.Is(err, preview.ErrNoWindow) {
			return nil, usagef("--window: %v", err)
		}
		if err != nil {
			return nil, err
		}
		defer view.Close()
		eo.Context = view.Context()
	}
	eng, info, err := engine.Open(cfg.pipe.Params, eo)
	if err != nil {
		return nil, err
	}
	defer eng.Release()
	// Should this process die with the file open (SIGKILL, OOM), the
	// guardian clears the file's "open for writing" mark after it.
	stopGuard, gerr := guard.Start(cfg.pipe.Output)
	if gerr != nil {
		log.Warn("no guardian: if this run is killed, its file will need grayscott recover", "err", gerr)
	}
	defer stopGuard() // the file is closed by then
	pl, err := pipeline.New(eng, pipelineConfig(cfg, info, log, prog), openFile)
	if err != nil {
		return nil, err
	}
	if p := cfg.pipe.Params; cfg.pipe.Resume {
		log.Info("resuming", "file", cfg.pipe.Output, "from_image", pl.FirstImage(), "step", pl.StartStep(), "images", p.Images)
		if f, k := pl.Rates(); f != p.Feed || k != p.Kill {
			log.Info("continuing with the rates in force at the checkpoint (changed in the window)", "feedrate", f, "killrate", k)
		}
	}
	log.Debug("engine", "engine", info)
	prog.Start(pl, cfg.pipe.Params.StepsPerImage)
	page.watch(pl, info)
	var stop, viewErr error
	if view != nil {
		stop, viewErr = view.Run(ctx, pl, eng)
	} else {
		pl.Run(ctx)
	}
	sum, err := pl.Close(cmp.Or(viewErr, stop))
	if viewErr != nil {
		err = viewErr
	} else if err == nil {
		err = stop
	}
	return engine.NewSummary(sum, info), err
}

// pipelineConfig is the pipeline's configuration with what the run
// records (the program, the engine's provenance) and reports.
func pipelineConfig(cfg *runConfig, info engine.Info, log *slog.Logger, prog progress.Reporter) pipeline.Config {
	pc := cfg.pipe
	engAttrs, drop := info.Attrs()
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
	pc.OnImage = prog.Image
	// A line per flush at -v: what a crash can no longer lose.
	pc.OnFlush = func(images int) { log.Debug("flushed", "images", images) }
	return pc
}

// writeJSON writes the summary to path (see the README for the fields).
func writeJSON(path string, s *engine.Summary) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--json %s: %w", path, err)
	}
	return nil
}

// runPage is a run's web page (--serve), or nil.
type runPage struct {
	*serve.Run
	srv *serve.Server
}

// servePage binds --serve's address and serves the run's page there; nil
// without --serve. A bad address is a usage error. The page's address is
// said even with -q: it is what --serve asked for (with :0, the only way
// to learn the port).
func servePage(cfg *runConfig, log *slog.Logger, stderr io.Writer) (*runPage, error) {
	if cfg.serve == "" {
		return nil, nil
	}
	run := serve.NewRun(cfg.pipe.Params, cfg.pipe.Output)
	srv := &serve.Server{Source: run}
	if err := srv.Start(cfg.serve); err != nil {
		return nil, usagef("--serve %s: %v", cfg.serve, err)
	}
	if srv.Exposed() {
		log.Warn("--serve "+cfg.serve+" is reachable beyond this machine: "+serve.Exposure, "url", srv.URL())
	}
	if cfg.quiet {
		fmt.Fprintf(stderr, "grayscott: serving the run's page at %s\n", srv.URL())
	} else {
		log.Info("serving the run's page", "url", srv.URL())
	}
	return &runPage{run, srv}, nil
}

func (p *runPage) watch(pl *pipeline.Pipeline, info engine.Info) {
	if p != nil {
		attrs, _ := info.Attrs()
		p.Watch(pl, attrs)
	}
}

// end shows how the run ended and stops the server (a closed window is a
// clean stop, as for the exit status).
func (p *runPage) end(sum *engine.Summary, err error) {
	if p == nil {
		return
	}
	var s *pipeline.Summary
	if sum != nil {
		s = sum.Summary
	}
	if errors.Is(err, errWindowClosed) {
		err = nil
	}
	p.End(s, err)
	p.srv.Close()
}
