package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"grayscott/bench"
	"grayscott/gpu"
	"grayscott/gpu/gpuconf"
	"grayscott/internal/runflags"
	"grayscott/sim"
)

type benchOptions struct {
	bench.Options
	engines                     string // the flag: auto, or a list
	jsonPath, csvPath, plotPath string
	eglPlatform                 string
	tuning                      string // where to save the fastest kernels; "" nowhere
	quiet                       bool
}

const benchUsage = `Usage: grayscott bench [flags]

Measures each stage of the data path on this machine, in one invocation:
compute only (per engine: the GPU per kernel and work group, the CPU per
thread count; cell-updates/s and effective GB/s at 16 bytes per cell per
step), readback only, storage only (per compression level and flush policy)
and end to end (per engine and storage buffer length; 0 is synchronous), next
to limits measured on the spot: the device's memory bandwidth (a copy
shader), host memory copies, the CPU's last-level cache and the disk's write
bandwidth. Every figure is a median over
--repeats with its range, warm-up excluded, GPU time from timer queries where
the driver has them. Prints a table; --json, --csv and --plot write files.

Flags:
`

func parseIntList(flag, s string, min int) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < min {
			return nil, usagef("--%s %s: want integers ≥ %d separated by commas", flag, s, min)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseGrids parses --sizes: N (an N×N grid) or RxC, separated by commas.
func parseGrids(s string) ([]bench.Grid, error) {
	var out []bench.Grid
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		r, c, isRect := strings.Cut(strings.ToLower(f), "x")
		if !isRect {
			c = r
		}
		rows, err1 := strconv.Atoi(r)
		cols, err2 := strconv.Atoi(c)
		g := bench.Grid{Rows: rows, Cols: cols}
		if err1 != nil || err2 != nil || rows < 2 || cols < 2 || int64(rows)*int64(cols) > sim.MaxCells {
			return nil, usagef("--sizes %s: want sides N ≥ 2 or RxC grids, separated by commas", s)
		}
		out = append(out, g)
	}
	return out, nil
}

func parseBenchFlags(args []string, stdout io.Writer) (*benchOptions, error) {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	sizes := fs.String("sizes", "256,1024", "grids to measure: sides N (N×N cells) or RxC, e.g. 1080x1920")
	engines := fs.String("engines", "auto", "engines to measure: gpu, cpu, or both (gpu,cpu); auto: both where a GL context can be made, else cpu")
	threads := fs.String("threads", defaultThreads(), "thread counts of the CPU engine's compute stage (the last also for its readback and end to end)")
	bufferLens := fs.String("buffer-lens", "0,1,2,4", "storage buffer lengths for the end-to-end runs (0 = synchronous)")
	compression := fs.String("compression", "0,1,6", "compression levels for the storage stage (the first also for end to end)")
	flushes := fs.String("flush-every", "1,0", "flush policies for storage and disk (the first also for end to end): 1 every image, 0 only at the end")
	workgroups := fs.String("workgroups", "16x16,32x8,64x4,256x1", "work-group sizes for the compute stage")
	kernels := fs.String("kernels", strings.Join(gpu.Kernels, ","), "step kernels for the compute stage")
	images := fs.Int("images", 20, "images per storage, readback and end-to-end measurement")
	steps := fs.IntP("nbextrastep", "e", 34, "steps per image")
	repeats := fs.Int("repeats", 3, "repeats of each measurement (median and range)")
	quick := fs.Bool("quick", false, "tiny sizes, one repeat: a check that everything runs (the test suite uses it)")
	dir := fs.String("dir", "", "folder for the storage files (default: the system's temporary folder); its disk is the one measured")
	jsonPath := fs.String("json", "", "write every figure as JSON to FILE")
	csvPath := fs.String("csv", "", "write every figure as CSV to FILE")
	plotPath := fs.String("plot", "", "write a PNG plot of throughput against buffer length and grid size to FILE")
	e2eKernel := fs.String("kernel", "", "GPU kernel of the end-to-end runs, or fastest: the fastest measured in this run at the same grid (default: the first of --kernels)")
	e2eWG := fs.String("workgroup", "", "GPU work group of the end-to-end runs (default: the first of --workgroups; with --kernel fastest, the fastest's)")
	var platform string
	runflags.PlatformFlag(fs, &platform)
	quiet := fs.BoolP("quiet", "q", false, "no table on stdout")
	save := fs.Bool("save-tuning", true, "save the fastest kernel and work group per size to --tuning, for run's --kernel/--workgroup auto (not with --quick unless given)")
	tuning := fs.String("tuning", runflags.DefaultTuningPath(), "the file --save-tuning writes")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, benchUsage+fs.FlagUsages())
			return nil, errHelp
		}
		return nil, usagef("bench: %v", err)
	}
	if fs.NArg() > 0 {
		return nil, usagef("bench: unexpected argument %q", fs.Arg(0))
	}
	o := &benchOptions{Options: bench.Options{Images: *images, Steps: *steps, Repeats: *repeats, Dir: *dir, Quick: *quick},
		engines:  *engines,
		jsonPath: *jsonPath, csvPath: *csvPath, plotPath: *plotPath, eglPlatform: platform, quiet: *quiet}
	if *save && (!*quick || fs.Changed("save-tuning")) {
		if *tuning == "" || *tuning == "none" {
			return nil, usagef("--tuning %q: --save-tuning needs a file (or --save-tuning=false)", *tuning)
		}
		o.tuning = *tuning
	}
	if *quick { // tiny defaults; flags given on the command line still win
		quickDefaults := []struct {
			flag string
			dst  *string
			val  string
		}{{"sizes", sizes, "32,48"}, {"buffer-lens", bufferLens, "0,2"}, {"compression", compression, "0,1"},
			{"flush-every", flushes, "1,0"}, {"workgroups", workgroups, "16x16,8x8"}}
		for _, q := range quickDefaults {
			if !fs.Changed(q.flag) {
				*q.dst = q.val
			}
		}
		for _, q := range []struct {
			flag string
			dst  *int
			val  int
		}{{"images", &o.Images, 3}, {"nbextrastep", &o.Steps, 2}, {"repeats", &o.Repeats, 1}} {
			if !fs.Changed(q.flag) {
				*q.dst = q.val
			}
		}
	}
	if err := runflags.CheckPlatform(o.eglPlatform); err != nil {
		return nil, err
	}
	var err error
	if o.Sizes, err = parseGrids(*sizes); err != nil {
		return nil, err
	}
	if o.Threads, err = parseIntList("threads", *threads, 1); err != nil {
		return nil, err
	}
	if o.engines != "auto" {
		for _, e := range strings.Split(o.engines, ",") {
			if e != "gpu" && e != "cpu" {
				return nil, usagef("--engines %s: want auto, or gpu and/or cpu separated by commas", o.engines)
			}
			o.Engines = append(o.Engines, e)
		}
	}
	if o.BufferLens, err = parseIntList("buffer-lens", *bufferLens, 0); err != nil {
		return nil, err
	}
	if o.Compression, err = parseIntList("compression", *compression, 0); err != nil {
		return nil, err
	}
	if slices.Max(o.Compression) > 9 {
		return nil, usagef("--compression %s: levels are 0..9", *compression)
	}
	if o.Flushes, err = parseIntList("flush-every", *flushes, 0); err != nil {
		return nil, err
	}
	for _, w := range strings.Split(*workgroups, ",") {
		wg, err := gpuconf.ParseWorkGroup(strings.TrimSpace(w))
		if err != nil {
			return nil, usagef("--workgroups %s: %v", *workgroups, err)
		}
		o.WorkGroups = append(o.WorkGroups, wg)
	}
	for _, k := range strings.Split(*kernels, ",") {
		if !slices.Contains(gpu.Kernels, k) {
			return nil, usagef("--kernels %s: want some of %s", *kernels, strings.Join(gpu.Kernels, ","))
		}
		o.Kernels = append(o.Kernels, k)
	}
	if *e2eKernel == "fastest" {
		if *e2eWG != "" {
			return nil, usagef("--kernel fastest picks the work group too; leave --workgroup out")
		}
		o.EndToEndFastest = true
	} else if *e2eKernel != "" {
		if !slices.Contains(gpu.Kernels, *e2eKernel) {
			return nil, usagef("--kernel %s: want one of %s", *e2eKernel, strings.Join(gpu.Kernels, ", "))
		}
		o.EndToEndKernel = *e2eKernel
	}
	if *e2eWG != "" {
		wg, err := gpuconf.ParseWorkGroup(*e2eWG)
		if err != nil {
			return nil, usagef("--workgroup %s: %v", *e2eWG, err)
		}
		o.EndToEndWorkGroup = wg
	}
	if o.Images < 1 || o.Steps < 1 || o.Repeats < 1 {
		return nil, usagef("bench: --images, --nbextrastep and --repeats must be at least 1")
	}
	if o.Dir == "" {
		o.Dir = os.TempDir()
	}
	if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
		return nil, usagef("--dir %s: not a folder", o.Dir)
	}
	for _, f := range []struct{ flag, path string }{{"json", o.jsonPath}, {"csv", o.csvPath}, {"plot", o.plotPath}} {
		if f.path != "" {
			if _, err := os.Stat(filepath.Dir(f.path)); err != nil {
				return nil, usagef("--%s %s: folder %s does not exist", f.flag, f.path, filepath.Dir(f.path))
			}
		}
	}
	return o, nil
}

func benchCommand(args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchFlags(args, stdout)
	if err != nil {
		return err
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := notifyStop(context.Background(), stderr)
	defer stop()
	var glctx *gpu.Context
	if o.engines == "auto" || slices.Contains(o.Engines, "gpu") {
		glctx, err = gpu.NewHeadless(gpu.Options{Platform: o.eglPlatform})
		switch {
		case err == nil && o.engines == "auto":
			o.Engines = []string{"gpu", "cpu"}
		case err == nil:
		case o.engines == "auto":
			o.Log.Info("bench: the CPU engine only, as there is no OpenGL 4.3 context here", "why", firstLine(err.Error()))
			o.Engines = []string{"cpu"}
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
	if !o.quiet {
		rep.WriteTable(stdout)
	}
	if o.tuning != "" && slices.Contains(o.Engines, "gpu") {
		var fresh []tuningEntry
		var picks []string
		for _, b := range rep.Fastest() {
			fresh = append(fresh, tuningEntry{Renderer: rep.Renderer, GLVersion: rep.GLVersion, Size: b.Size,
				Kernel: b.Kernel, Workgroup: b.Workgroup, CellUpdatesPerS: b.CellUpdatesPerS, Date: rep.Date})
			picks = append(picks, fmt.Sprintf("%d²: %s %s", b.Size, b.Kernel, b.Workgroup))
		}
		if err := saveTuning(o.tuning, fresh); err != nil {
			return fmt.Errorf("bench: saving the tuning to %s: %w", o.tuning, err)
		}
		if !o.quiet {
			fmt.Fprintf(stdout, "\nfastest per size (run uses them with --kernel/--workgroup auto): %s; saved to %s\n", strings.Join(picks, ", "), o.tuning)
		}
	}
	if o.jsonPath != "" {
		buf, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonPath, append(buf, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if o.csvPath != "" {
		if err := writeFileWith(o.csvPath, rep.WriteCSV); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if o.plotPath != "" {
		if err := rep.Plot(o.plotPath); err != nil {
			return err
		}
	}
	return nil
}

// defaultThreads is 1, 2, 4, … below the number of cores, then that number.
func defaultThreads() string {
	var ts []string
	for t := 1; t < runtime.NumCPU(); t *= 2 {
		ts = append(ts, strconv.Itoa(t))
	}
	return strings.Join(append(ts, strconv.Itoa(runtime.NumCPU())), ",")
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
