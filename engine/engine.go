// Package engine chooses and makes a run's simulation engine: the GPU
// simulator (package gpu: OpenGL compute shaders, headless through EGL or
// on a preview window's context) or the CPU engine (package cpu), behind
// one interface. It says why it chose (the auto choice), records the
// engine's provenance as the file's attributes, and reads and writes the
// tuning file in which grayscott bench keeps the fastest GPU kernel per
// device and grid size, for --kernel and --workgroup auto. The run and
// bench commands make their engines here.
//
// Open and everything else here run on the caller's goroutine. An Engine
// is used from one goroutine at a time (the pipeline's); the GPU engine
// hands each GL call to its context's own OS-locked thread.
package engine

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"grayscott/cpu"
	"grayscott/gpu"
	"grayscott/gpu/gpuconf"
	"grayscott/internal/plural"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
)

// Engine is a run's simulation engine: the pipeline's Source, which the
// preview window also steers (presets, painting) and reads to draw.
type Engine interface {
	pipeline.Source
	// SetRates changes F and k for the steps queued from now on.
	SetRates(feed, kill float32) error
	// Paint seeds V in a disc of radius cells around (row, col).
	Paint(row, col, radius float32) error
	// Steps is the step count of the current state.
	Steps() int64
	// ReadU and ReadV copy the current fields into dst.
	ReadU(dst []float32) error
	ReadV(dst []float32) error
	// Release frees the engine (and a GL context Open made for it).
	Release()
}

// The engines, as --engine names them.
const (
	Auto = "auto" // the GPU where EGL finds a hardware one, else the CPU
	GPU  = "gpu"
	CPU  = "cpu"
)

// Options choose and tune the engine. The zero value is the auto choice
// with every default.
type Options struct {
	// Kind is Auto (""), GPU or CPU.
	Kind string
	// Threads is the CPU engine's thread count (0: one per core).
	Threads int
	// Kernel and WorkGroup tune the GPU engine; "" (or "auto") and the
	// zero WorkGroup take the fastest that grayscott bench measured on
	// this device (Tuning), else the defaults.
	Kernel    string
	WorkGroup gpuconf.WorkGroup
	// ReadbackSlots is the size of the readback ring (0: the default).
	ReadbackSlots int
	// Platform is the EGL route to a headless context (gpuconf.Platforms).
	Platform string
	// Tuning is grayscott bench's tuning file; "" reads none.
	Tuning string
	// Debug asks for a GL debug context and logs its messages.
	Debug bool
	// Context, when set, is the GL context to run the GPU engine on (a
	// preview window's); it stays the caller's. Else Open makes a headless
	// one, which the engine releases.
	Context *gpu.Context
	// Log receives why an engine and a kernel were chosen; nil discards.
	Log *slog.Logger
}

// Info says which engine a run uses, for the file, the summary and the log.
type Info struct {
	Name      string // GPU or CPU
	GL        gpu.Info
	Kernel    string // the GPU's
	WorkGroup gpuconf.WorkGroup
	Threads   int    // the CPU's
	ISA       string // the CPU kernel's instruction set
}

func (i Info) String() string {
	if i.Name == CPU {
		return fmt.Sprintf("cpu (%s, %s)", i.ISA, plural.N(i.Threads, "thread"))
	}
	return fmt.Sprintf("gpu (%s)", i.GL.Renderer)
}

// Attributes of one engine that a file resumed on the other must lose.
var (
	gpuAttrs = []string{"gl_vendor", "gl_renderer", "gl_version", "gl_platform", "workgroup", "kernel"}
	cpuAttrs = []string{"threads", "cpu_isa", "cpu_model"}
)

// Attrs are the engine's root attributes, and those of the other engine to
// drop from a resumed file.
func (i Info) Attrs() (set []storage.Attr, drop []string) {
	set = []storage.Attr{{Name: "engine", Value: i.Name}}
	if i.Name == CPU {
		return append(set, storage.Attr{Name: "threads", Value: i.Threads}, storage.Attr{Name: "cpu_isa", Value: i.ISA},
			storage.Attr{Name: "cpu_model", Value: cpu.Model()}), gpuAttrs
	}
	return append(set,
		storage.Attr{Name: "gl_vendor", Value: i.GL.Vendor},
		storage.Attr{Name: "gl_renderer", Value: i.GL.Renderer},
		storage.Attr{Name: "gl_version", Value: i.GL.Version},
		storage.Attr{Name: "gl_platform", Value: i.GL.Platform},
		storage.Attr{Name: "workgroup", Value: i.WorkGroup.String()},
		storage.Attr{Name: "kernel", Value: i.Kernel},
	), cpuAttrs
}

// Open chooses the engine (Options.Kind) and makes it on p's initial
// state. For GPU and Auto it makes a headless GL context unless one is
// given; Auto takes the CPU engine, saying why in one log line, where
// there is no GL 4.3 at all or only a software rasterizer, which the CPU
// engine outruns. The engine is the caller's to Release.
func Open(p sim.Params, o Options) (Engine, Info, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	glctx, owned, err := choose(o)
	if err != nil {
		return nil, Info{}, err
	}
	if glctx == nil {
		tuned := (o.Kernel != "" && o.Kernel != "auto") || o.WorkGroup != (gpuconf.WorkGroup{})
		if tuned {
			o.Log.Warn("--kernel and --workgroup tune the GPU engine; the CPU engine ignores them")
		}
		return openCPU(p, o)
	}
	e, info, err := openGPU(p, o, glctx)
	if err != nil && owned {
		glctx.Release()
	}
	if err != nil || !owned {
		return e, info, err
	}
	return &ownedContext{Engine: e, ctx: glctx}, info, nil
}

// choose resolves Kind to a GL context (nil for the CPU engine), made here
// (owned) unless the options give one.
func choose(o Options) (glctx *gpu.Context, owned bool, err error) {
	switch o.Kind {
	case CPU:
		return nil, false, nil
	case "", Auto, GPU:
	default:
		return nil, false, fmt.Errorf("engine: unknown engine %q (want auto, gpu or cpu)", o.Kind)
	}
	auto := o.Kind != GPU
	if glctx = o.Context; glctx == nil {
		glctx, err = gpu.NewHeadless(gpu.Options{Debug: o.Debug, Platform: o.Platform})
		if err != nil {
			if !auto {
				return nil, false, err
			}
			o.Log.Info("engine: cpu, as there is no OpenGL 4.3 context here", "why", FirstLine(err.Error()))
			return nil, false, nil
		}
		owned = true
	}
	if info := glctx.Info(); auto && info.Software() {
		o.Log.Info("engine: cpu, as the only OpenGL here is a software rasterizer (--engine gpu runs it anyway)",
			"renderer", info.Renderer)
		if owned {
			glctx.Release()
		}
		return nil, false, nil
	}
	return glctx, owned, nil
}

// FirstLine is the first line of s: the gist of a multi-line error.
func FirstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func openCPU(p sim.Params, o Options) (Engine, Info, error) {
	e, err := cpu.New(p, sim.InitialState(p.Rows, p.Cols), cpu.Options{Threads: o.Threads})
	if err != nil {
		return nil, Info{}, err
	}
	src, err := cpu.NewSource(e, o.ReadbackSlots)
	if err != nil {
		e.Close()
		return nil, Info{}, err
	}
	return src, Info{Name: CPU, Threads: e.Threads(), ISA: e.ISA()}, nil
}

func openGPU(p sim.Params, o Options, glctx *gpu.Context) (Engine, Info, error) {
	info := Info{Name: GPU, GL: glctx.Info()}
	o.Log.Debug("OpenGL", "vendor", info.GL.Vendor, "renderer", info.GL.Renderer, "version", info.GL.Version, "platform", info.GL.Platform)
	var why string
	info.Kernel, info.WorkGroup, why = ResolveTuning(o.Kernel, o.WorkGroup, o.Tuning, info.GL.Renderer, p.Cells())
	if why != "" {
		o.Log.Info("tuning", "chosen", why)
	}
	s, err := gpu.NewSimulator(glctx, p, gpu.Config{WorkGroup: info.WorkGroup, Kernel: info.Kernel, ReadbackSlots: o.ReadbackSlots},
		sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		return nil, Info{}, err
	}
	return s, info, nil
}

// ownedContext is a GPU engine on a context Open made: releasing it
// releases both, the simulator first.
type ownedContext struct {
	Engine
	ctx *gpu.Context
}

func (e *ownedContext) Release() {
	e.Engine.Release()
	e.ctx.Release()
}

// Simulator returns the GPU simulator under e, or nil for the CPU engine:
// the preview window draws the simulator's buffers directly.
func Simulator(e Engine) *gpu.Simulator {
	if o, ok := e.(*ownedContext); ok {
		e = o.Engine
	}
	s, _ := e.(*gpu.Simulator)
	return s
}
