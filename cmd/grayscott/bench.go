package main

import (
	"context"
	"encoding/csv"
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
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"grayscott/cmd/grayscott/internal/runflags"
	"grayscott/gpu"
	"grayscott/sim"
	"grayscott/storage"
)

// figure is one measured quantity: a median over repeats with its spread.
// Fields that do not apply to a stage are -1 or "".
type figure struct {
	Stage       string  `json:"stage"` // memory-copy, host-copy, disk-write, compute, readback, storage, end-to-end
	Size        int     `json:"size"`  // grid side: size×size cells
	Kernel      string  `json:"kernel"`
	Workgroup   string  `json:"workgroup"`
	BufferLen   int     `json:"storage_buffer_len"`
	Compression int     `json:"compression_level"`
	FlushEvery  int     `json:"flush_every"`
	Metric      string  `json:"metric"`
	Unit        string  `json:"unit"`
	Median      float64 `json:"median"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Repeats     int     `json:"repeats"`
	Timing      string  `json:"timing"` // gpu-timer or wall
	ImagesPerS  float64 `json:"images_per_s"`
	Limit       float64 `json:"limit"`      // the matching hardware limit, in Unit (0: none)
	LimitName   string  `json:"limit_name"` // which measured limit
	OfLimit     float64 `json:"fraction_of_limit"`
	BoundBy     string  `json:"bound_by"` // end-to-end: the slower stage alone
}

// benchReport is what grayscott bench writes with --json.
type benchReport struct {
	Program   string   `json:"program"`
	Version   string   `json:"version"`
	Date      string   `json:"date"`
	Renderer  string   `json:"gl_renderer"`
	Vendor    string   `json:"gl_vendor"`
	GLVersion string   `json:"gl_version"`
	Platform  string   `json:"gl_platform"`
	CPUs      int      `json:"cpus"`
	Steps     int      `json:"steps_per_image"`
	Images    int      `json:"images"`
	Repeats   int      `json:"repeats"`
	Figures   []figure `json:"figures"`
}

type benchOptions struct {
	sizes, bufferLens, compression, flushes []int
	workgroups                              []gpu.WorkGroup
	kernels                                 []string
	images, steps, repeats                  int
	dir, jsonPath, csvPath, plotPath        string
	eglPlatform                             string
	quiet, saveTuning                       bool
}

const benchUsage = `Usage: grayscott bench [flags]

Measures each stage of the data path on this machine, in one invocation:
compute only (cell-updates/s and effective GB/s at 16 bytes per cell per
step), readback only, storage only (per compression level and flush policy)
and end to end (per storage buffer length; 0 is synchronous), next to limits
measured on the spot: the device's memory bandwidth (a copy shader), host
memory copies and the disk's write bandwidth. Every figure is a median over
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

func parseBenchFlags(args []string, stdout io.Writer) (*benchOptions, error) {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	sizes := fs.String("sizes", "256,1024", "grid sides to measure (size×size cells)")
	bufferLens := fs.String("buffer-lens", "0,1,2,4", "storage buffer lengths for the end-to-end runs (0 = synchronous)")
	compression := fs.String("compression", "0,1,6", "compression levels for the storage stage (the first also for end to end)")
	flushes := fs.String("flush-every", "1,0", "flush policies for storage and disk (the first also for end to end): 1 every image, 0 only at the end")
	workgroups := fs.String("workgroups", "16x16,8x8,32x8", "work-group sizes for the compute stage")
	kernels := fs.String("kernels", strings.Join(gpu.Kernels, ","), "step kernels for the compute stage")
	images := fs.Int("images", 20, "images per storage, readback and end-to-end measurement")
	steps := fs.IntP("nbextrastep", "e", 34, "steps per image")
	repeats := fs.Int("repeats", 3, "repeats of each measurement (median and range)")
	quick := fs.Bool("quick", false, "tiny sizes, one repeat: a check that everything runs (the test suite uses it)")
	dir := fs.String("dir", "", "folder for the storage files (default: the system's temporary folder); its disk is the one measured")
	jsonPath := fs.String("json", "", "write every figure as JSON to FILE")
	csvPath := fs.String("csv", "", "write every figure as CSV to FILE")
	plotPath := fs.String("plot", "", "write a PNG plot of throughput against buffer length and grid size to FILE")
	platform := fs.String("egl-platform", "auto", "EGL route: auto, device or surfaceless")
	quiet := fs.BoolP("quiet", "q", false, "no table on stdout")
	save := fs.Bool("save-tuning", true, "save the fastest kernel and work group per size for run's --kernel/--workgroup auto (not with --quick unless given)")
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
	o := &benchOptions{images: *images, steps: *steps, repeats: *repeats, dir: *dir, jsonPath: *jsonPath,
		csvPath: *csvPath, plotPath: *plotPath, eglPlatform: *platform, quiet: *quiet,
		saveTuning: *save && (!*quick || fs.Changed("save-tuning"))}
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
		}{{"images", &o.images, 3}, {"nbextrastep", &o.steps, 2}, {"repeats", &o.repeats, 1}} {
			if !fs.Changed(q.flag) {
				*q.dst = q.val
			}
		}
	}
	switch o.eglPlatform {
	case "auto", "device", "surfaceless":
	default:
		return nil, usagef("--egl-platform %s: want auto, device or surfaceless", o.eglPlatform)
	}
	var err error
	if o.sizes, err = parseIntList("sizes", *sizes, 2); err != nil {
		return nil, err
	}
	if o.bufferLens, err = parseIntList("buffer-lens", *bufferLens, 0); err != nil {
		return nil, err
	}
	if o.compression, err = parseIntList("compression", *compression, 0); err != nil {
		return nil, err
	}
	if slices.Max(o.compression) > 9 {
		return nil, usagef("--compression %s: levels are 0..9", *compression)
	}
	if o.flushes, err = parseIntList("flush-every", *flushes, 0); err != nil {
		return nil, err
	}
	for _, w := range strings.Split(*workgroups, ",") {
		x, y, err := runflags.ParseWorkGroup(strings.TrimSpace(w))
		if err != nil {
			return nil, usagef("--workgroups %s: %v", *workgroups, err)
		}
		o.workgroups = append(o.workgroups, gpu.WorkGroup{X: x, Y: y})
	}
	for _, k := range strings.Split(*kernels, ",") {
		if !slices.Contains(gpu.Kernels, k) {
			return nil, usagef("--kernels %s: want some of %s", *kernels, strings.Join(gpu.Kernels, ","))
		}
		o.kernels = append(o.kernels, k)
	}
	if o.images < 1 || o.steps < 1 || o.repeats < 1 {
		return nil, usagef("bench: --images, --nbextrastep and --repeats must be at least 1")
	}
	if o.dir == "" {
		o.dir = os.TempDir()
	}
	if st, err := os.Stat(o.dir); err != nil || !st.IsDir() {
		return nil, usagef("--dir %s: not a folder", o.dir)
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

// spread returns the median, min and max.
func spread(xs []float64) (med, lo, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}

func newFigure(stage string, size int, metric, unit string, xs []float64, timing string) figure {
	med, lo, hi := spread(xs)
	return figure{Stage: stage, Size: size, BufferLen: -1, Compression: -1, FlushEvery: -1,
		Metric: metric, Unit: unit, Median: med, Min: lo, Max: hi, Repeats: len(xs), Timing: timing}
}

func timingName(gpuTimed bool) string {
	if gpuTimed {
		return "gpu-timer"
	}
	return "wall"
}

func benchCommand(args []string, stdout, stderr io.Writer) error {
	o, err := parseBenchFlags(args, stdout)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	glctx, err := gpu.NewHeadless(gpu.Options{Platform: o.eglPlatform})
	if err != nil {
		return err
	}
	info := glctx.Info()
	rep := &benchReport{Program: "grayscott", Version: Version(), Date: time.Now().UTC().Format(time.RFC3339),
		Renderer: info.Renderer, Vendor: info.Vendor, GLVersion: info.Version, Platform: info.Platform,
		CPUs: runtime.NumCPU(), Steps: o.steps, Images: o.images, Repeats: o.repeats}
	b := &bencher{o: o, ctx: glctx, log: log, rep: rep}
	runErr := b.run()
	glctx.Release()
	if runErr != nil {
		return runErr
	}
	if !o.quiet {
		printBench(stdout, rep)
	}
	if o.saveTuning {
		best := bestPerSize(rep)
		path, err := saveTuning(best)
		if err != nil {
			return fmt.Errorf("bench: saving the tuning: %w", err)
		}
		if !o.quiet {
			var picks []string
			for _, e := range best {
				picks = append(picks, fmt.Sprintf("%d²: %s %s", e.Size, e.Kernel, e.Workgroup))
			}
			fmt.Fprintf(stdout, "\nfastest per size (run uses them with --kernel/--workgroup auto): %s; saved to %s\n", strings.Join(picks, ", "), path)
		}
	}
	if o.jsonPath != "" {
		buf, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonPath, append(buf, '\n'), 0o644); err != nil {
			return fmt.Errorf("bench: %w", err)
		}
	}
	if o.csvPath != "" {
		if err := writeBenchCSV(o.csvPath, rep); err != nil {
			return err
		}
	}
	if o.plotPath != "" {
		if err := plotBench(o.plotPath, rep); err != nil {
			return err
		}
	}
	return nil
}

type bencher struct {
	o   *benchOptions
	ctx *gpu.Context
	log *slog.Logger
	rep *benchReport

	copyGBs, hostGBs float64
}

func (b *bencher) add(f figure) { b.rep.Figures = append(b.rep.Figures, f) }

func (b *bencher) run() error {
	o := b.o
	// Limits first: the device's memory bandwidth and host memory copies.
	copyBytes := 64 << 20
	if o.repeats == 1 && o.images <= 3 {
		copyBytes = 4 << 20 // --quick
	}
	rates, timed, err := b.ctx.MemoryBandwidth(copyBytes, o.repeats)
	if err != nil {
		return err
	}
	for i := range rates {
		rates[i] /= 1e9
	}
	f := newFigure("memory-copy", 0, "copy bandwidth (read+write)", "GB/s", rates, timingName(timed))
	b.copyGBs = f.Median
	b.add(f)
	host := make([]float64, o.repeats)
	src, dst := make([]byte, copyBytes), make([]byte, copyBytes)
	copy(dst, src) // first touch: page faults are not bandwidth
	for i := range host {
		start := time.Now()
		copy(dst, src)
		host[i] = 2 * float64(copyBytes) / time.Since(start).Seconds() / 1e9
	}
	f = newFigure("host-copy", 0, "host memory copy (read+write)", "GB/s", host, "wall")
	b.hostGBs = f.Median
	b.add(f)
	for _, n := range o.sizes {
		b.log.Info("bench", "size", n)
		if err := b.size(n); err != nil {
			return err
		}
	}
	return nil
}

// size measures every stage on an n×n grid.
func (b *bencher) size(n int) error {
	o := b.o
	p := sim.Defaults()
	p.Rows, p.Cols, p.StepsPerImage, p.Images = n, n, o.steps, o.images
	cells := float64(n * n)
	var field []float32 // a realistic V for the storage stage
	computeIPS := 0.0   // the default kernel's images/s
	for _, kernel := range o.kernels {
		for _, wg := range o.workgroups {
			s, err := gpu.NewSimulator(b.ctx, p, gpu.Config{WorkGroup: wg, Kernel: kernel}, sim.InitialState(n, n))
			if err != nil {
				return err
			}
			if _, _, err := s.TimedStep(1); err != nil { // warm-up: llvmpipe compiles at the first dispatch
				s.Release()
				return err
			}
			var ups, gbs []float64
			var timed bool
			for range o.repeats {
				d, t, err := s.TimedStep(o.steps)
				if err != nil {
					s.Release()
					return err
				}
				timed = t
				ups = append(ups, cells*float64(o.steps)/d.Seconds())
				gbs = append(gbs, 16*cells*float64(o.steps)/d.Seconds()/1e9)
			}
			f := newFigure("compute", n, "cell updates", "cell-updates/s", ups, timingName(timed))
			f.Kernel, f.Workgroup = kernel, wg.String()
			f.ImagesPerS = f.Median / cells / float64(o.steps)
			g := newFigure("compute", n, "effective bandwidth (16 B per cell per step)", "GB/s", gbs, timingName(timed))
			g.Kernel, g.Workgroup, g.ImagesPerS = kernel, wg.String(), f.ImagesPerS
			g.Limit, g.LimitName, g.OfLimit = b.copyGBs, "memory-copy", g.Median/b.copyGBs
			b.add(f)
			b.add(g)
			if kernel == gpu.KernelNaive && wg == gpu.DefaultWorkGroup || computeIPS == 0 {
				computeIPS = f.ImagesPerS
			}
			if field == nil {
				field = make([]float32, n*n)
				if err := s.ReadV(field); err != nil {
					s.Release()
					return err
				}
			}
			s.Release()
		}
	}

	// Readback alone: the ring's copy and completion, no steps.
	s, err := gpu.NewSimulator(b.ctx, p, gpu.Config{}, sim.InitialState(n, n))
	if err != nil {
		return err
	}
	frame := make([]float32, n*n)
	var rb []float64
	for range o.repeats {
		start := time.Now()
		for range o.images {
			if err := s.QueueReadback(); err != nil {
				s.Release()
				return err
			}
			if _, err := s.CompleteReadback(frame); err != nil {
				s.Release()
				return err
			}
		}
		rb = append(rb, float64(o.images)*4*cells/time.Since(start).Seconds()/1e9)
	}
	s.Release()
	f := newFigure("readback", n, "readback of V", "GB/s", rb, "wall")
	f.ImagesPerS = f.Median * 1e9 / (4 * cells)
	f.Limit, f.LimitName, f.OfLimit = b.hostGBs, "host-copy", f.Median/b.hostGBs
	b.add(f)
	readbackIPS := f.ImagesPerS

	// The disk's raw write bandwidth and the storage stage, per flush policy.
	storageIPS := 0.0
	for fi, flush := range o.flushes {
		disk, err := b.diskWrite(n, flush)
		if err != nil {
			return err
		}
		d := newFigure("disk-write", n, "raw file write", "MB/s", disk, "wall")
		d.FlushEvery = flush
		b.add(d)
		for ci, level := range o.compression {
			mbs, stored, err := b.storage(p, field, level, flush)
			if err != nil {
				return err
			}
			f := newFigure("storage", n, "images stored (raw bytes)", "MB/s", mbs, "wall")
			f.Compression, f.FlushEvery = level, flush
			f.ImagesPerS = f.Median * 1e6 / (4 * cells)
			f.Limit, f.LimitName, f.OfLimit = d.Median, "disk-write", f.Median/d.Median
			if stored > 0 {
				f.Metric = fmt.Sprintf("images stored (raw bytes; compression %.2f×)", stored)
			}
			b.add(f)
			if fi == 0 && ci == 0 {
				storageIPS = f.ImagesPerS
			}
		}
	}

	// End to end, per storage buffer length, with the first compression
	// level and flush policy.
	gpuIPS := 1 / (1/computeIPS + 1/readbackIPS)
	for _, bl := range o.bufferLens {
		var ips []float64
		for range o.repeats {
			path := filepath.Join(o.dir, fmt.Sprintf("grayscott-bench-%d.h5", os.Getpid()))
			cfg := &runConfig{params: p, output: path, force: true, compression: o.compression[0],
				workGroup: gpu.DefaultWorkGroup, eglPlatform: o.eglPlatform, bufferLen: bl,
				readbackSlots: gpu.DefaultReadbackSlots, flushEvery: o.flushes[0], compressWorkers: runtime.NumCPU()}
			st, err := simulate(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), noProgress{})
			os.Remove(path)
			os.Remove(xdmfPath(path))
			if err != nil {
				return err
			}
			ips = append(ips, float64(st.Images)/st.wall.Seconds())
		}
		f := newFigure("end-to-end", n, "images computed and stored", "images/s", ips, "wall")
		f.BufferLen, f.Compression, f.FlushEvery = bl, o.compression[0], o.flushes[0]
		f.ImagesPerS = f.Median
		f.BoundBy, f.Limit = "gpu (compute + readback)", gpuIPS
		if storageIPS < gpuIPS {
			f.BoundBy, f.Limit = "storage", storageIPS
		}
		f.LimitName, f.OfLimit = "slower stage alone", f.Median/f.Limit
		b.add(f)
	}
	return nil
}

// storage writes o.images copies of field through the asynchronous writer
// and returns MB/s of raw image bytes per repeat and the compression ratio.
func (b *bencher) storage(p sim.Params, field []float32, level, flush int) ([]float64, float64, error) {
	var mbs []float64
	ratio := 0.0
	for range b.o.repeats {
		path := filepath.Join(b.o.dir, fmt.Sprintf("grayscott-bench-storage-%d.h5", os.Getpid()))
		opts := storage.WriterOptions{BufferLen: 4, FlushEvery: flush, Workers: runtime.NumCPU()}
		pool := storage.NewPool(opts.PoolSize(), len(field))
		start := time.Now()
		w, err := storage.StartWriter(func() (storage.Sink, error) {
			return storage.Create(path, p, nil, storage.Options{CompressionLevel: level, Force: true})
		}, pool, opts)
		if err != nil {
			return nil, 0, err
		}
		for range b.o.images {
			f, err := w.Frame(context.Background())
			if err != nil {
				break
			}
			copy(f, field)
			if w.Send(f) != nil {
				break
			}
		}
		st, err := w.Close(true, "")
		os.Remove(path)
		if err != nil {
			return nil, 0, err
		}
		mbs = append(mbs, float64(st.Bytes)/1e6/time.Since(start).Seconds())
		if level > 0 && st.StoredBytes > 0 {
			ratio = float64(st.Bytes) / float64(st.StoredBytes)
		}
	}
	return mbs, ratio, nil
}

// diskWrite writes o.images frames of n×n float32 to a plain file, with an
// fsync after each (flush 1) or only at the end (flush 0), per repeat.
func (b *bencher) diskWrite(n, flush int) ([]float64, error) {
	buf := make([]byte, 4*n*n)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	var mbs []float64
	for range b.o.repeats {
		path := filepath.Join(b.o.dir, fmt.Sprintf("grayscott-bench-disk-%d.raw", os.Getpid()))
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		start := time.Now()
		for i := range b.o.images {
			if _, err := f.Write(buf); err != nil {
				f.Close()
				os.Remove(path)
				return nil, fmt.Errorf("bench: %w", err)
			}
			if flush > 0 && (i+1)%flush == 0 {
				f.Sync()
			}
		}
		f.Sync()
		mbs = append(mbs, float64(len(buf)*b.o.images)/1e6/time.Since(start).Seconds())
		f.Close()
		os.Remove(path)
	}
	return mbs, nil
}

// bestPerSize returns, per grid size, the kernel and work group with the
// highest median cell-updates/s.
func bestPerSize(rep *benchReport) []tuningEntry {
	var out []tuningEntry
	for _, f := range rep.Figures {
		if f.Stage != "compute" || f.Unit != "cell-updates/s" {
			continue
		}
		i := slices.IndexFunc(out, func(e tuningEntry) bool { return e.Size == f.Size })
		if i < 0 {
			out = append(out, tuningEntry{Renderer: rep.Renderer, GLVersion: rep.GLVersion, Size: f.Size, Date: rep.Date})
			i = len(out) - 1
		}
		if f.Median > out[i].CellUpdatesPerS {
			out[i].Kernel, out[i].Workgroup, out[i].CellUpdatesPerS = f.Kernel, f.Workgroup, f.Median
		}
	}
	return out
}

func printBench(w io.Writer, rep *benchReport) {
	fmt.Fprintf(w, "grayscott bench on %s (%s, %s), %d CPUs; %d images of %d steps, median of %d [min..max]\n\n",
		rep.Renderer, rep.GLVersion, rep.Platform, rep.CPUs, rep.Images, rep.Steps, rep.Repeats)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tsize\tconfig\tmedian\t[min..max]\tunit\timages/s\tof limit\tlimit / bound\ttiming")
	for _, f := range rep.Figures {
		var cfg []string
		if f.Kernel != "" {
			cfg = append(cfg, f.Kernel, f.Workgroup)
		}
		if f.BufferLen >= 0 {
			cfg = append(cfg, "buf "+strconv.Itoa(f.BufferLen))
		}
		if f.Compression >= 0 {
			cfg = append(cfg, "deflate "+strconv.Itoa(f.Compression))
		}
		if f.FlushEvery >= 0 {
			cfg = append(cfg, "flush "+strconv.Itoa(f.FlushEvery))
		}
		size, ips, of, limit := "", "", "", f.LimitName
		if f.Size > 0 {
			size = fmt.Sprintf("%d²", f.Size)
		}
		if f.ImagesPerS > 0 {
			ips = fmt.Sprintf("%.4g", f.ImagesPerS)
		}
		if f.OfLimit > 0 {
			of = fmt.Sprintf("%.0f%%", 100*f.OfLimit)
		}
		if f.BoundBy != "" {
			limit = "bound by " + f.BoundBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t[%.4g..%.4g]\t%s\t%s\t%s\t%s\t%s\n", f.Stage, size, strings.Join(cfg, " "),
			f.Median, f.Min, f.Max, f.Unit, ips, of, limit, f.Timing)
	}
	tw.Flush()
}

func writeBenchCSV(path string, rep *benchReport) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	w := csv.NewWriter(f)
	w.Write([]string{"stage", "size", "kernel", "workgroup", "storage_buffer_len", "compression_level", "flush_every",
		"metric", "unit", "median", "min", "max", "repeats", "timing", "images_per_s", "limit", "limit_name",
		"fraction_of_limit", "bound_by", "gl_renderer"})
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, x := range rep.Figures {
		w.Write([]string{x.Stage, strconv.Itoa(x.Size), x.Kernel, x.Workgroup, strconv.Itoa(x.BufferLen),
			strconv.Itoa(x.Compression), strconv.Itoa(x.FlushEvery), x.Metric, x.Unit, g(x.Median), g(x.Min), g(x.Max),
			strconv.Itoa(x.Repeats), x.Timing, g(x.ImagesPerS), g(x.Limit), x.LimitName, g(x.OfLimit), x.BoundBy, rep.Renderer})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return fmt.Errorf("bench: %s: %w", path, err)
	}
	return nil
}
