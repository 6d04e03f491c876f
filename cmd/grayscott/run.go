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
	"time"

	"grayscott/cmd/grayscott/internal/runflags"
	"grayscott/gpu"
	"grayscott/sim"
	"grayscott/storage"
)

var errHelp = runflags.ErrHelp

// runConfig is everything "grayscott run" needs, parsed and validated.
type runConfig struct {
	params      sim.Params
	output      string
	resume      bool // output is an existing file to continue
	force       bool
	compression int
	workGroup   gpu.WorkGroup
	kernel      string
	eglPlatform string
	quiet       bool
	verbose     bool
	jsonPath    string

	bufferLen       int
	readbackSlots   int
	flushEvery      int
	compressWorkers int

	window       bool
	stepsPerDraw int
	screenshot   string
	preset       string
	firstImage   int // with --resume: images of the file's checkpoint
}

// errWindowClosed is the stop reason when the user closes the preview
// window before the last image: a clean stop (exit status 0).
var errWindowClosed = errors.New("the window was closed")

// viewer drives a run with a live view (the preview window, when the
// binary has one); headless runs have none.
type viewer interface {
	// run replaces pipeline.produce: it steps, draws and handles input
	// until the images are done, the user quits or ctx is cancelled.
	run(ctx context.Context, pl *pipeline, w *storage.Writer) (int, error)
	// close releases the view and its GL context (after the simulator).
	close()
}

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
	}
	if err := checkPathClashes(f); err != nil {
		return nil, err
	}
	cfg := &runConfig{params: f.Params, output: f.Output, force: f.Force, compression: f.Compression,
		workGroup: gpu.WorkGroup{X: f.WorkGroupX, Y: f.WorkGroupY}, kernel: f.Kernel, eglPlatform: f.EGLPlatform,
		quiet: f.Quiet, verbose: f.Verbose, jsonPath: f.JSON,
		bufferLen: f.BufferLen, readbackSlots: f.ReadbackSlots, flushEvery: f.FlushEvery, compressWorkers: f.CompressWorkers,
		window: f.Window, stepsPerDraw: f.StepsPerDraw, screenshot: f.Screenshot, preset: f.Preset}
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
	h5 := cmp.Or(f.Resume, f.Output)
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	if abs(xdmfPath(h5)) == abs(h5) {
		return usagef("--output %s: its XDMF sidecar would have the same name; use the .h5 extension", h5)
	}
	taken := map[string]string{abs(h5): "the output", abs(xdmfPath(h5)): "the XDMF sidecar " + xdmfPath(h5)}
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
// flags that were set to other values, naming each difference. -n may
// raise the number of images.
func resumeParams(cfg *runConfig, path string, fs *runflags.Flags) error {
	if err := storage.CheckOutput(path, true); err != nil {
		return usagef("--resume %s: %v", path, err)
	}
	if _, err := os.Stat(path); err != nil {
		return usagef("--resume %s: no such file", path)
	}
	r, err := storage.Open(path)
	if err != nil {
		return usagef("--resume %s: %v", path, err)
	}
	fp, perr := r.Params()
	level, lerr := r.Int("compression_level")
	_, ckImages, _ := r.Checkpoint()
	flushEvery, ferr := r.Int("flush_every")
	fileKernel, kerr := r.String("kernel")
	fileWG, wgerr := r.String("workgroup")
	r.Close()
	if perr != nil || lerr != nil {
		return usagef("--resume %s: not a grayscott file with parameters: %v", path, errors.Join(perr, lerr))
	}
	fileValues := map[string]string{
		"nbrow": fmt.Sprint(fp.Rows), "nbcol": fmt.Sprint(fp.Cols), "nbextrastep": fmt.Sprint(fp.StepsPerImage),
		"feedrate": fmt.Sprint(fp.Feed), "killrate": fmt.Sprint(fp.Kill), "deltat": fmt.Sprint(fp.DeltaT),
		"du": fmt.Sprint(fp.DiffU), "dv": fmt.Sprint(fp.DiffV), "boundary": fp.Boundary.String(),
		"compression-level": fmt.Sprint(level),
	}
	given := map[string]string{
		"nbrow": fmt.Sprint(cfg.params.Rows), "nbcol": fmt.Sprint(cfg.params.Cols), "nbextrastep": fmt.Sprint(cfg.params.StepsPerImage),
		"feedrate": fmt.Sprint(cfg.params.Feed), "killrate": fmt.Sprint(cfg.params.Kill), "deltat": fmt.Sprint(cfg.params.DeltaT),
		"du": fmt.Sprint(cfg.params.DiffU), "dv": fmt.Sprint(cfg.params.DiffV), "boundary": cfg.params.Boundary.String(),
		"compression-level": fmt.Sprint(cfg.compression),
	}
	var diffs []string
	for _, name := range runflags.ModelFlags {
		if fs.Changed(name) && given[name] != fileValues[name] {
			diffs = append(diffs, fmt.Sprintf("--%s %s (file: %s)", name, given[name], fileValues[name]))
		}
	}
	if fs.Preset != "" && (cfg.params.Feed != fp.Feed || cfg.params.Kill != fp.Kill) {
		diffs = append(diffs, fmt.Sprintf("--preset %s (F %g, k %g; file: F %g, k %g)", fs.Preset,
			cfg.params.Feed, cfg.params.Kill, fp.Feed, fp.Kill))
	}
	if len(diffs) > 0 {
		return usagef("--resume %s: the file was made with other parameters: %s", path, strings.Join(diffs, ", "))
	}
	images := cfg.params.Images
	if !fs.Changed("nbimage") {
		images = fp.Images
	}
	if images < ckImages {
		return usagef("--nbimage %d: %s already holds %d images", images, path, ckImages)
	}
	cfg.params = fp
	cfg.params.Images = images
	cfg.firstImage = ckImages
	cfg.preset = "" // the file keeps what it had
	if !fs.Changed("flush-every") && ferr == nil {
		cfg.flushEvery = int(flushEvery) // as the run being continued did
	}
	// The same kernel and work group as the run being continued: results
	// are then bit-identical whatever bench measured since.
	if !fs.Changed("kernel") && kerr == nil {
		cfg.kernel = fileKernel
	}
	if x, y, err := runflags.ParseWorkGroup(fileWG); !fs.Changed("workgroup") && wgerr == nil && err == nil {
		cfg.workGroup = gpu.WorkGroup{X: x, Y: y}
	}
	cfg.compression = int(level)
	cfg.output = path
	cfg.resume = true
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
	st, err := simulate(ctx, cfg, log, prog)
	prog.finish()
	if st != nil {
		// The sidecar describes whatever the file holds, stopped or not.
		if _, xerr := writeXDMF(cfg.output); xerr != nil {
			log.Warn("no XDMF sidecar", "err", xerr)
		}
	}
	if st != nil {
		if !cfg.quiet {
			printSummary(stderr, st)
		}
		if cfg.jsonPath != "" {
			if jerr := writeJSON(cfg.jsonPath, st); jerr != nil && err == nil {
				err = jerr
			}
		}
	}
	if errors.Is(err, errWindowClosed) && st != nil {
		// Closing the window is a clean stop, like the end of the run.
		if !cfg.quiet {
			fmt.Fprintf(stderr, "grayscott: the window was closed: %s holds %d of %d images; continue with: grayscott run --resume %s\n",
				cfg.output, st.Images+st.FirstImage, cfg.params.Images, cfg.output)
		}
		return nil
	}
	if sig := stopSignal(ctx); sig != nil && st != nil {
		return &interruptedError{sig: sig, output: cfg.output, images: st.Images + st.FirstImage, total: cfg.params.Images, cause: err}
	}
	return err
}

// warnAboutSize says what a run will write, and warns when it cannot fit
// or cannot show anything.
func warnAboutSize(cfg *runConfig, log *slog.Logger) {
	p := cfg.params
	raw := int64(p.Images) * int64(p.Cells()) * 4
	free := storage.FreeBytes(cfg.output)
	switch {
	case free >= 0 && raw > free && cfg.compression == 0:
		log.Warn("the images will not fit: the run stops when the disk is full",
			"images_GB", fmt.Sprintf("%.2f", float64(raw)/1e9), "free_GB", fmt.Sprintf("%.2f", float64(free)/1e9))
	case raw > 1e9:
		log.Info("large run", "images", p.Images, "grid", fmt.Sprintf("%d×%d", p.Rows, p.Cols),
			"raw_GB", fmt.Sprintf("%.2f", float64(raw)/1e9))
	}
	if sim.SeedEmpty(p.Rows, p.Cols) {
		log.Warn("the course's seed is empty on this grid (fewer than 9 rows or 2 columns): V stays 0",
			"rows", p.Rows, "cols", p.Cols)
	}
}

// simulate runs the whole data path: GPU steps and readbacks, the pool,
// the bounded queue and the HDF5 writer. When ctx is cancelled it stops
// starting images, stores those already computed with a checkpoint and
// closes the file as incomplete.
func simulate(ctx context.Context, cfg *runConfig, log *slog.Logger, prog progress) (*runStats, error) {
	p := cfg.params
	var glctx *gpu.Context
	var view viewer
	var err error
	if cfg.window {
		if view, glctx, err = openViewer(cfg, log); err != nil {
			return nil, err
		}
		defer view.close()
	} else {
		if glctx, err = gpu.NewHeadless(gpu.Options{Debug: cfg.verbose, Platform: cfg.eglPlatform}); err != nil {
			return nil, err
		}
		defer glctx.Release()
	}
	info := glctx.Info()
	log.Debug("OpenGL", "vendor", info.Vendor, "renderer", info.Renderer, "version", info.Version, "platform", info.Platform)
	if chosen := resolveTuning(cfg, info.Renderer); chosen != "" {
		log.Info("tuning", "chosen", chosen)
	}

	s, err := gpu.NewSimulator(glctx, p, gpu.Config{WorkGroup: cfg.workGroup, Kernel: cfg.kernel, ReadbackSlots: cfg.readbackSlots, ReadbackU: true},
		sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		return nil, err
	}
	defer s.Release()

	attrs := []storage.Attr{
		{Name: "program", Value: "grayscott"},
		{Name: "program_version", Value: Version()},
		{Name: "gl_vendor", Value: info.Vendor},
		{Name: "gl_renderer", Value: info.Renderer},
		{Name: "gl_version", Value: info.Version},
		{Name: "gl_platform", Value: info.Platform},
		{Name: "workgroup", Value: cfg.workGroup.String()},
		{Name: "kernel", Value: cmp.Or(cfg.kernel, gpu.KernelNaive)},
		{Name: "flush_every", Value: cfg.flushEvery},
	}
	if cfg.preset != "" {
		attrs = append(attrs, storage.Attr{Name: "preset", Value: cfg.preset})
	}
	opts := storage.WriterOptions{BufferLen: cfg.bufferLen, FlushEvery: cfg.flushEvery, Workers: cfg.compressWorkers,
		Checkpoints: true, FirstImage: cfg.firstImage}
	pool := storage.NewPool(opts.PoolSize(), p.Cells())
	var ck *storage.Checkpoint
	w, err := storage.StartWriter(func() (storage.Sink, error) {
		if !cfg.resume {
			f, err := storage.Create(cfg.output, p, attrs, storage.Options{CompressionLevel: cfg.compression, Force: cfg.force})
			return injectFaults(f), err
		}
		f, _, c, err := storage.Resume(cfg.output)
		if err != nil {
			return nil, err
		}
		ck = c
		if err := f.SetAttrs(append(attrs, storage.Attr{Name: "nbimage", Value: p.Images})...); err != nil {
			f.Close(false, "resume failed")
			return nil, err
		}
		return injectFaults(f), nil
	}, pool, opts)
	if err != nil {
		return nil, err
	}
	first := 0
	if ck != nil {
		if ck.Images > p.Images {
			w.Close(false, "resume refused")
			return nil, usagef("--nbimage %d: %s already holds %d images", p.Images, cfg.output, ck.Images)
		}
		if err := s.SetState(ck.State, ck.Step); err != nil {
			w.Close(false, err.Error())
			return nil, err
		}
		first = ck.Images
		log.Info("resuming", "file", cfg.output, "from_image", first, "step", ck.Step, "images", p.Images)
	}
	rs := &runStats{Output: cfg.output, Renderer: info.Renderer, Vendor: info.Vendor, GLVersion: info.Version,
		Rows: p.Rows, Cols: p.Cols, ImagesRequested: p.Images, FirstImage: first, StepsPerImage: p.StepsPerImage,
		BufferLen: cfg.bufferLen, ReadbackSlots: s.ReadbackSlots(), Compression: cfg.compression, FlushEvery: cfg.flushEvery}
	prog.start(rs, w)
	run := pipeline{sim: s, writer: w, first: first, images: p.Images, steps: p.StepsPerImage,
		checkpoints: true, checkpointEvery: cfg.flushEvery, onImage: prog.image}
	start := time.Now()
	var sent int
	var runErr error
	if view != nil {
		sent, runErr = view.run(ctx, &run, w)
	} else {
		sent, runErr = run.produce(ctx)
	}
	reason := ""
	if runErr != nil {
		reason = runErr.Error()
		if ctx.Err() != nil {
			reason = "interrupted: " + context.Cause(ctx).Error()
		}
	}
	st, werr := w.Close(runErr == nil, reason)
	if runErr == nil || (ctx.Err() != nil && werr != nil) {
		runErr = werr
	}
	rs.wall = time.Since(start)
	rs.fill(st, int64(sent)*int64(p.StepsPerImage), s.ReadbackWait(), runErr == nil)
	if runErr != nil && ctx.Err() == nil {
		rs.StopReason = runErr.Error()
	} else if ctx.Err() != nil {
		rs.StopReason = reason
	}
	return rs, runErr
}
