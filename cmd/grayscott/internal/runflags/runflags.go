// Package runflags parses and validates the flags of "grayscott run". It
// is pure Go (no GL, no HDF5) so that it can be fuzzed quickly; checks that
// need the file system or the GPU are the command's.
package runflags

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"grayscott/sim"
)

// UsageError is bad input: its message is one line naming the flag and
// the value, and the command exits with status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a *UsageError.
func Usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// ErrHelp is returned after --help printed the usage.
var ErrHelp = errors.New("help shown")

// Defaults of the pipeline flags. DefaultReadbackSlots must equal
// gpu.DefaultReadbackSlots (a test in the command checks it).
const (
	DefaultBufferLen     = 1
	DefaultReadbackSlots = 2
	DefaultWorkGroup     = "16x16"
	// MaxInvocations is the work-group size every GL 4.3 device supports.
	MaxInvocations = 1024
)

// Flags are the parsed, syntactically valid flags.
type Flags struct {
	Params          sim.Params
	Output          string
	Resume          string
	Force           bool
	Compression     int
	WorkGroupX      int
	WorkGroupY      int
	EGLPlatform     string
	JSON            string
	Quiet, Verbose  bool
	BufferLen       int
	ReadbackSlots   int
	FlushEvery      int
	CompressWorkers int

	Kernel       string
	Window       bool
	StepsPerDraw int // 0: as many as the display's pace allows
	Screenshot   string
	Preset       string

	set *pflag.FlagSet
}

// Changed reports whether the flag (long name) was given on the command line.
func (f *Flags) Changed(name string) bool { return f.set.Changed(name) }

// ModelFlags are the flags that define a run's results: resuming a file
// with any of them set to another value than the file's is refused.
var ModelFlags = []string{"nbrow", "nbcol", "nbextrastep", "feedrate", "killrate", "deltat", "du", "dv", "boundary", "compression-level"}

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
	d := sim.Defaults()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	f := &Flags{set: fs}
	rows := fs.IntP("nbrow", "r", d.Rows, "grid rows")
	cols := fs.IntP("nbcol", "c", d.Cols, "grid columns")
	images := fs.IntP("nbimage", "n", d.Images, "images to write (with --resume: the new total)")
	steps := fs.IntP("nbextrastep", "e", d.StepsPerImage, "simulation steps between images")
	fs.StringVarP(&f.Output, "output", "o", "output.h5", "output HDF5 file")
	feed := fs.Float32P("feedrate", "f", d.Feed, "feed rate F")
	kill := fs.Float32P("killrate", "k", d.Kill, "kill rate k")
	dt := fs.Float32P("deltat", "t", d.DeltaT, "time step (stable while dt·max(du,dv) ≤ 0.5)")
	du := fs.Float32("du", d.DiffU, "diffusion rate of U")
	dv := fs.Float32("dv", d.DiffV, "diffusion rate of V")
	boundary := fs.String("boundary", d.Boundary.String(), "what the stencil reads outside the grid: zero, periodic or neumann")
	fs.IntVar(&f.Compression, "compression-level", 0, "deflate level 1..9 with shuffle; 0 stores raw chunks")
	fs.BoolVar(&f.Force, "force", false, "overwrite an existing output file")
	fs.StringVar(&f.Resume, "resume", "", "continue FILE from its last checkpoint, appending images")
	fs.IntVar(&f.BufferLen, "storage-buffer-len", DefaultBufferLen, "images queued between GPU and writer; 0 writes synchronously")
	fs.IntVar(&f.ReadbackSlots, "readback-slots", DefaultReadbackSlots, "GPU staging buffers for overlapped readback (1 = no overlap)")
	fs.IntVar(&f.FlushEvery, "flush-every", 0, "flush, fsync and checkpoint every N images (0 = only at the end)")
	fs.IntVar(&f.CompressWorkers, "compress-workers", runtime.NumCPU(), "parallel compression workers when --compression-level > 0 (0 = HDF5's in-line filter)")
	wg := fs.String("workgroup", "auto", "compute work-group size XxY, or auto: the fastest grayscott bench measured on this device, else "+DefaultWorkGroup)
	fs.StringVar(&f.Kernel, "kernel", "auto", "step kernel: naive, tiled (shared-memory tiles; same results), or auto: the fastest grayscott bench measured on this device, else naive")
	fs.StringVar(&f.EGLPlatform, "egl-platform", "auto", "EGL route: auto (device, then surfaceless), device or surfaceless")
	fs.StringVar(&f.JSON, "json", "", "write the end-of-run summary as JSON to FILE")
	preset := fs.String("preset", "", "F and k of a named pattern: "+presetNames())
	fs.BoolVar(&f.Window, "window", false, "show the simulation live in a window (keys below)")
	fs.IntVar(&f.StepsPerDraw, "steps-per-draw", 0, "with --window: steps between draws (0 = as many as the display's pace allows)")
	fs.StringVar(&f.Screenshot, "screenshot", "", "with --window: save the last drawn frame as a PNG at the end")
	fs.BoolVarP(&f.Quiet, "quiet", "q", false, "print nothing but errors (no progress, no summary)")
	fs.BoolVarP(&f.Verbose, "verbose", "v", false, "log GL details and debug messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, usage+fs.FlagUsages())
			return nil, ErrHelp
		}
		msg := err.Error()
		if i := strings.Index(msg, ": strconv."); i >= 0 { // Go's parser detail says no more than "invalid"
			msg = msg[:i]
		}
		return nil, Usagef("run: %s", msg)
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
		*feed, *kill = pr.Feed, pr.Kill
		f.Preset = pr.Name
	}
	b, err := sim.ParseBoundary(*boundary)
	if err != nil {
		return nil, Usagef("--boundary %s: want zero, periodic or neumann", *boundary)
	}
	f.Params = sim.Params{Rows: *rows, Cols: *cols, Images: *images, StepsPerImage: *steps,
		Feed: *feed, Kill: *kill, DeltaT: *dt, DiffU: *du, DiffV: *dv, Boundary: b}
	if err := f.Params.Validate(); err != nil {
		return nil, Usagef("%v", err)
	}
	if f.Compression < 0 || f.Compression > 9 {
		return nil, Usagef("--compression-level %d: want 0 (none) to 9", f.Compression)
	}
	if *wg != "auto" { // auto: WorkGroupX = WorkGroupY = 0
		if f.WorkGroupX, f.WorkGroupY, err = ParseWorkGroup(*wg); err != nil {
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
	if f.StepsPerDraw < 0 {
		return nil, Usagef("--steps-per-draw %d: must be at least 0", f.StepsPerDraw)
	}
	if !f.Window && (fs.Changed("steps-per-draw") || f.Screenshot != "") {
		return nil, Usagef("--steps-per-draw and --screenshot go with --window")
	}
	if f.Quiet && f.Verbose {
		return nil, Usagef("--quiet and --verbose: pick one")
	}
	if f.Kernel != "naive" && f.Kernel != "tiled" && f.Kernel != "auto" {
		return nil, Usagef("--kernel %s: want naive, tiled or auto", f.Kernel)
	}
	switch f.EGLPlatform {
	case "auto", "device", "surfaceless":
	default:
		return nil, Usagef("--egl-platform %s: want auto, device or surfaceless", f.EGLPlatform)
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

func presetNames() string {
	var names []string
	for _, p := range sim.Presets {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// ParseWorkGroup parses "XxY" (e.g. "16x16", "32x8"): both sizes positive,
// their product at most MaxInvocations.
func ParseWorkGroup(s string) (x, y int, err error) {
	xs, ys, ok := strings.Cut(strings.ToLower(s), "x")
	x, errX := strconv.Atoi(xs)
	y, errY := strconv.Atoi(ys)
	if !ok || errX != nil || errY != nil {
		return 0, 0, errors.New("want XxY, e.g. 16x16")
	}
	if x <= 0 || y <= 0 || x*y > MaxInvocations {
		return 0, 0, fmt.Errorf("want positive sizes with X·Y ≤ %d", MaxInvocations)
	}
	return x, y, nil
}
