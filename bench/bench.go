// Package bench measures each stage of grayscott's data path on this
// machine, next to the limits measured on the spot: the device's memory
// bandwidth (a copy shader), host memory copies, the CPU's last-level
// cache and the disk's write bandwidth. The stages are compute alone (per
// engine: the GPU per kernel and work group, the CPU per thread count),
// readback alone, the codecs alone (encode speed of one worker and the
// compression ratio, on two images of the run itself: early and
// developed), storage alone (per codec, image and flush policy) and the
// whole pipeline (per engine, storage buffer length and codec; buffer
// length 0 is synchronous). Each figure is a median over repeats with its
// range, warm-up excluded.
//
// Run measures on the GL context it is given (none: the CPU engine only),
// with the kernels, work groups and thread counts it is given; it reads no
// tuning file and makes no context. The grayscott bench command is a thin
// shell over it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"grayscott/cpu"
	"grayscott/engine"
	"grayscott/gpu"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
)

// Figure is one measured quantity: a median over repeats with its spread.
// Fields that do not apply to a stage are -1 or "".
type Figure struct {
	Stage       string  `json:"stage"`  // memory-copy, host-copy, cpu-cache, disk-write, compute, readback, codec, storage, end-to-end
	Engine      string  `json:"engine"` // gpu or cpu, for compute, readback and end-to-end
	Size        int     `json:"size"`   // grid side: size×size cells (rounded √cells for other shapes)
	Rows        int     `json:"rows"`
	Cols        int     `json:"cols"`
	Kernel      string  `json:"kernel"` // the GPU's kernel, or the CPU's instruction set
	Workgroup   string  `json:"workgroup"`
	Threads     int     `json:"threads"` // the CPU engine's threads (0: not the CPU)
	Cache       string  `json:"cache"`   // CPU compute: whether the grid's fields (16 B per cell) fit the last-level cache
	BufferLen   int     `json:"storage_buffer_len"`
	Codec       string  `json:"codec"`              // codec, storage, end-to-end: as --compression takes it (none, deflate:1, bitshuffle-lz4)
	KeepBits    int     `json:"keep_bits"`          // with Codec: V's mantissa bits kept (23: lossless)
	Compression int     `json:"compression_level"`  // with Codec: deflate's level (0: another codec)
	Image       string  `json:"image"`              // codec, storage: the image encoded, early or developed
	ImageSteps  int     `json:"image_steps"`        // the steps that made it from the initial state
	Ratio       float64 `json:"ratio"`              // codec, compressed storage: raw bytes over stored bytes
	MaxRelError float64 `json:"max_relative_error"` // codec: the largest |decoded − v|/|v| of the image (checked against the bound)
	VsRaw       float64 `json:"vs_raw"`             // compressed storage, end-to-end: the figure over the same configuration's with the codec none (0: not measured)
	FlushEvery  int     `json:"flush_every"`
	Metric      string  `json:"metric"`
	Unit        string  `json:"unit"`
	Median      float64 `json:"median"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Repeats     int     `json:"repeats"`
	Timing      string  `json:"timing"` // gpu-timer, wall, or thread-cpu (codec: the CPU time of the encoding thread)
	ImagesPerS  float64 `json:"images_per_s"`
	Limit       float64 `json:"limit"`      // the matching hardware limit, in Unit (0: none)
	LimitName   string  `json:"limit_name"` // which measured limit
	OfLimit     float64 `json:"fraction_of_limit"`
	BoundBy     string  `json:"bound_by"` // end-to-end: the slower stage alone
}

// Report is every figure of one measurement, with what it ran on.
type Report struct {
	Program   string   `json:"program"`
	Version   string   `json:"version"`
	Date      string   `json:"date"`
	Renderer  string   `json:"gl_renderer"`
	Vendor    string   `json:"gl_vendor"`
	GLVersion string   `json:"gl_version"`
	Platform  string   `json:"gl_platform"`
	CPUs      int      `json:"cpus"`
	CPUModel  string   `json:"cpu_model"`
	LLCBytes  int64    `json:"llc_bytes"` // the CPU's last-level cache (0: unknown)
	Steps     int      `json:"steps_per_image"`
	Images    int      `json:"images"`
	Early     int      `json:"early_steps"`     // the steps that make the codec and storage stages' early image
	Developed int      `json:"developed_steps"` // and their developed image
	Repeats   int      `json:"repeats"`
	Figures   []Figure `json:"figures"`
}

// Grid is a grid size measured.
type Grid struct{ Rows, Cols int }

// Square returns an n×n grid.
func Square(n int) Grid { return Grid{n, n} }

// Side is the side of the square of as many cells (rounded).
func (g Grid) Side() int { return int(math.Round(math.Sqrt(float64(g.Rows) * float64(g.Cols)))) }

// String is "1024²" for squares, else "1080×1920".
func (g Grid) String() string {
	if g.Rows == g.Cols {
		return fmt.Sprintf("%d²", g.Rows)
	}
	return fmt.Sprintf("%d×%d", g.Rows, g.Cols)
}

// Options say what to measure. Lists must not be empty.
type Options struct {
	Sizes []Grid
	// Engines lists the engines measured: "gpu" (needs a context), "cpu".
	Engines []string
	// Threads lists the CPU engine's thread counts for the compute stage;
	// its readback and end-to-end runs use the last.
	Threads     []int
	BufferLens  []int                 // storage buffer lengths for the end-to-end runs
	Compression []storage.Compression // codecs with their kept bits: of the codec stage (but none), storage and end to end
	Flushes     []int                 // flush policies (flush every N images, 0 at the end); the first also end to end
	WorkGroups  []gpu.WorkGroup
	Kernels     []string
	// EndToEndFastest runs the GPU's end-to-end stage with the kernel and
	// work group measured fastest at the same grid in this run; else
	// EndToEndKernel and EndToEndWorkGroup run it, the
	// first of Kernels and WorkGroups when empty.
	EndToEndFastest   bool
	EndToEndKernel    string
	EndToEndWorkGroup gpu.WorkGroup
	Images, Steps     int // images per storage, readback and end-to-end measurement; steps per image
	Repeats           int
	// EarlySteps and DevelopedSteps make the images of the codec and
	// storage stages: V after that many steps from the initial state, on
	// the engine that computes fastest at the grid (1 ≤ early < developed).
	EarlySteps, DevelopedSteps int
	// Dir holds the storage files; its disk is the one measured.
	Dir string
	// Quick measures the limits on small buffers (a check that all runs).
	Quick bool
	// Log receives a line per grid size; nil discards.
	Log *slog.Logger
}

func (o *Options) check(glctx *gpu.Context) error {
	if len(o.Sizes) == 0 || len(o.BufferLens) == 0 || len(o.Compression) == 0 || len(o.Flushes) == 0 || len(o.Engines) == 0 {
		return errors.New("bench: every list of options needs at least one value")
	}
	for _, e := range o.Engines {
		switch e {
		case "gpu":
			if glctx == nil {
				return errors.New("bench: the gpu engine needs a GL context")
			}
			if len(o.WorkGroups) == 0 || len(o.Kernels) == 0 {
				return errors.New("bench: the gpu engine needs kernels and work groups")
			}
		case "cpu":
			if len(o.Threads) == 0 {
				return errors.New("bench: the cpu engine needs thread counts")
			}
		default:
			return fmt.Errorf("bench: unknown engine %q (want gpu or cpu)", e)
		}
	}
	if o.Images < 1 || o.Steps < 1 || o.Repeats < 1 {
		return fmt.Errorf("bench: images %d, steps %d, repeats %d: each must be at least 1", o.Images, o.Steps, o.Repeats)
	}
	if o.EarlySteps < 1 || o.DevelopedSteps <= o.EarlySteps {
		return fmt.Errorf("bench: early image after %d steps, developed after %d: want 1 ≤ early < developed", o.EarlySteps, o.DevelopedSteps)
	}
	o.Compression = slices.Clone(o.Compression) // normalised below: the caller's stays as it is
	for i, c := range o.Compression {
		c = c.Normal()
		if err := c.Validate(); err != nil {
			return fmt.Errorf("bench: codec %s: %v", c, err)
		}
		o.Compression[i] = c
	}
	if o.EndToEndKernel == "" && len(o.Kernels) > 0 {
		o.EndToEndKernel = o.Kernels[0]
	}
	if o.EndToEndWorkGroup == (gpu.WorkGroup{}) && len(o.WorkGroups) > 0 {
		o.EndToEndWorkGroup = o.WorkGroups[0]
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// Run measures every stage for every size, the GPU's on glctx (nil when
// only the CPU engine is measured), and returns the figures; Program and
// Version are left for the caller. It blocks for the whole measurement.
// When ctx is cancelled it stops after the measurement in progress and
// returns the figures measured so far with ctx's error.
func Run(ctx context.Context, glctx *gpu.Context, o Options) (*Report, error) {
	if err := o.check(glctx); err != nil {
		return nil, err
	}
	var info gpu.Info
	if glctx != nil {
		info = glctx.Info()
	}
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Renderer: info.Renderer, Vendor: info.Vendor,
		GLVersion: info.Version, Platform: info.Platform, CPUs: runtime.NumCPU(), CPUModel: cpu.Model(), LLCBytes: cpu.LastLevelCache(),
		Steps: o.Steps, Images: o.Images, Repeats: o.Repeats, Early: o.EarlySteps, Developed: o.DevelopedSteps}
	b := &bencher{o: o, ctx: glctx, rep: rep}
	if err := b.limits(); err != nil {
		return nil, err
	}
	for _, g := range o.Sizes {
		if err := b.size(ctx, g); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			return nil, err
		}
	}
	return rep, nil
}

type bencher struct {
	o   Options
	ctx *gpu.Context
	rep *Report

	copyGBs, hostGBs float64
	// e2eKernel and e2eWG run the GPU's end-to-end stage at the grid being
	// measured.
	e2eKernel string
	e2eWG     gpu.WorkGroup
	cpuISA    string // the CPU engine's kernel, for the end-to-end rows
}

func (b *bencher) add(f Figure) { b.rep.Figures = append(b.rep.Figures, f) }

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

func newFigure(stage string, g Grid, metric, unit string, xs []float64, timing string) Figure {
	med, lo, hi := spread(xs)
	return Figure{Stage: stage, Size: g.Side(), Rows: g.Rows, Cols: g.Cols, BufferLen: -1, Compression: -1, FlushEvery: -1,
		Metric: metric, Unit: unit, Median: med, Min: lo, Max: hi, Repeats: len(xs), Timing: timing}
}

func timingName(gpuTimed bool) string {
	if gpuTimed {
		return "gpu-timer"
	}
	return "wall"
}

// limits measures the device's memory bandwidth (with a GL context), host
// memory copies and reports the CPU's last-level cache.
func (b *bencher) limits() error {
	o := b.o
	copyBytes := 64 << 20
	if o.Quick {
		copyBytes = 4 << 20
	}
	if b.ctx != nil && slices.Contains(o.Engines, "gpu") {
		rates, timed, err := b.ctx.MemoryBandwidth(copyBytes, o.Repeats)
		if err != nil {
			return err
		}
		for i := range rates {
			rates[i] /= 1e9
		}
		f := newFigure("memory-copy", Grid{}, "copy bandwidth (read+write)", "GB/s", rates, timingName(timed))
		f.Engine = "gpu"
		b.copyGBs = f.Median
		b.add(f)
	}
	host := make([]float64, o.Repeats)
	src, dst := make([]byte, copyBytes), make([]byte, copyBytes)
	copy(dst, src) // first touch: page faults are not bandwidth
	for i := range host {
		start := time.Now()
		copy(dst, src)
		host[i] = 2 * float64(copyBytes) / time.Since(start).Seconds() / 1e9
	}
	f := newFigure("host-copy", Grid{}, "host memory copy (read+write)", "GB/s", host, "wall")
	b.hostGBs = f.Median
	b.add(f)
	if b.rep.LLCBytes > 0 {
		b.add(newFigure("cpu-cache", Grid{}, "last-level cache", "MiB", []float64{float64(b.rep.LLCBytes) / (1 << 20)}, "sysfs"))
	}
	return nil
}

// stage says which measurement starts (a line of progress), unless ctx
// is cancelled: then it returns ctx's error and nothing more is measured.
func (b *bencher) stage(ctx context.Context, g Grid, stage string, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.o.Log.Info("bench", append([]any{"grid", g.String(), "stage", stage}, args...)...)
	return nil
}

// size measures every stage on grid g.
func (b *bencher) size(ctx context.Context, g Grid) error {
	o := b.o
	p := sim.Defaults()
	p.Rows, p.Cols, p.StepsPerImage, p.Images = g.Rows, g.Cols, o.Steps, o.Images
	first := len(b.rep.Figures)
	// images/s of each engine's compute and readback in its end-to-end
	// configuration; the engine that computes fastest makes the images.
	engineIPS := map[string]float64{}
	fastest, fastestIPS := "", 0.0
	for _, e := range o.Engines {
		compute := b.computeCPU
		if e == engine.GPU {
			compute = b.computeGPU
		}
		if err := b.stage(ctx, g, "compute", "engine", e); err != nil {
			return err
		}
		computeIPS, err := compute(ctx, p)
		if err != nil {
			return err
		}
		if err := b.stage(ctx, g, "readback", "engine", e); err != nil {
			return err
		}
		readbackIPS, err := b.readback(e, p)
		if err != nil {
			return err
		}
		engineIPS[e] = 1 / (1/computeIPS + 1/readbackIPS)
		if computeIPS > fastestIPS {
			fastest, fastestIPS = e, computeIPS
		}
	}

	if err := b.stage(ctx, g, "images", "engine", fastest, "early_steps", o.EarlySteps, "developed_steps", o.DevelopedSteps); err != nil {
		return err
	}
	images, err := b.images(fastest, p)
	if err != nil {
		return err
	}
	for _, im := range images {
		o.Log.Info("bench", "grid", g.String(), "image", im.name, "steps", im.steps, "active_cells", fmt.Sprintf("%.0f%%", 100*im.active))
	}

	// The codecs alone: one worker's encoding speed and the ratio.
	for _, im := range images {
		for _, c := range o.Compression {
			if c.Codec == storage.CodecNone {
				continue
			}
			if err := b.stage(ctx, g, "codec", "codec", c.String(), "keep_bits", c.KeepBits, "image", im.name); err != nil {
				return err
			}
			if err := b.codec(p, im, c); err != nil {
				return err
			}
		}
	}

	// The disk's raw write bandwidth and the storage stage, per flush
	// policy, image and codec. The end-to-end runs store images close to
	// the early one: its storage figures, at the first flush policy, are
	// their bound.
	storageIPS := map[storage.Compression]float64{}
	for fi, flush := range o.Flushes {
		disk, err := b.diskWrite(p.Cells(), flush)
		if err != nil {
			return err
		}
		d := newFigure("disk-write", g, "the same images and checkpoints by plain writes (image bytes)", "MB/s", disk, "wall")
		d.FlushEvery = flush
		b.add(d)
		for ii, im := range images {
			for _, c := range o.Compression {
				if err := b.stage(ctx, g, "storage", "codec", c.String(), "keep_bits", c.KeepBits, "image", im.name, "flush_every", flush); err != nil {
					return err
				}
				mbs, ratio, err := b.storage(p, im.v, c, flush)
				if err != nil {
					return err
				}
				f := newFigure("storage", g, "images stored (raw bytes)", "MB/s", mbs, "wall")
				setCodec(&f, c)
				f.FlushEvery, f.Image, f.ImageSteps, f.Ratio = flush, im.name, im.steps, ratio
				f.ImagesPerS = f.Median * 1e6 / (4 * float64(p.Cells()))
				f.Limit, f.LimitName, f.OfLimit = d.Median, "disk-write", f.Median/d.Median
				if ratio > 0 {
					f.Metric = fmt.Sprintf("images stored (raw bytes; compression %.2f×)", ratio)
				}
				b.add(f)
				if fi == 0 && ii == 0 {
					storageIPS[c] = f.ImagesPerS
				}
			}
		}
	}

	// End to end, per engine, storage buffer length and codec, with the
	// first flush policy.
	for _, e := range o.Engines {
		for _, bl := range o.BufferLens {
			for _, c := range o.Compression {
				if err := b.stage(ctx, g, "end-to-end", "engine", e, "storage_buffer_len", bl, "codec", c.String(), "keep_bits", c.KeepBits); err != nil {
					return err
				}
				var ips []float64
				for range o.Repeats {
					if err := ctx.Err(); err != nil {
						return err
					}
					wall, images, err := b.endToEnd(e, p, bl, c)
					if err != nil {
						return err
					}
					ips = append(ips, float64(images)/wall.Seconds())
				}
				f := newFigure("end-to-end", g, "images computed and stored", "images/s", ips, "wall")
				f.Engine = e
				if e == "gpu" {
					f.Kernel, f.Workgroup = b.e2eKernel, b.e2eWG.String()
				} else {
					f.Kernel, f.Threads = b.cpuISA, o.Threads[len(o.Threads)-1]
				}
				f.BufferLen, f.FlushEvery = bl, o.Flushes[0]
				setCodec(&f, c)
				f.ImagesPerS = f.Median
				f.BoundBy, f.Limit = e+" (compute + readback)", engineIPS[e]
				if storageIPS[c] < engineIPS[e] {
					f.BoundBy, f.Limit = "storage", storageIPS[c]
				}
				f.LimitName, f.OfLimit = "slower stage alone", f.Median/f.Limit
				b.add(f)
			}
		}
	}
	relateToRaw(b.rep.Figures[first:])
	return nil
}

// setCodec records c in f's codec fields.
func setCodec(f *Figure, c storage.Compression) {
	f.Codec, f.KeepBits, f.Compression = c.String(), c.KeepBits, c.Level
}

// relateToRaw sets VsRaw on each compressed storage and end-to-end figure
// of figs (one grid's) from the figure of the same configuration with the
// codec none.
func relateToRaw(figs []Figure) {
	same := func(a, b Figure) bool {
		return a.Stage == b.Stage && a.Engine == b.Engine && a.Rows == b.Rows && a.Cols == b.Cols && a.Kernel == b.Kernel &&
			a.Workgroup == b.Workgroup && a.Threads == b.Threads && a.BufferLen == b.BufferLen && a.FlushEvery == b.FlushEvery && a.Image == b.Image
	}
	for i, f := range figs {
		if (f.Stage != "storage" && f.Stage != "end-to-end") || f.Codec == "" || f.Codec == string(storage.CodecNone) {
			continue
		}
		for _, raw := range figs {
			if raw.Codec == string(storage.CodecNone) && same(f, raw) && raw.Median > 0 {
				figs[i].VsRaw = f.Median / raw.Median
			}
		}
	}
}

// computeGPU times the steps alone per kernel and work group. It returns
// the images/s of the end-to-end configuration.
func (b *bencher) computeGPU(ctx context.Context, p sim.Params) (endToEndIPS float64, err error) {
	o := b.o
	g := Grid{p.Rows, p.Cols}
	cells := float64(p.Cells())
	b.e2eKernel, b.e2eWG = o.EndToEndKernel, o.EndToEndWorkGroup
	best := 0.0
	// One simulator for every kernel and work group: the fields are
	// allocated once, as a run does (on an H100, a process that allocated
	// and freed them for each kernel measured some kernels 3× slower), and
	// each measurement starts from the initial state.
	init := sim.InitialState(p.Rows, p.Cols)
	var s *gpu.Simulator
	defer func() {
		if s != nil {
			s.Release()
		}
	}()
	for _, kernel := range o.Kernels {
		for _, wg := range o.WorkGroups {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			var err error
			if s == nil {
				s, err = gpu.NewSimulator(b.ctx, p, gpu.Config{WorkGroup: wg, Kernel: kernel}, init)
			} else if err = s.SetKernel(kernel, wg); err == nil {
				err = s.SetState(init, 0)
			}
			if err != nil {
				return 0, err
			}
			if _, _, err := s.TimedStep(1); err != nil { // warm-up: llvmpipe compiles at the first dispatch
				return 0, err
			}
			var ups, gbs []float64
			var timed bool
			for range o.Repeats {
				d, t, err := s.TimedStep(o.Steps)
				if err != nil {
					return 0, err
				}
				timed = t
				ups = append(ups, cells*float64(o.Steps)/d.Seconds())
				gbs = append(gbs, 16*cells*float64(o.Steps)/d.Seconds()/1e9)
			}
			f := newFigure("compute", g, "cell updates", "cell-updates/s", ups, timingName(timed))
			f.Engine, f.Kernel, f.Workgroup = "gpu", kernel, wg.String()
			f.ImagesPerS = f.Median / cells / float64(o.Steps)
			bw := newFigure("compute", g, "effective bandwidth (16 B per cell per step)", "GB/s", gbs, timingName(timed))
			bw.Engine, bw.Kernel, bw.Workgroup, bw.ImagesPerS = "gpu", kernel, wg.String(), f.ImagesPerS
			bw.Limit, bw.LimitName, bw.OfLimit = b.copyGBs, "memory-copy", bw.Median/b.copyGBs
			b.add(f)
			b.add(bw)
			if o.EndToEndFastest && f.Median > best {
				best, b.e2eKernel, b.e2eWG = f.Median, kernel, wg
			}
			if (kernel == b.e2eKernel && wg == b.e2eWG) || endToEndIPS == 0 {
				endToEndIPS = f.ImagesPerS
			}
		}
	}
	return endToEndIPS, nil
}

// computeCPU times the CPU engine's steps per thread count, next to the
// bound of host memory bandwidth at 16 bytes per cell per step, which
// holds when the fields outgrow the last-level cache. It returns the
// images/s of the last thread count.
func (b *bencher) computeCPU(ctx context.Context, p sim.Params) (endToEndIPS float64, err error) {
	o := b.o
	g := Grid{p.Rows, p.Cols}
	cells := float64(p.Cells())
	cache := ""
	if llc := b.rep.LLCBytes; llc > 0 {
		cache = "exceeds LLC"
		if 16*int64(p.Cells()) <= llc {
			cache = "fits LLC"
		}
	}
	for _, threads := range o.Threads {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		e, err := cpu.New(p, sim.InitialState(p.Rows, p.Cols), cpu.Options{Threads: threads})
		if err != nil {
			return 0, err
		}
		if err := e.Step(1); err != nil { // warm-up: page faults, worker start
			e.Close()
			return 0, err
		}
		var ups []float64
		for range o.Repeats {
			start := time.Now()
			if err := e.Step(o.Steps); err != nil {
				e.Close()
				return 0, err
			}
			ups = append(ups, cells*float64(o.Steps)/time.Since(start).Seconds())
		}
		f := newFigure("compute", g, "cell updates", "cell-updates/s", ups, "wall")
		f.Engine, f.Kernel, f.Threads, f.Cache = "cpu", e.ISA(), e.Threads(), cache
		b.cpuISA = e.ISA()
		f.ImagesPerS = f.Median / cells / float64(o.Steps)
		// Out of cache each step streams U and V in and out: 16 B per cell.
		f.Limit, f.LimitName = b.hostGBs*1e9/16, "host-copy at 16 B per cell per step"
		f.OfLimit = f.Median / f.Limit
		b.add(f)
		endToEndIPS = f.ImagesPerS
		e.Close()
	}
	return endToEndIPS, nil
}

// open makes the engine kind as the end-to-end runs use it: the GPU's on
// the bench's context with the end-to-end kernel and work group, the CPU's
// with the last thread count.
func (b *bencher) open(kind string, p sim.Params) (engine.Engine, error) {
	e, _, err := engine.Open(p, engine.Options{Kind: kind, Context: b.ctx, Kernel: b.e2eKernel, WorkGroup: b.e2eWG,
		Threads: b.o.Threads[len(b.o.Threads)-1]})
	return e, err
}

// readback times o.Images readbacks of V through the engine kind's ring
// (no steps), per repeat.
func (b *bencher) readback(kind string, p sim.Params) (float64, error) {
	o := b.o
	src, err := b.open(kind, p)
	if err != nil {
		return 0, err
	}
	defer src.Release()
	cells := float64(p.Cells())
	frame := make([]float32, p.Cells())
	// Warm-up: llvmpipe compiles the GPU's pack shader at its first dispatch.
	if err := src.QueueReadback(false); err != nil {
		return 0, err
	}
	if _, err := src.CompleteReadback(frame, nil); err != nil {
		return 0, err
	}
	var rb []float64
	for range o.Repeats {
		start := time.Now()
		for range o.Images {
			if err := src.QueueReadback(false); err != nil {
				return 0, err
			}
			if _, err := src.CompleteReadback(frame, nil); err != nil {
				return 0, err
			}
		}
		rb = append(rb, float64(o.Images)*4*cells/time.Since(start).Seconds()/1e9)
	}
	f := newFigure("readback", Grid{p.Rows, p.Cols}, "readback of V", "GB/s", rb, "wall")
	f.Engine = kind
	f.ImagesPerS = f.Median * 1e9 / (4 * cells)
	f.Limit, f.LimitName, f.OfLimit = b.hostGBs, "host-copy", f.Median/b.hostGBs
	b.add(f)
	return f.ImagesPerS, nil
}

// endToEnd runs the whole pipeline once into a scratch file on the engine
// kind (see open) with codec c and the first flush policy; it returns the
// pipeline's wall time (engine set-up and shader compilation excluded) and
// the images stored.
func (b *bencher) endToEnd(kind string, p sim.Params, bufferLen int, c storage.Compression) (time.Duration, int, error) {
	o := b.o
	src, err := b.open(kind, p)
	if err != nil {
		return 0, 0, err
	}
	defer src.Release()
	if err := src.Step(1); err != nil { // warm-up, then the initial state again
		return 0, 0, err
	}
	if err := src.SetState(sim.InitialState(p.Rows, p.Cols), 0); err != nil {
		return 0, 0, err
	}
	path := filepath.Join(o.Dir, fmt.Sprintf("grayscott-bench-%d.h5", os.Getpid()))
	defer os.Remove(path)
	sum, err := pipeline.Run(context.Background(), src, pipeline.Config{Params: p, Output: path, Force: true,
		Compression: c, BufferLen: bufferLen, FlushEvery: o.Flushes[0],
		CompressWorkers: runtime.NumCPU()})
	if err != nil {
		return 0, 0, err
	}
	return sum.Wall, sum.Images, nil
}

// storage writes o.Images copies of field through the pipeline with codec
// c, as a run stores them (the writer's queue and workers, a checkpoint
// with every flush and at the last image, SWMR publishing), from an engine
// that computes nothing (replay). It returns MB/s of raw image bytes per
// repeat, from the first image to the closed file, and the compression
// ratio (0 for the codec none).
func (b *bencher) storage(p sim.Params, field []float32, c storage.Compression, flush int) ([]float64, float64, error) {
	var mbs []float64
	ratio := 0.0
	for range b.o.Repeats {
		path := filepath.Join(b.o.Dir, fmt.Sprintf("grayscott-bench-storage-%d.h5", os.Getpid()))
		sum, err := pipeline.Run(context.Background(), &replay{field: field, slots: 2}, pipeline.Config{Params: p,
			Output: path, Force: true, Compression: c, BufferLen: storageBufferLen, FlushEvery: flush, CompressWorkers: runtime.NumCPU()})
		os.Remove(path)
		if err != nil {
			return nil, 0, err
		}
		mbs = append(mbs, float64(sum.BytesWritten)/1e6/sum.Wall.Seconds())
		if c.Codec != storage.CodecNone && sum.StoredBytes > 0 {
			ratio = float64(sum.BytesWritten) / float64(sum.StoredBytes)
		}
	}
	return mbs, ratio, nil
}

// replay is an engine that computes nothing: each readback is field (V,
// and U for checkpoints), so that the pipeline measures storage alone.
type replay struct {
	field          []float32
	slots, pending int
	step           int64
}

func (r *replay) Step(n int) error { r.step += int64(n); return nil }

func (r *replay) QueueReadback(bool) error {
	if r.pending == r.slots {
		return errors.New("bench: every readback slot is pending")
	}
	r.pending++
	return nil
}

func (r *replay) PendingReadbacks() int { return r.pending }
func (r *replay) ReadbackSlots() int    { return r.slots }

func (r *replay) CompleteReadback(v, u []float32) (int64, error) {
	copy(v, r.field)
	if u != nil {
		copy(u, r.field)
	}
	r.pending--
	return r.step, nil
}

func (r *replay) SetState(_ *sim.State, step int64) error { r.step = step; return nil }

// storageBufferLen is the queue of the storage stage's pipeline: its
// pool holds storageBufferLen+1 raw frames (storage.WriterOptions).
const storageBufferLen = 4

// diskWrite writes what the storage stage writes to a plain file, per
// repeat, and returns MB/s of image bytes: o.Images frames of cells
// float32, plus a checkpoint's U (as many bytes again) with every flush
// (flush > 0: after each flush-th image; fsync then) and at the last
// image, then an fsync. The frames come in turn from as many buffers as
// the stage's pool holds, so that both read memory the cache does not
// hold, as a run's frames are.
func (b *bencher) diskWrite(cells, flush int) ([]float64, error) {
	bufs := make([][]byte, storageBufferLen+1)
	for k := range bufs {
		bufs[k] = make([]byte, 4*cells)
		for i := range bufs[k] {
			bufs[k][i] = byte(i*7 + k)
		}
	}
	var mbs []float64
	for range b.o.Repeats {
		path := filepath.Join(b.o.Dir, fmt.Sprintf("grayscott-bench-disk-%d.raw", os.Getpid()))
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		start := time.Now()
		for i := range b.o.Images {
			_, err = f.Write(bufs[i%len(bufs)])
			if last, due := i == b.o.Images-1, flush > 0 && (i+1)%flush == 0; err == nil && (due || last) {
				if _, err = f.Write(bufs[(i+1)%len(bufs)]); err == nil && due {
					err = f.Sync()
				}
			}
			if err != nil {
				f.Close()
				os.Remove(path)
				return nil, fmt.Errorf("bench: %w", err)
			}
		}
		f.Sync()
		mbs = append(mbs, float64(4*cells*b.o.Images)/1e6/time.Since(start).Seconds())
		f.Close()
		os.Remove(path)
	}
	return mbs, nil
}

// Best is the fastest kernel and work group measured at one grid size.
type Best struct {
	Size            int // the grid's side (Figure.Size)
	Kernel          string
	Workgroup       string
	CellUpdatesPerS float64
}

// Fastest returns, per grid size in the order measured, the GPU kernel and
// work group with the highest median cell-updates/s.
func (rep *Report) Fastest() []Best {
	var out []Best
	for _, f := range rep.Figures {
		if f.Stage != "compute" || f.Engine != "gpu" || f.Unit != "cell-updates/s" {
			continue
		}
		i := slices.IndexFunc(out, func(e Best) bool { return e.Size == f.Size })
		if i < 0 {
			out = append(out, Best{Size: f.Size})
			i = len(out) - 1
		}
		if f.Median > out[i].CellUpdatesPerS {
			out[i].Kernel, out[i].Workgroup, out[i].CellUpdatesPerS = f.Kernel, f.Workgroup, f.Median
		}
	}
	return out
}
