package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
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
	switch *platform {
	case "auto", "device", "surfaceless":
	default:
		return nil, usagef("--egl-platform %s: want auto, device or surfaceless", *platform)
	}
	if err := storage.CheckOutput(*output, *force); err != nil {
		return nil, usagef("--output %s: %v", *output, err)
	}
	return &runConfig{params: p, output: *output, force: *force, compression: *compression,
		workGroup: w, eglPlatform: *platform, quiet: *quiet, verbose: *verbose}, nil
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
	sum, err := simulate(ctx, cfg, log)
	if sum != nil {
		log.Info("run finished", sum.logArgs()...)
	}
	return err
}

// summary is what a run did.
type summary struct {
	Images    int
	Steps     int64
	Cells     int
	Bytes     int64
	Wall      time.Duration
	Renderer  string
	Output    string
	Completed bool
}

func (s *summary) logArgs() []any {
	sec := s.Wall.Seconds()
	return []any{"images", s.Images, "output", s.Output, "completed", s.Completed,
		"wall", s.Wall.Round(time.Millisecond),
		"steps_per_s", math.Round(float64(s.Steps) / sec),
		"cell_updates_per_s", fmt.Sprintf("%.3g", float64(s.Steps)*float64(s.Cells)/sec),
		"MB_written", fmt.Sprintf("%.1f", float64(s.Bytes)/1e6),
		"renderer", s.Renderer}
}

// simulate runs the GPU loop and writes every image. When ctx is cancelled
// it stops after the image in progress and closes the file as incomplete.
func simulate(ctx context.Context, cfg *runConfig, log *slog.Logger) (*summary, error) {
	p := cfg.params
	glctx, err := gpu.NewHeadless(gpu.Options{Debug: cfg.verbose, Platform: cfg.eglPlatform})
	if err != nil {
		return nil, err
	}
	defer glctx.Release()
	info := glctx.Info()
	log.Debug("OpenGL", "vendor", info.Vendor, "renderer", info.Renderer, "version", info.Version, "platform", info.Platform)

	s, err := gpu.NewSimulator(glctx, p, cfg.workGroup, sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		return nil, err
	}
	defer s.Release()

	f, err := storage.Create(cfg.output, p, []storage.Attr{
		{Name: "program", Value: "grayscott"},
		{Name: "program_version", Value: Version()},
		{Name: "gl_vendor", Value: info.Vendor},
		{Name: "gl_renderer", Value: info.Renderer},
		{Name: "gl_version", Value: info.Version},
		{Name: "gl_platform", Value: info.Platform},
		{Name: "workgroup", Value: cfg.workGroup.String()},
	}, storage.Options{CompressionLevel: cfg.compression, Force: cfg.force})
	if err != nil {
		return nil, err
	}
	sum := &summary{Cells: p.Cells(), Renderer: info.Renderer, Output: cfg.output}
	start := time.Now()
	frame := make([]float32, p.Cells())
	runErr := func() error {
		for i := range p.Images {
			if ctx.Err() != nil {
				return fmt.Errorf("interrupted after %d of %d images", i, p.Images)
			}
			if err := s.Step(p.StepsPerImage); err != nil {
				return err
			}
			if err := s.ReadV(frame); err != nil {
				return err
			}
			if err := f.WriteFrame(frame); err != nil {
				return err
			}
			sum.Images++
			sum.Steps += int64(p.StepsPerImage)
			sum.Bytes += int64(len(frame) * 4)
		}
		return nil
	}()
	sum.Wall = time.Since(start)
	sum.Completed = runErr == nil
	reason := ""
	if runErr != nil {
		reason = runErr.Error()
	}
	if err := f.Close(sum.Completed, reason); err != nil && runErr == nil {
		runErr = err
	}
	return sum, runErr
}
