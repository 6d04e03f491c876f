package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"syscall"
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
	force       bool
	compression int
	workGroup   gpu.WorkGroup
	eglPlatform string
	quiet       bool
	verbose     bool

	bufferLen       int
	readbackSlots   int
	flushEvery      int
	compressWorkers int
}

const runUsage = `Usage: grayscott run [flags]

Simulates Gray-Scott reaction-diffusion on the GPU and writes image i = V after
(i+1)·nbextrastep steps to /matrix of an HDF5 file, float32 [images, rows, cols].

Flags:
`

// parseRunFlags parses and validates the flags of "grayscott run". Every
// error is a *usageError naming the flag and the value.
func parseRunFlags(args []string, stdout io.Writer) (*runConfig, error) {
	d := sim.Defaults()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	rows := fs.IntP("nbrow", "r", d.Rows, "grid rows")
	cols := fs.IntP("nbcol", "c", d.Cols, "grid columns")
	images := fs.IntP("nbimage", "n", d.Images, "images to write")
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
	bufferLen := fs.Int("storage-buffer-len", 1, "images queued between GPU and writer; 0 writes synchronously")
	slots := fs.Int("readback-slots", gpu.DefaultReadbackSlots, "GPU staging buffers for overlapped readback (1 = no overlap)")
	flushEvery := fs.Int("flush-every", 0, "flush and fsync the file every N images (0 = only at the end)")
	workers := fs.Int("compress-workers", runtime.NumCPU(), "parallel compression workers when --compression-level > 0 (0 = HDF5's in-line filter)")
	wg := fs.String("workgroup", gpu.DefaultWorkGroup.String(), "compute work-group size XxY")
	platform := fs.String("egl-platform", "auto", "EGL route: auto (device, then surfaceless), device or surfaceless")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
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
	if err := storage.CheckOutput(*output, *force); err != nil {
		return nil, usagef("--output %s: %v", *output, err)
	}
	return &runConfig{params: p, output: *output, force: *force, compression: *compression,
		workGroup: w, eglPlatform: *platform, quiet: *quiet, verbose: *verbose,
		bufferLen: *bufferLen, readbackSlots: *slots, flushEvery: *flushEvery, compressWorkers: *workers}, nil
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := simulate(ctx, cfg, log)
	if st != nil && !cfg.quiet {
		printSummary(stderr, st)
	}
	return err
}

// simulate runs the whole data path: GPU steps and readbacks, the pool,
// the bounded queue and the HDF5 writer. When ctx is cancelled it stops
// starting images, stores those already computed and closes the file as
// incomplete.
func simulate(ctx context.Context, cfg *runConfig, log *slog.Logger) (*runStats, error) {
	p := cfg.params
	glctx, err := gpu.NewHeadless(gpu.Options{Debug: cfg.verbose, Platform: cfg.eglPlatform})
	if err != nil {
		return nil, err
	}
	defer glctx.Release()
	info := glctx.Info()
	log.Debug("OpenGL", "vendor", info.Vendor, "renderer", info.Renderer, "version", info.Version, "platform", info.Platform)

	s, err := gpu.NewSimulator(glctx, p, gpu.Config{WorkGroup: cfg.workGroup, ReadbackSlots: cfg.readbackSlots},
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
	opts := storage.WriterOptions{BufferLen: cfg.bufferLen, FlushEvery: cfg.flushEvery, Workers: cfg.compressWorkers}
	pool := storage.NewPool(opts.PoolSize(), p.Cells())
	w, err := storage.StartWriter(func() (storage.Sink, error) {
		return storage.Create(cfg.output, p, attrs, storage.Options{CompressionLevel: cfg.compression, Force: cfg.force})
	}, pool, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	sent, runErr := produce(ctx, s, w, p.Images, p.StepsPerImage)
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
	rs := &runStats{Stats: st, Images: st.Frames, Steps: int64(sent) * int64(p.StepsPerImage), Cells: p.Cells(),
		Wall: time.Since(start), ReadbackWait: s.ReadbackWait(), Renderer: info.Renderer, Output: cfg.output,
		Completed: runErr == nil}
	return rs, runErr
}
