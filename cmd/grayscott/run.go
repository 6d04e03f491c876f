package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"grayscott/gpu"
	"grayscott/sim"
	"grayscott/storage"
)

var errHelp = errors.New("help shown")

// runConfig is everything "grayscott run" needs, parsed and validated.
type runConfig struct {
	params      sim.Params
	output      string
	resume      bool // output is an existing file to continue
	force       bool
	compression int
	workGroup   gpu.WorkGroup
	eglPlatform string
	quiet       bool
	verbose     bool
	jsonPath    string

	bufferLen       int
	readbackSlots   int
	flushEvery      int
	compressWorkers int
}

const runUsage = `Usage: grayscott run [flags]
       grayscott run --resume FILE [flags]

Simulates Gray-Scott reaction-diffusion on the GPU and writes image i = V after
(i+1)·nbextrastep steps to /matrix of an HDF5 file, float32 [images, rows, cols].

Ctrl-C (or SIGTERM) stops cleanly: the images computed so far are written, the
file is closed with completed = 0, and --resume continues it later. A second
Ctrl-C quits at once. Exit status: 0 done, 1 failed, 2 bad input, 130 after
SIGINT, 143 after SIGTERM.

Flags:
`

// modelFlags are the flags that define a run's results: resuming a file
// with any of them set to another value than the file's is refused.
var modelFlags = []string{"nbrow", "nbcol", "nbextrastep", "feedrate", "killrate", "deltat", "du", "dv", "boundary", "compression-level"}

// parseRunFlags parses and validates the flags of "grayscott run". Every
// error is a *usageError naming the flag and the value. It reads an
// existing file for --resume but does no GPU work.
func parseRunFlags(args []string, stdout io.Writer) (*runConfig, error) {
	d := sim.Defaults()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	rows := fs.IntP("nbrow", "r", d.Rows, "grid rows")
	cols := fs.IntP("nbcol", "c", d.Cols, "grid columns")
	images := fs.IntP("nbimage", "n", d.Images, "images to write (with --resume: the new total)")
	steps := fs.IntP("nbextrastep", "e", d.StepsPerImage, "simulation steps between images")
	output := fs.StringP("output", "o", "output.h5", "output HDF5 file")
	feed := fs.Float32P("feedrate", "f", d.Feed, "feed rate F")
	kill := fs.Float32P("killrate", "k", d.Kill, "kill rate k")
	dt := fs.Float32P("deltat", "t", d.DeltaT, "time step (stable while dt·max(du,dv) ≤ 0.5)")
	du := fs.Float32("du", d.DiffU, "diffusion rate of U")
	dv := fs.Float32("dv", d.DiffV, "diffusion rate of V")
	boundary := fs.String("boundary", d.Boundary.String(), "what the stencil reads outside the grid: zero, periodic or neumann")
	compression := fs.Int("compression-level", 0, "deflate level 1..9 with shuffle; 0 stores raw chunks")
	force := fs.Bool("force", false, "overwrite an existing output file")
	resume := fs.String("resume", "", "continue FILE from its last checkpoint, appending images")
	bufferLen := fs.Int("storage-buffer-len", 1, "images queued between GPU and writer; 0 writes synchronously")
	slots := fs.Int("readback-slots", gpu.DefaultReadbackSlots, "GPU staging buffers for overlapped readback (1 = no overlap)")
	flushEvery := fs.Int("flush-every", 0, "flush, fsync and checkpoint every N images (0 = only at the end)")
	workers := fs.Int("compress-workers", runtime.NumCPU(), "parallel compression workers when --compression-level > 0 (0 = HDF5's in-line filter)")
	wg := fs.String("workgroup", gpu.DefaultWorkGroup.String(), "compute work-group size XxY")
	platform := fs.String("egl-platform", "auto", "EGL route: auto (device, then surfaceless), device or surfaceless")
	jsonPath := fs.String("json", "", "write the end-of-run summary as JSON to FILE")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors (no progress, no summary)")
	verbose := fs.BoolP("verbose", "v", false, "log GL details and debug messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, runUsage+fs.FlagUsages())
			return nil, errHelp
		}
		return nil, usagef("run: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("run: unexpected argument %q", fs.Arg(0))
	}
	b, err := sim.ParseBoundary(*boundary)
	if err != nil {
		return nil, usagef("--boundary %s: want zero, periodic or neumann", *boundary)
	}
	p := sim.Params{Rows: *rows, Cols: *cols, Images: *images, StepsPerImage: *steps,
		Feed: *feed, Kill: *kill, DeltaT: *dt, DiffU: *du, DiffV: *dv, Boundary: b}
	if err := p.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	if *compression < 0 || *compression > 9 {
		return nil, usagef("--compression-level %d: want 0 (none) to 9", *compression)
	}
	w, err := gpu.ParseWorkGroup(*wg)
	if err != nil {
		return nil, usagef("--workgroup %s: want XxY with positive sizes and X·Y ≤ %d", *wg, gpu.MaxInvocations)
	}
	for _, c := range []struct {
		flag string
		v    int
		min  int
	}{{"storage-buffer-len", *bufferLen, 0}, {"readback-slots", *slots, 1}, {"flush-every", *flushEvery, 0}, {"compress-workers", *workers, 0}} {
		if c.v < c.min {
			return nil, usagef("--%s %d: must be at least %d", c.flag, c.v, c.min)
		}
	}
	switch *platform {
	case "auto", "device", "surfaceless":
	default:
		return nil, usagef("--egl-platform %s: want auto, device or surfaceless", *platform)
	}
	if *jsonPath != "" {
		if _, err := os.Stat(filepath.Dir(*jsonPath)); err != nil {
			return nil, usagef("--json %s: folder %s does not exist", *jsonPath, filepath.Dir(*jsonPath))
		}
	}
	cfg := &runConfig{params: p, output: *output, force: *force, compression: *compression,
		workGroup: w, eglPlatform: *platform, quiet: *quiet, verbose: *verbose, jsonPath: *jsonPath,
		bufferLen: *bufferLen, readbackSlots: *slots, flushEvery: *flushEvery, compressWorkers: *workers}
	if *resume != "" {
		if fs.Changed("output") && *output != *resume {
			return nil, usagef("--output %s: --resume %s appends to that file; leave --output out", *output, *resume)
		}
		if fs.Changed("force") {
			return nil, usagef("--force: --resume %s appends to the file and never overwrites it", *resume)
		}
		if err := resumeParams(cfg, *resume, fs); err != nil {
			return nil, err
		}
		return cfg, nil
	}
	if err := storage.CheckOutput(*output, *force); err != nil {
		return nil, usagef("--output %s: %v", *output, err)
	}
	return cfg, nil
}

// resumeParams takes the parameters of the file to resume and refuses
// flags that were set to other values, naming each difference. -n may
// raise the number of images.
func resumeParams(cfg *runConfig, path string, fs *pflag.FlagSet) error {
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
	for _, name := range modelFlags {
		if fs.Changed(name) && given[name] != fileValues[name] {
			diffs = append(diffs, fmt.Sprintf("--%s %s (file: %s)", name, given[name], fileValues[name]))
		}
	}
	if len(diffs) > 0 {
		return usagef("--resume %s: the file was made with other parameters: %s", path, strings.Join(diffs, ", "))
	}
	images := cfg.params.Images
	if !fs.Changed("nbimage") {
		images = fp.Images
	}
	cfg.params = fp
	cfg.params.Images = images
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

	ctx, stop := notifyStop(context.Background(), stderr)
	defer stop()
	var prog progress = noProgress{}
	if !cfg.quiet {
		prog = newProgress(stderr, log)
	}
	st, err := simulate(ctx, cfg, log, prog)
	prog.finish()
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
	if sig := stopSignal(ctx); sig != nil && st != nil {
		return &interruptedError{sig: sig, output: cfg.output, images: st.Images + st.FirstImage, total: cfg.params.Images, cause: err}
	}
	return err
}

// simulate runs the whole data path: GPU steps and readbacks, the pool,
// the bounded queue and the HDF5 writer. When ctx is cancelled it stops
// starting images, stores those already computed with a checkpoint and
// closes the file as incomplete.
func simulate(ctx context.Context, cfg *runConfig, log *slog.Logger, prog progress) (*runStats, error) {
	p := cfg.params
	glctx, err := gpu.NewHeadless(gpu.Options{Debug: cfg.verbose, Platform: cfg.eglPlatform})
	if err != nil {
		return nil, err
	}
	defer glctx.Release()
	info := glctx.Info()
	log.Debug("OpenGL", "vendor", info.Vendor, "renderer", info.Renderer, "version", info.Version, "platform", info.Platform)

	s, err := gpu.NewSimulator(glctx, p, gpu.Config{WorkGroup: cfg.workGroup, ReadbackSlots: cfg.readbackSlots, ReadbackU: true},
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
	}
	opts := storage.WriterOptions{BufferLen: cfg.bufferLen, FlushEvery: cfg.flushEvery, Workers: cfg.compressWorkers, Checkpoints: true}
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
		checkpointEvery: cfg.flushEvery, onImage: prog.image}
	start := time.Now()
	sent, runErr := run.produce(ctx)
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
