// Package runflags parses and validates the flags of "grayscott run". It
// is pure Go (no GL, no HDF5) so that it can be fuzzed quickly; checks that
// need the file system or the GPU are the command's.
package runflags

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"grayscott/gpu/gpuconf"
	"grayscott/sim"
	"grayscott/storage"
)

// UsageError is bad input: its message is one line naming the flag and
// the value, and the command exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a *UsageError.
func Usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// ErrHelp is returned after --help printed the usage.
var ErrHelp = errors.New("help shown")

// DefaultBufferLen is the course's --storage-buffer-len.
const DefaultBufferLen = 1

// Flags are the parsed, syntactically valid flags.
type Flags struct {
	Params sim.Params
	Output string
	Resume string
	Force  bool
	// Compression is --compression with --keep-bits (or the alias
	// --compression-level N: deflate at N, none for 0).
	Compression storage.Compression
	// WorkGroup is the zero value for --workgroup auto.
	WorkGroup       gpuconf.WorkGroup
	EGLPlatform     string
	JSON            string
	Quiet, Verbose  bool
	BufferLen       int
	ReadbackSlots   int
	FlushEvery      int
	CompressWorkers int
	// PublishEvery is how often readers of the running file see its new
	// images (SWMR); 0 only at flushes and at the end.
	PublishEvery time.Duration
	// Tuning is the file of grayscott bench's measurements that --kernel
	// and --workgroup auto read; "" when none is to be read.
	Tuning string

	// Engine is auto, gpu or cpu; Threads the CPU engine's threads (0: one
	// per core).
	Engine  string
	Threads int

	Kernel       string
	Window       bool
	StepsPerDraw int // 0: as many as the display's pace allows
	Screenshot   string
	Preset       string
	// Serve is the address of the run's web page ([HOST]:PORT); "" for
	// none. The command binds it (package serve checks it) before any work.
	Serve string

	set *pflag.FlagSet
}

// Changed reports whether the flag (long name) was given on the command line.
func (f *Flags) Changed(name string) bool { return f.set.Changed(name) }

// DefaultTuningPath is where grayscott bench saves its measurements and
// run's --kernel/--workgroup auto read them: the user's cache folder.
func DefaultTuningPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "none"
	}
	return filepath.Join(dir, "grayscott", "tuning.json")
}

// fieldValue is a model parameter (sim.Fields) as a flag value.
type fieldValue struct {
	f   sim.Field
	p   *sim.Params
	err *error // the first parse error, reported as "--flag value: reason"
}

func (v fieldValue) String() string { return v.f.Format(v.p) }

func (v fieldValue) Type() string {
	switch v.f.Kind {
	case sim.IntKind:
		return "int"
	case sim.Float32Kind:
		return "float32"
	}
	return "string"
}

func (v fieldValue) Set(s string) error {
	if err := v.f.Parse(v.p, s); err != nil {
		if *v.err == nil {
			*v.err = Usagef("--%s %s: %v", v.f.Flag, s, err)
		}
		return err
	}
	return nil
}

const usage = `Usage: grayscott run [flags]
       grayscott run --resume FILE [flags]

Simulates Gray-Scott reaction-diffusion on the GPU and writes image i = V after
(i+1)·nbextrastep steps to /matrix of an HDF5 file, float32 [images, rows, cols].

Ctrl-C (or SIGTERM) stops cleanly: the images computed so far are written, the
file is closed with completed = 0, and --resume continues it later. A second
Ctrl-C quits at once. Exit status: 0 done, 1 failed, 2 bad input, 130 after
SIGINT, 143 after SIGTERM.

Keys in the --window preview: space pause/resume, Esc or q quit (a clean stop),
+ and - double or halve the steps per draw, r reset to the initial state,
p next preset, c next colormap, u show U or V, s save a PNG screenshot; the
left mouse button paints V (seeds the pattern).

Flags:
`

// Parse parses args (without the "run"). On --help it writes the usage to
// stdout and returns ErrHelp; every other error is a *UsageError.
func Parse(args []string, stdout io.Writer) (*Flags, error) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	f := &Flags{set: fs, Params: sim.Defaults()}
	var fieldErr error
	for i, field := range sim.Fields {
		fs.VarP(fieldValue{f: field, p: &f.Params, err: &fieldErr}, field.Flag, field.Short, field.Usage)
		if i == 3 { // the output after the course's four size flags
			fs.StringVarP(&f.Output, "output", "o", "output.h5", "output HDF5 file")
		}
	}
	compression := fs.String("compression", "none", "codec of the images: none, deflate[:LEVEL] (shuffle+deflate, level 1-9, 6 by default; every HDF5 reader), bitshuffle-lz4 (HDF5 filter 32008, fast; other readers need the bitshuffle plugin)")
	level := fs.Int("compression-level", 0, "alias: --compression deflate:N, or none for 0")
	keepBits := fs.Int("keep-bits", storage.LosslessBits, "mantissa bits of V kept in /matrix, 1-23 (23: lossless); fewer compress further, |error| ≤ 2^-(N+1)·|V|; checkpoints stay exact")
	fs.BoolVar(&f.Force, "force", false, "overwrite an existing output file")
	fs.StringVar(&f.Resume, "resume", "", "continue FILE from its last checkpoint, appending images")
	fs.IntVar(&f.BufferLen, "storage-buffer-len", DefaultBufferLen, "images queued between GPU and writer; 0 writes synchronously")
	fs.IntVar(&f.ReadbackSlots, "readback-slots", gpuconf.DefaultReadbackSlots, "GPU staging buffers for overlapped readback (1 = no overlap)")
	fs.IntVar(&f.FlushEvery, "flush-every", 0, "flush, fsync and checkpoint every N images (0 = only at the end)")
	fs.DurationVar(&f.PublishEvery, "publish-every", storage.DefaultPublishEvery, "show new images to readers of the running file (h5py swmr=True, info, render --follow) this often; 0 = only at flushes")
	fs.IntVar(&f.CompressWorkers, "compress-workers", runtime.NumCPU(), "parallel encoding workers when compressing (0 = encode on the writer's goroutine: deflate in HDF5's in-line filter)")
	fs.StringVar(&f.Engine, "engine", "auto", "simulation engine: gpu (OpenGL compute shaders), cpu (vectorized, multi-core), or auto: the GPU when EGL finds a hardware one, else the CPU")
	fs.IntVar(&f.Threads, "threads", 0, "threads of the CPU engine (0 = one per core)")
	wg := fs.String("workgroup", "auto", "compute work-group size XxY, or auto: the fastest grayscott bench measured on this device, else "+gpuconf.DefaultWorkGroup.String())
	fs.StringVar(&f.Kernel, "kernel", "auto", "GPU step kernel: naive (a cell per invocation), column (8 cells down a column), block (4×8 cells), tiled (shared-memory tiles); same results; or auto: the fastest grayscott bench measured on this device, else column")
	PlatformFlag(fs, &f.EGLPlatform)
	fs.StringVar(&f.Tuning, "tuning", DefaultTuningPath(), "grayscott bench's measurements, read by --kernel and --workgroup auto (none: read nothing)")
	fs.StringVar(&f.JSON, "json", "", "write the end-of-run summary as JSON to FILE")
	fs.StringVar(&f.Serve, "serve", "", "serve a web page that shows the run live at ADDR ([HOST]:PORT; 127.0.0.1 unless HOST is given), e.g. :8080")
	preset := fs.String("preset", "", "F and k of a named pattern: "+presetNames())
	fs.BoolVar(&f.Window, "window", false, "show the simulation live in a window (keys below)")
	fs.IntVar(&f.StepsPerDraw, "steps-per-draw", 0, "with --window: steps between draws (0 = as many as the display's pace allows)")
	fs.StringVar(&f.Screenshot, "screenshot", "", "with --window: save the last drawn frame as a PNG at the end")
	fs.BoolVarP(&f.Quiet, "quiet", "q", false, "print nothing but errors (no progress, no summary; --serve's address still)")
	fs.BoolVarP(&f.Verbose, "verbose", "v", false, "log GL details and debug messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, usage+fs.FlagUsages())
			return nil, ErrHelp
		}
		if fieldErr != nil {
			return nil, fieldErr
		}
		return nil, Explain("run", fs, err)
	}
	if fs.NArg() > 0 {
		return nil, Usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if *preset != "" {
		pr, err := sim.LookupPreset(*preset)
		if err != nil {
			return nil, Usagef("--preset %s: want one of %s", *preset, presetNames())
		}
		if fs.Changed("feedrate") || fs.Changed("killrate") {
			return nil, Usagef("--preset %s: sets F and k; leave -f and -k out", *preset)
		}
		f.Params.Feed, f.Params.Kill = pr.Feed, pr.Kill
		f.Preset = pr.Name
	}
	if err := f.Params.Validate(); err != nil {
		return nil, Usagef("%v", err)
	}
	if err := f.parseCompression(*compression, *level, *keepBits); err != nil {
		return nil, err
	}
	if *wg != "auto" { // auto: the zero WorkGroup
		var err error
		if f.WorkGroup, err = gpuconf.ParseWorkGroup(*wg); err != nil {
			return nil, Usagef("--workgroup %s: %v", *wg, err)
		}
	}
	for _, c := range []struct {
		flag string
		v    int
		min  int
	}{{"storage-buffer-len", f.BufferLen, 0}, {"readback-slots", f.ReadbackSlots, 1}, {"flush-every", f.FlushEvery, 0}, {"compress-workers", f.CompressWorkers, 0}} {
		if c.v < c.min {
			return nil, Usagef("--%s %d: must be at least %d", c.flag, c.v, c.min)
		}
	}
	if f.PublishEvery < 0 {
		return nil, Usagef("--publish-every %v: must be at least 0", f.PublishEvery)
	}
	if f.StepsPerDraw < 0 {
		return nil, Usagef("--steps-per-draw %d: must be at least 0", f.StepsPerDraw)
	}
	if !f.Window && (fs.Changed("steps-per-draw") || f.Screenshot != "") {
		return nil, Usagef("--steps-per-draw and --screenshot go with --window")
	}
	if fs.Changed("serve") && f.Serve == "" {
		return nil, Usagef("--serve: want [HOST]:PORT, e.g. :8080")
	}
	if f.Quiet && f.Verbose {
		return nil, Usagef("--quiet and --verbose: pick one")
	}
	if f.Kernel != "auto" && gpuconf.CheckKernel(f.Kernel) != nil {
		return nil, Usagef("--kernel %s: want %s or auto", f.Kernel, strings.Join(gpuconf.Kernels, ", "))
	}
	switch f.Engine {
	case "auto", "gpu", "cpu":
	default:
		return nil, Usagef("--engine %s: want auto, gpu or cpu", f.Engine)
	}
	if f.Threads < 0 {
		return nil, Usagef("--threads %d: must be at least 0 (0: one per core)", f.Threads)
	}
	if f.Engine == "gpu" && fs.Changed("threads") {
		return nil, Usagef("--threads %d: sets the CPU engine's threads; --engine gpu has none", f.Threads)
	}
	if f.Engine == "cpu" && (f.Kernel != "auto" || *wg != "auto") {
		return nil, Usagef("--engine cpu: --kernel and --workgroup tune the GPU engine; leave them out")
	}
	if err := CheckPlatform(f.EGLPlatform); err != nil {
		return nil, err
	}
	switch f.Tuning {
	case "none":
		f.Tuning = ""
	case "":
		return nil, Usagef("--tuning: want a file, or none")
	default:
		// The default file may not exist yet (no bench run here); one named
		// on the command line must.
		if _, err := os.Stat(f.Tuning); err != nil && fs.Changed("tuning") {
			return nil, Usagef("--tuning %s: no such file (grayscott bench --save-tuning --tuning FILE writes one)", f.Tuning)
		}
	}
	if f.Resume != "" {
		if fs.Changed("output") && f.Output != f.Resume {
			return nil, Usagef("--output %s: --resume %s appends to that file; leave --output out", f.Output, f.Resume)
		}
		if f.Force {
			return nil, Usagef("--force: --resume %s appends to the file and never overwrites it", f.Resume)
		}
	}
	return f, nil
}

// parseCompression sets f.Compression from --compression, its alias
// --compression-level and --keep-bits.
func (f *Flags) parseCompression(name string, level, keepBits int) error {
	var err error
	switch {
	case f.set.Changed("compression") && f.set.Changed("compression-level"):
		return Usagef("--compression-level %d: an alias of --compression; give one of them", level)
	case f.set.Changed("compression-level"):
		if level < 0 || level > 9 {
			return Usagef("--compression-level %d: want 0 (none) to 9", level)
		}
		f.Compression = storage.Deflate(level)
	default:
		if f.Compression, err = storage.ParseCompression(name); err != nil {
			return Usagef("--compression %s: %v", shownValue(name), err)
		}
	}
	f.Compression.KeepBits = keepBits
	if keepBits < 1 || keepBits > storage.LosslessBits {
		return Usagef("--keep-bits %d: want 1 to %d (%d keeps every bit)", keepBits, storage.LosslessBits, storage.LosslessBits)
	}
	// A resumed file keeps its own codec, which decides (pipeline.CheckResume).
	codecGiven := f.set.Changed("compression") || f.set.Changed("compression-level")
	if f.Compression.Codec == storage.CodecNone && !f.Compression.Lossless() && (f.Resume == "" || codecGiven) {
		return Usagef("--keep-bits %d: rounding saves space only with a codec: add --compression bitshuffle-lz4 (or deflate)", keepBits)
	}
	return nil
}

func presetNames() string {
	var names []string
	for _, p := range sim.Presets {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// PlatformFlag defines --egl-platform on fs, as run, bench and devices
// take it; CheckPlatform validates its value.
func PlatformFlag(fs *pflag.FlagSet, dst *string) {
	fs.StringVar(dst, "egl-platform", gpuconf.PlatformAuto, "EGL route: "+gpuconf.PlatformList()+" (auto: device, then surfaceless)")
}

// CheckPlatform refuses an --egl-platform that is not an EGL route.
func CheckPlatform(name string) error {
	if err := gpuconf.CheckPlatform(name); err != nil {
		return Usagef("--egl-platform %s: %v", name, err)
	}
	return nil
}

// shownValue is a flag's value as an error message names it: quoted where
// bare it would read badly (empty, or ending in the colon the message
// puts after it).
func shownValue(v string) string {
	if v == "" || strings.HasSuffix(v, ":") {
		return strconv.Quote(v)
	}
	return v
}
