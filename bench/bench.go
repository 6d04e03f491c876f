// Package bench measures each stage of grayscott's data path on this
// machine, next to the limits measured on the spot: the device's memory
// bandwidth (a copy shader), host memory copies and the disk's write
// bandwidth. The stages are compute alone (per kernel and work group),
// readback alone, storage alone (per compression level and flush policy)
// and the whole pipeline (per storage buffer length; 0 is synchronous).
// Each figure is a median over repeats with its range, warm-up excluded.
//
// Run measures on the GL context it is given, with the kernels and work
// groups it is given; it reads no tuning file and makes no context. The
// grayscott bench command is a thin shell over it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"grayscott/gpu"
	"grayscott/pipeline"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
)

// Figure is one measured quantity: a median over repeats with its spread.
// Fields that do not apply to a stage are -1 or "".
type Figure struct {
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
	Steps     int      `json:"steps_per_image"`
	Images    int      `json:"images"`
	Repeats   int      `json:"repeats"`
	Figures   []Figure `json:"figures"`
}

// Options say what to measure. Lists must not be empty.
type Options struct {
	Sizes       []int // grid sides
	BufferLens  []int // storage buffer lengths for the end-to-end runs
	Compression []int // levels for the storage stage; the first also end to end
	Flushes     []int // flush policies (flush every N images, 0 at the end); the first also end to end
	WorkGroups  []gpu.WorkGroup
	Kernels     []string
	// EndToEndKernel and EndToEndWorkGroup run the end-to-end stage; the
	// first of Kernels and WorkGroups when empty.
	EndToEndKernel    string
	EndToEndWorkGroup gpu.WorkGroup
	Images, Steps     int // images per storage, readback and end-to-end measurement; steps per image
	Repeats           int
	// Dir holds the storage files; its disk is the one measured.
	Dir string
	// Quick measures the limits on small buffers (a check that all runs).
	Quick bool
	// Log receives a line per grid size; nil discards.
	Log *slog.Logger
}

func (o *Options) check() error {
	if len(o.Sizes) == 0 || len(o.BufferLens) == 0 || len(o.Compression) == 0 || len(o.Flushes) == 0 ||
		len(o.WorkGroups) == 0 || len(o.Kernels) == 0 {
		return errors.New("bench: every list of options needs at least one value")
	}
	if o.Images < 1 || o.Steps < 1 || o.Repeats < 1 {
		return fmt.Errorf("bench: images %d, steps %d, repeats %d: each must be at least 1", o.Images, o.Steps, o.Repeats)
	}
	if o.EndToEndKernel == "" {
		o.EndToEndKernel = o.Kernels[0]
	}
	if o.EndToEndWorkGroup == (gpu.WorkGroup{}) {
		o.EndToEndWorkGroup = o.WorkGroups[0]
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// Run measures every stage for every size on glctx and returns the
// figures; Program and Version are left for the caller. It blocks for the
// whole measurement and stops between measurements when ctx is cancelled.
func Run(ctx context.Context, glctx *gpu.Context, o Options) (*Report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	info := glctx.Info()
	rep := &Report{Date: time.Now().UTC().Format(time.RFC3339), Renderer: info.Renderer, Vendor: info.Vendor,
		GLVersion: info.Version, Platform: info.Platform, CPUs: runtime.NumCPU(),
		Steps: o.Steps, Images: o.Images, Repeats: o.Repeats}
	b := &bencher{o: o, ctx: glctx, rep: rep}
	if err := b.limits(); err != nil {
		return nil, err
	}
	for _, n := range o.Sizes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o.Log.Info("bench", "size", n)
		if err := b.size(ctx, n); err != nil {
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

func newFigure(stage string, size int, metric, unit string, xs []float64, timing string) Figure {
	med, lo, hi := spread(xs)
	return Figure{Stage: stage, Size: size, BufferLen: -1, Compression: -1, FlushEvery: -1,
		Metric: metric, Unit: unit, Median: med, Min: lo, Max: hi, Repeats: len(xs), Timing: timing}
}

func timingName(gpuTimed bool) string {
	if gpuTimed {
		return "gpu-timer"
	}
	return "wall"
}

// limits measures the device's memory bandwidth and host memory copies.
func (b *bencher) limits() error {
	o := b.o
	copyBytes := 64 << 20
	if o.Quick {
		copyBytes = 4 << 20
	}
	rates, timed, err := b.ctx.MemoryBandwidth(copyBytes, o.Repeats)
	if err != nil {
		return err
	}
	for i := range rates {
		rates[i] /= 1e9
	}
	f := newFigure("memory-copy", 0, "copy bandwidth (read+write)", "GB/s", rates, timingName(timed))
	b.copyGBs = f.Median
	b.add(f)
	host := make([]float64, o.Repeats)
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
	return nil
}

// size measures every stage on an n×n grid.
func (b *bencher) size(ctx context.Context, n int) error {
	o := b.o
	p := sim.Defaults()
	p.Rows, p.Cols, p.StepsPerImage, p.Images = n, n, o.Steps, o.Images
	field, computeIPS, err := b.compute(p)
	if err != nil {
		return err
	}
	readbackIPS, err := b.readback(p)
	if err != nil {
		return err
	}

	// The disk's raw write bandwidth and the storage stage, per flush policy.
	storageIPS := 0.0
	cells := float64(n * n)
	for fi, flush := range o.Flushes {
		disk, err := b.diskWrite(n, flush)
		if err != nil {
			return err
		}
		d := newFigure("disk-write", n, "raw file write", "MB/s", disk, "wall")
		d.FlushEvery = flush
		b.add(d)
		for ci, level := range o.Compression {
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
	for _, bl := range o.BufferLens {
		var ips []float64
		for range o.Repeats {
			if err := ctx.Err(); err != nil {
				return err
			}
			wall, images, err := b.endToEnd(p, bl)
			if err != nil {
				return err
			}
			ips = append(ips, float64(images)/wall.Seconds())
		}
		f := newFigure("end-to-end", n, "images computed and stored", "images/s", ips, "wall")
		f.Kernel, f.Workgroup = o.EndToEndKernel, o.EndToEndWorkGroup.String()
		f.BufferLen, f.Compression, f.FlushEvery = bl, o.Compression[0], o.Flushes[0]
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

// compute times the steps alone per kernel and work group. It returns a
// realistic V for the storage stage (after the first measurement's steps)
// and the images/s of the end-to-end configuration.
func (b *bencher) compute(p sim.Params) (field []float32, endToEndIPS float64, err error) {
	o := b.o
	n := p.Rows
	cells := float64(p.Cells())
	for _, kernel := range o.Kernels {
		for _, wg := range o.WorkGroups {
			s, err := gpu.NewSimulator(b.ctx, p, gpu.Config{WorkGroup: wg, Kernel: kernel}, sim.InitialState(n, n))
			if err != nil {
				return nil, 0, err
			}
			if _, _, err := s.TimedStep(1); err != nil { // warm-up: llvmpipe compiles at the first dispatch
				s.Release()
				return nil, 0, err
			}
			var ups, gbs []float64
			var timed bool
			for range o.Repeats {
				d, t, err := s.TimedStep(o.Steps)
				if err != nil {
					s.Release()
					return nil, 0, err
				}
				timed = t
				ups = append(ups, cells*float64(o.Steps)/d.Seconds())
				gbs = append(gbs, 16*cells*float64(o.Steps)/d.Seconds()/1e9)
			}
			f := newFigure("compute", n, "cell updates", "cell-updates/s", ups, timingName(timed))
			f.Kernel, f.Workgroup = kernel, wg.String()
			f.ImagesPerS = f.Median / cells / float64(o.Steps)
			g := newFigure("compute", n, "effective bandwidth (16 B per cell per step)", "GB/s", gbs, timingName(timed))
			g.Kernel, g.Workgroup, g.ImagesPerS = kernel, wg.String(), f.ImagesPerS
			g.Limit, g.LimitName, g.OfLimit = b.copyGBs, "memory-copy", g.Median/b.copyGBs
			b.add(f)
			b.add(g)
			if (kernel == o.EndToEndKernel && wg == o.EndToEndWorkGroup) || endToEndIPS == 0 {
				endToEndIPS = f.ImagesPerS
			}
			if field == nil {
				field = make([]float32, n*n)
				if err := s.ReadV(field); err != nil {
					s.Release()
					return nil, 0, err
				}
			}
			s.Release()
		}
	}
	return field, endToEndIPS, nil
}

// readback times the ring's copies and completions alone, no steps.
func (b *bencher) readback(p sim.Params) (float64, error) {
	o := b.o
	n := p.Rows
	cells := float64(p.Cells())
	s, err := gpu.NewSimulator(b.ctx, p, gpu.Config{}, sim.InitialState(n, n))
	if err != nil {
		return 0, err
	}
	defer s.Release()
	frame := make([]float32, n*n)
	var rb []float64
	for range o.Repeats {
		start := time.Now()
		for range o.Images {
			if err := s.QueueReadback(false); err != nil {
				return 0, err
			}
			if _, err := s.CompleteReadback(frame, nil); err != nil {
				return 0, err
			}
		}
		rb = append(rb, float64(o.Images)*4*cells/time.Since(start).Seconds()/1e9)
	}
	f := newFigure("readback", n, "readback of V", "GB/s", rb, "wall")
	f.ImagesPerS = f.Median * 1e9 / (4 * cells)
	f.Limit, f.LimitName, f.OfLimit = b.hostGBs, "host-copy", f.Median/b.hostGBs
	b.add(f)
	return f.ImagesPerS, nil
}

// endToEnd runs the whole pipeline once into a scratch file with the
// end-to-end kernel and work group and the first compression level and
// flush policy; it returns the pipeline's wall time (engine set-up and
// shader compilation excluded) and the images stored.
func (b *bencher) endToEnd(p sim.Params, bufferLen int) (time.Duration, int, error) {
	o := b.o
	s, err := gpu.NewSimulator(b.ctx, p, gpu.Config{WorkGroup: o.EndToEndWorkGroup, Kernel: o.EndToEndKernel},
		sim.InitialState(p.Rows, p.Cols))
	if err != nil {
		return 0, 0, err
	}
	defer s.Release()
	if err := s.Step(1); err != nil { // warm-up, then the initial state again
		return 0, 0, err
	}
	if err := s.SetState(sim.InitialState(p.Rows, p.Cols), 0); err != nil {
		return 0, 0, err
	}
	path := filepath.Join(o.Dir, fmt.Sprintf("grayscott-bench-%d.h5", os.Getpid()))
	defer os.Remove(path)
	sum, err := pipeline.Run(context.Background(), s, pipeline.Config{Params: p, Output: path, Force: true,
		CompressionLevel: o.Compression[0], BufferLen: bufferLen, FlushEvery: o.Flushes[0],
		CompressWorkers: runtime.NumCPU()})
	if err != nil {
		return 0, 0, err
	}
	return sum.Wall, sum.Images, nil
}

// storage writes o.Images copies of field through the asynchronous writer
// and returns MB/s of raw image bytes per repeat and the compression ratio.
func (b *bencher) storage(p sim.Params, field []float32, level, flush int) ([]float64, float64, error) {
	var mbs []float64
	ratio := 0.0
	for range b.o.Repeats {
		path := filepath.Join(b.o.Dir, fmt.Sprintf("grayscott-bench-storage-%d.h5", os.Getpid()))
		opts := storage.WriterOptions{BufferLen: 4, FlushEvery: flush, Workers: runtime.NumCPU()}
		pool := storage.NewPool(opts.PoolSize(), len(field))
		start := time.Now()
		w, err := storage.StartWriter(func() (storage.Sink, error) {
			return h5.Create(path, p, nil, h5.Options{CompressionLevel: level, Force: true})
		}, pool, opts)
		if err != nil {
			return nil, 0, err
		}
		for range b.o.Images {
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

// diskWrite writes o.Images frames of n×n float32 to a plain file, with an
// fsync after each (flush 1) or only at the end (flush 0), per repeat.
func (b *bencher) diskWrite(n, flush int) ([]float64, error) {
	buf := make([]byte, 4*n*n)
	for i := range buf {
		buf[i] = byte(i * 7)
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
		mbs = append(mbs, float64(len(buf)*b.o.Images)/1e6/time.Since(start).Seconds())
		f.Close()
		os.Remove(path)
	}
	return mbs, nil
}

// Best is the fastest kernel and work group measured at one grid size.
type Best struct {
	Size            int
	Kernel          string
	Workgroup       string
	CellUpdatesPerS float64
}

// Fastest returns, per grid size in the order measured, the kernel and
// work group with the highest median cell-updates/s.
func (rep *Report) Fastest() []Best {
	var out []Best
	for _, f := range rep.Figures {
		if f.Stage != "compute" || f.Unit != "cell-updates/s" {
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
