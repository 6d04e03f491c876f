package main

import (
	"cmp"
	"fmt"
	"log/slog"
	"strings"

	"grayscott/cpu"
	"grayscott/gpu"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
)

// engine is a run's simulation engine: the pipeline's Source, which the
// preview window also steers (presets, painting) and reads to draw.
// *gpu.Simulator and *cpu.Source are engines.
type engine interface {
	pipeline.Source
	SetRates(feed, kill float32) error
	Paint(row, col, radius float32) error
	Steps() int64
	ReadU(dst []float32) error
	ReadV(dst []float32) error
	Release()
}

// Attributes of one engine that a file resumed on the other must lose.
var (
	gpuAttrs = []string{"gl_vendor", "gl_renderer", "gl_version", "gl_platform", "workgroup", "kernel"}
	cpuAttrs = []string{"threads", "cpu_isa", "cpu_model"}
)

// engineInfo says which engine a run used, for the file, the summary and
// the log.
type engineInfo struct {
	name    string // "gpu" or "cpu"
	gl      gpu.Info
	threads int
	isa     string
}

func (e engineInfo) String() string {
	if e.name == "cpu" {
		return fmt.Sprintf("cpu (%s, %d threads)", e.isa, e.threads)
	}
	return fmt.Sprintf("gpu (%s)", e.gl.Renderer)
}

// attrs are the engine's root attributes, and those of the other engine to
// drop from a resumed file.
func (e engineInfo) attrs(cfg *runConfig) (set []storage.Attr, drop []string) {
	set = []storage.Attr{{Name: "engine", Value: e.name}}
	if e.name == "cpu" {
		return append(set, storage.Attr{Name: "threads", Value: e.threads}, storage.Attr{Name: "cpu_isa", Value: e.isa},
			storage.Attr{Name: "cpu_model", Value: cpu.Model()}), gpuAttrs
	}
	return append(set,
		storage.Attr{Name: "gl_vendor", Value: e.gl.Vendor},
		storage.Attr{Name: "gl_renderer", Value: e.gl.Renderer},
		storage.Attr{Name: "gl_version", Value: e.gl.Version},
		storage.Attr{Name: "gl_platform", Value: e.gl.Platform},
		storage.Attr{Name: "workgroup", Value: cfg.workGroup.String()},
		storage.Attr{Name: "kernel", Value: cmp.Or(cfg.kernel, gpu.DefaultKernel)},
	), cpuAttrs
}

// chooseEngine resolves --engine. For gpu and auto it makes the headless
// GL context (unless glctx, the window's, is given); auto takes the CPU
// engine, saying why in one log line, when there is no GL 4.3 at all or
// only a software rasterizer, which the CPU engine outruns. The context
// returned (nil for the CPU) is the caller's to release when it made it.
func chooseEngine(cfg *runConfig, glctx *gpu.Context, log *slog.Logger) (name string, _ *gpu.Context, _ error) {
	defer func() {
		if name == "cpu" && cfg.gpuTuningGiven {
			log.Warn("--kernel and --workgroup tune the GPU engine; the CPU engine ignores them")
		}
	}()
	if cfg.engine == "cpu" {
		return "cpu", glctx, nil
	}
	made := false
	if glctx == nil {
		var err error
		glctx, err = gpu.NewHeadless(gpu.Options{Debug: cfg.verbose, Platform: cfg.eglPlatform})
		if err != nil {
			if cfg.engine == "gpu" {
				return "", nil, err
			}
			log.Info("engine: cpu, as there is no OpenGL 4.3 context here", "why", firstLine(err.Error()))
			return "cpu", nil, nil
		}
		made = true
	}
	if info := glctx.Info(); cfg.engine == "auto" && info.Software() {
		log.Info("engine: cpu, as the only OpenGL here is a software rasterizer (--engine gpu runs it anyway)",
			"renderer", info.Renderer)
		if made {
			glctx.Release()
			glctx = nil
		}
		return "cpu", glctx, nil
	}
	return "gpu", glctx, nil
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

// newEngine makes the engine on its initial state: the GPU simulator on
// glctx, or the CPU engine with --threads.
func newEngine(name string, cfg *runConfig, glctx *gpu.Context, log *slog.Logger) (engine, engineInfo, error) {
	p := cfg.pipe.Params
	init := sim.InitialState(p.Rows, p.Cols)
	if name == "cpu" {
		e, err := cpu.New(p, init, cpu.Options{Threads: cfg.threads})
		if err != nil {
			return nil, engineInfo{}, err
		}
		src, err := cpu.NewSource(e, cfg.readbackSlots)
		if err != nil {
			e.Close()
			return nil, engineInfo{}, err
		}
		return src, engineInfo{name: "cpu", threads: e.Threads(), isa: e.ISA()}, nil
	}
	info := glctx.Info()
	log.Debug("OpenGL", "vendor", info.Vendor, "renderer", info.Renderer, "version", info.Version, "platform", info.Platform)
	if chosen := resolveTuning(cfg, info.Renderer); chosen != "" {
		log.Info("tuning", "chosen", chosen)
	}
	s, err := gpu.NewSimulator(glctx, p, gpu.Config{WorkGroup: cfg.workGroup, Kernel: cfg.kernel, ReadbackSlots: cfg.readbackSlots}, init)
	if err != nil {
		return nil, engineInfo{}, err
	}
	return s, engineInfo{name: "gpu", gl: info}, nil
}
