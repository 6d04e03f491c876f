// Package benchflags parses and validates the flags of "grayscott bench"
// into bench.Options: grids, engines, thread counts, buffer lengths,
// codecs and kept bits, flush policies, kernels and work groups. Checks of
// the files it names are here too; nothing is measured.
package benchflags

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"grayscott/bench"
	"grayscott/engine"
	"grayscott/gpu/gpuconf"
	"grayscott/internal/runflags"
	"grayscott/sim"
	"grayscott/storage"
)

const usage = `Usage: grayscott bench [flags]

Measures each stage of the data path on this machine, in one invocation:
compute only (per engine: the GPU per kernel and work group, the CPU per
thread count; cell-updates/s and effective GB/s at 16 bytes per cell per
step), readback only, each codec alone (encode GB/s of one worker and the
compression ratio, on two images of the run: V after --early and after
--developed steps), storage only (per codec, image and flush policy) and end
to end (per engine, storage buffer length and codec; buffer length 0 is
synchronous), next to limits measured on the spot: the device's memory
bandwidth (a copy shader), host memory copies, the CPU's last-level cache and
the disk's write bandwidth. Every figure is a median over
--repeats with its range, warm-up excluded, GPU time from timer queries where
the driver has them. Prints a table; --json, --csv and --plot write files.

Flags:
`

// Options are bench.Options and what only the command line has.
type Options struct {
	bench.Options
	// EnginesFlag is --engines as given: auto, or the list now in Engines.
	EnginesFlag                 string
	JSONPath, CSVPath, PlotPath string
	EGLPlatform                 string
	// Tuning is where to save the fastest kernels; "" nowhere.
	Tuning string
	Quiet  bool
}

// flagValues are the flags as given, before their lists are parsed.
type flagValues struct {
	sizes, engines, threads, bufferLens, compression, keepBits, flushes, workgroups, kernels *string
	e2eKernel, e2eWG, tuning                                                                 *string
	save                                                                                     *bool
}

func define(fs *pflag.FlagSet, o *Options) flagValues {
	f := flagValues{
		sizes:       fs.String("sizes", "256,1024", "grids to measure: sides N (N×N cells) or RxC, e.g. 1080x1920"),
		engines:     fs.String("engines", "auto", "engines to measure: gpu, cpu, or both (gpu,cpu); auto: both where EGL finds a hardware GPU (as run's --engine auto), else cpu"),
		threads:     fs.String("threads", defaultThreads(), "thread counts of the CPU engine's compute stage (the last also for its readback and end to end)"),
		bufferLens:  fs.String("buffer-lens", "0,1,2,4", "storage buffer lengths for the end-to-end runs (0 = synchronous)"),
		compression: fs.String("compression", "none,deflate:1,bitshuffle-lz4", "codecs of the codec, storage and end-to-end stages, as run's --compression takes them: none, deflate, deflate:LEVEL (1-9), bitshuffle-lz4; a number is a deflate level (0: none)"),
		keepBits:    fs.String("keep-bits", "23", "V's mantissa bits kept (1-23, 23 lossless; as run's --keep-bits), each with every codec but none"),
		flushes:     fs.String("flush-every", "1,0", "flush policies for storage and disk (the first also for end to end): 1 every image, 0 only at the end"),
		workgroups:  fs.String("workgroups", "16x16,32x8,64x4,256x1", "work-group sizes for the compute stage"),
		kernels:     fs.String("kernels", strings.Join(gpuconf.Kernels, ","), "step kernels for the compute stage"),
	}
	fs.IntVar(&o.Images, "images", 20, "images per storage, readback and end-to-end measurement")
	fs.IntVarP(&o.Steps, "nbextrastep", "e", 34, "steps per image")
	fs.IntVar(&o.EarlySteps, "early", 200, "steps that make the codec and storage stages' early image (V, from the initial state)")
	fs.IntVar(&o.DevelopedSteps, "developed", 10000, "steps that make their developed image (more than --early; a large grid needs more to fill with the pattern)")
	fs.IntVar(&o.Repeats, "repeats", 3, "repeats of each measurement (median and range)")
	fs.BoolVar(&o.Quick, "quick", false, "tiny sizes, one repeat: a check that everything runs (the test suite uses it)")
	fs.StringVar(&o.Dir, "dir", "", "folder for the storage files (default: the system's temporary folder); its disk is the one measured")
	fs.StringVar(&o.JSONPath, "json", "", "write every figure as JSON to FILE")
	fs.StringVar(&o.CSVPath, "csv", "", "write every figure as CSV to FILE")
	fs.StringVar(&o.PlotPath, "plot", "", "write a PNG plot of throughput against buffer length and grid size to FILE")
	f.e2eKernel = fs.String("kernel", "", "GPU kernel of the end-to-end runs, or fastest: the fastest measured in this run at the same grid (default: the first of --kernels)")
	f.e2eWG = fs.String("workgroup", "", "GPU work group of the end-to-end runs (default: the first of --workgroups; with --kernel fastest, the fastest's)")
	runflags.PlatformFlag(fs, &o.EGLPlatform)
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "no table on stdout")
	f.save = fs.Bool("save-tuning", true, "save the fastest kernel and work group per size to --tuning, for run's --kernel/--workgroup auto (not with --quick unless given)")
	f.tuning = fs.String("tuning", runflags.DefaultTuningPath(), "the file --save-tuning writes")
	return f
}

// Parse parses and validates the flags of "grayscott bench" (args without
// "bench"). On --help it writes the usage to stdout and returns
// runflags.ErrHelp; every other error is a *runflags.UsageError.
func Parse(args []string, stdout io.Writer) (*Options, error) {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	o := &Options{}
	f := define(fs, o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, usage+fs.FlagUsages())
			return nil, runflags.ErrHelp
		}
		return nil, runflags.Explain("bench", fs, err)
	}
	if fs.NArg() > 0 {
		return nil, runflags.Usagef("bench: unexpected argument %q", fs.Arg(0))
	}
	if *f.save && (!o.Quick || fs.Changed("save-tuning")) {
		if *f.tuning == "" || *f.tuning == "none" {
			return nil, runflags.Usagef("--tuning %q: --save-tuning needs a file (or --save-tuning=false)", *f.tuning)
		}
		o.Tuning = *f.tuning
	}
	if o.Quick {
		quickDefaults(fs, f, o)
	}
	if err := runflags.CheckPlatform(o.EGLPlatform); err != nil {
		return nil, err
	}
	if err := f.parseLists(o); err != nil {
		return nil, err
	}
	if err := f.parseEndToEnd(o); err != nil {
		return nil, err
	}
	return o, o.checkFiles()
}

// quickDefaults gives --quick's tiny defaults to the flags not given.
func quickDefaults(fs *pflag.FlagSet, f flagValues, o *Options) {
	for _, q := range []struct {
		flag string
		dst  *string
		val  string
	}{{"sizes", f.sizes, "32,48"}, {"buffer-lens", f.bufferLens, "0,2"}, {"compression", f.compression, "none,deflate:1,bitshuffle-lz4"},
		{"flush-every", f.flushes, "1,0"}, {"workgroups", f.workgroups, "16x16,8x8"}} {
		if !fs.Changed(q.flag) {
			*q.dst = q.val
		}
	}
	for _, q := range []struct {
		flag string
		dst  *int
		val  int
	}{{"images", &o.Images, 3}, {"nbextrastep", &o.Steps, 2}, {"repeats", &o.Repeats, 1}, {"early", &o.EarlySteps, 20}, {"developed", &o.DevelopedSteps, 200}} {
		if !fs.Changed(q.flag) {
			*q.dst = q.val
		}
	}
}

// parseLists parses the comma lists of the flags into o.
func (f flagValues) parseLists(o *Options) error {
	var err error
	if o.Sizes, err = parseGrids(*f.sizes); err != nil {
		return err
	}
	for _, l := range []struct {
		flag    string
		s       string
		min     int
		dst     *[]int
		biggest int
	}{{"threads", *f.threads, 1, &o.Threads, 1 << 16}, {"buffer-lens", *f.bufferLens, 0, &o.BufferLens, 1 << 16},
		{"flush-every", *f.flushes, 0, &o.Flushes, 1 << 30}} {
		for _, v := range strings.Split(l.s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < l.min || n > l.biggest {
				return runflags.Usagef("--%s %s: want integers from %d to %d separated by commas", l.flag, l.s, l.min, l.biggest)
			}
			*l.dst = append(*l.dst, n)
		}
	}
	if o.Compression, err = parseCodecs(*f.compression, *f.keepBits); err != nil {
		return err
	}
	o.EnginesFlag = *f.engines
	if o.EnginesFlag != engine.Auto {
		for _, e := range strings.Split(o.EnginesFlag, ",") {
			if e != engine.GPU && e != engine.CPU {
				return runflags.Usagef("--engines %s: want auto, or gpu and/or cpu separated by commas", o.EnginesFlag)
			}
			o.Engines = append(o.Engines, e)
		}
	}
	for _, w := range strings.Split(*f.workgroups, ",") {
		wg, err := gpuconf.ParseWorkGroup(strings.TrimSpace(w))
		if err != nil {
			return runflags.Usagef("--workgroups %s: %v", *f.workgroups, err)
		}
		o.WorkGroups = append(o.WorkGroups, wg)
	}
	for _, k := range strings.Split(*f.kernels, ",") {
		if gpuconf.CheckKernel(k) != nil {
			return runflags.Usagef("--kernels %s: want some of %s", *f.kernels, strings.Join(gpuconf.Kernels, ","))
		}
		o.Kernels = append(o.Kernels, k)
	}
	return nil
}

// parseEndToEnd parses the end-to-end runs' kernel and work group.
func (f flagValues) parseEndToEnd(o *Options) error {
	switch k := *f.e2eKernel; {
	case k == "fastest" && *f.e2eWG != "":
		return runflags.Usagef("--kernel fastest picks the work group too; leave --workgroup out")
	case k == "fastest":
		o.EndToEndFastest = true
	case k != "" && gpuconf.CheckKernel(k) != nil:
		return runflags.Usagef("--kernel %s: want one of %s", k, strings.Join(gpuconf.Kernels, ", "))
	default:
		o.EndToEndKernel = k
	}
	if *f.e2eWG != "" {
		wg, err := gpuconf.ParseWorkGroup(*f.e2eWG)
		if err != nil {
			return runflags.Usagef("--workgroup %s: %v", *f.e2eWG, err)
		}
		o.EndToEndWorkGroup = wg
	}
	if o.Images < 1 || o.Steps < 1 || o.Repeats < 1 {
		return runflags.Usagef("bench: --images, --nbextrastep and --repeats must be at least 1")
	}
	if o.EarlySteps < 1 || o.DevelopedSteps <= o.EarlySteps {
		return runflags.Usagef("--early %d --developed %d: want 1 ≤ early < developed", o.EarlySteps, o.DevelopedSteps)
	}
	return nil
}

// parseCodecs parses --compression, a list of codecs as run's
// --compression takes them or deflate levels (0: none), and --keep-bits, a
// list of kept bits: every codec but none once per kept width, none once
// (it keeps every bit); duplicates once.
func parseCodecs(list, keepList string) ([]storage.Compression, error) {
	var keeps []int
	for _, v := range strings.Split(keepList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > storage.LosslessBits {
			return nil, runflags.Usagef("--keep-bits %s: want integers from 1 to %d (%d keeps every bit) separated by commas",
				keepList, storage.LosslessBits, storage.LosslessBits)
		}
		keeps = append(keeps, n)
	}
	var out []storage.Compression
	rounds := false
	for _, v := range strings.Split(list, ",") {
		v = strings.TrimSpace(v)
		c, err := storage.ParseCompression(v)
		if level, nerr := strconv.Atoi(v); nerr == nil {
			if level < 0 || level > 9 {
				return nil, runflags.Usagef("--compression %s: a number is a deflate level: want 0 (none) to 9", list)
			}
			c, err = storage.Deflate(level), nil
		}
		if err != nil {
			which := fmt.Sprintf("%s: %q", list, v)
			if v == strings.TrimSpace(list) {
				which = list // a list of one: the value once
			}
			return nil, runflags.Usagef("--compression %s: %v (a list separated by commas; a number is a deflate level, 0 for none)", which, err)
		}
		for _, k := range keeps {
			if c.Codec == storage.CodecNone {
				k = storage.LosslessBits
			} else if k < storage.LosslessBits {
				rounds = true
			}
			c.KeepBits = k
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	if !rounds && slices.ContainsFunc(keeps, func(k int) bool { return k < storage.LosslessBits }) {
		return nil, runflags.Usagef("--keep-bits %s: no codec in --compression %s to round for (none stores every bit)", keepList, list)
	}
	return out, nil
}

// checkFiles checks the folders of the files bench writes.
func (o *Options) checkFiles() error {
	if o.Dir == "" {
		o.Dir = os.TempDir()
	}
	if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
		return runflags.Usagef("--dir %s: not a folder", o.Dir)
	}
	for _, f := range []struct{ flag, path string }{{"json", o.JSONPath}, {"csv", o.CSVPath}, {"plot", o.PlotPath}} {
		if f.path != "" {
			if _, err := os.Stat(filepath.Dir(f.path)); err != nil {
				return runflags.Usagef("--%s %s: folder %s does not exist", f.flag, f.path, filepath.Dir(f.path))
			}
		}
	}
	return nil
}

// parseGrids parses --sizes: N (an N×N grid) or RxC, separated by commas.
func parseGrids(s string) ([]bench.Grid, error) {
	var out []bench.Grid
	for _, f := range strings.Split(s, ",") {
		r, c, isRect := strings.Cut(strings.ToLower(strings.TrimSpace(f)), "x")
		if !isRect {
			c = r
		}
		rows, err1 := strconv.Atoi(r)
		cols, err2 := strconv.Atoi(c)
		if err1 != nil || err2 != nil || rows < 2 || cols < 2 || int64(rows)*int64(cols) > sim.MaxCells {
			return nil, runflags.Usagef("--sizes %s: want sides N ≥ 2 or RxC grids, separated by commas", s)
		}
		out = append(out, bench.Grid{Rows: rows, Cols: cols})
	}
	return out, nil
}

// defaultThreads is 1, 2, 4, … below the number of cores, then that number.
func defaultThreads() string {
	var ts []string
	for t := 1; t < runtime.NumCPU(); t *= 2 {
		ts = append(ts, strconv.Itoa(t))
	}
	return strings.Join(append(ts, strconv.Itoa(runtime.NumCPU())), ",")
}
