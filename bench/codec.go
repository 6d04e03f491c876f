package bench

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/codec"
	"grayscott/storage/h5"
)

// image is a V field of the run itself, for the codec and storage stages.
type image struct {
	name   string // early or developed
	steps  int    // from the initial state
	v      []float32
	active float64 // the share of cells where V > 0.01: how far the pattern has grown
}

// images makes the early and developed images of grid p: V after
// o.EarlySteps and o.DevelopedSteps steps from the initial state, on the
// engine kind as the end-to-end runs use it (see open).
func (b *bencher) images(kind string, p sim.Params) ([]image, error) {
	src, err := b.open(kind, p)
	if err != nil {
		return nil, err
	}
	defer src.Release()
	var out []image
	done := 0
	for _, im := range []struct {
		name  string
		steps int
	}{{"early", b.o.EarlySteps}, {"developed", b.o.DevelopedSteps}} {
		if err := src.Step(im.steps - done); err != nil {
			return nil, err
		}
		done = im.steps
		v := make([]float32, p.Cells())
		if err := src.ReadV(v); err != nil {
			return nil, err
		}
		active := 0
		for _, x := range v {
			if x > 0.01 {
				active++
			}
		}
		out = append(out, image{im.name, im.steps, v, float64(active) / float64(len(v))})
	}
	return out, nil
}

// encoderFor returns the encoder a run's file of p's grid would give its
// compression workers for c (h5.File.NewEncoder), from a file made in
// o.Dir and removed at once.
func (b *bencher) encoderFor(p sim.Params, c storage.Compression) (storage.Encoder, error) {
	path := filepath.Join(b.o.Dir, fmt.Sprintf("grayscott-bench-codec-%d.h5", os.Getpid()))
	f, err := h5.Create(path, p, nil, h5.Options{Compression: c, Force: true})
	if err != nil {
		return nil, err
	}
	enc := f.NewEncoder()
	err = f.Close(false, "")
	os.Remove(path)
	if err != nil {
		return nil, err
	}
	if enc == nil {
		return nil, fmt.Errorf("bench: the codec %s has no encoder", c)
	}
	return enc, nil
}

// codecTarget is how long one repeat of the codec stage encodes (the
// image again and again), so that the thread's CPU time, counted in clock
// ticks, is not timed by one; a fifth of it with Options.Quick.
const codecTarget = 100 * time.Millisecond

// codec measures one worker encoding im with c: raw GB/s per second of the
// CPU time of the encoding goroutine's thread (wall time where the system
// has no thread clock), per repeat. It decodes the chunk once and checks
// every value against c's error bound (none for a lossless codec), and
// records the ratio and the largest relative error found.
func (b *bencher) codec(p sim.Params, im image, c storage.Compression) error {
	enc, err := b.encoderFor(p, c)
	if err != nil {
		return err
	}
	raw := 4 * float64(len(im.v))
	var rates []float64
	var chunkLen int
	var maxErr float64
	timing := "thread-cpu"
	err = func() error {
		// One goroutine per encoder, as on the writer's workers; locked, so
		// that its thread's CPU time is the encoder's.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		chunk, err := enc.Encode(im.v) // warm-up, and the chunk checked below
		if err != nil {
			return err
		}
		chunkLen = len(chunk)
		if maxErr, err = checkChunk(c, chunk, im.v); err != nil {
			return fmt.Errorf("bench: %s, %s image: %w", c, im.name, err)
		}
		target := codecTarget
		if b.o.Quick {
			target /= 5
		}
		for range b.o.Repeats {
			n, wall, cpu0 := 0, time.Now(), threadCPU()
			for ; n == 0 || time.Since(wall) < target; n++ {
				if _, err := enc.Encode(im.v); err != nil {
					return err
				}
			}
			spent := threadCPU() - cpu0
			if cpu0 < 0 || spent <= 0 {
				spent, timing = time.Since(wall), "wall"
			}
			rates = append(rates, float64(n)*raw/spent.Seconds()/1e9)
		}
		return nil
	}()
	if err != nil {
		return err
	}
	g := Grid{p.Rows, p.Cols}
	f := newFigure("codec", g, "encode, one worker (raw bytes)", "GB/s", rates, timing)
	setCodec(&f, c)
	f.Image, f.ImageSteps = im.name, im.steps
	f.Ratio, f.MaxRelError = raw/float64(chunkLen), maxErr
	f.ImagesPerS = f.Median * 1e9 / raw
	b.add(f)
	return nil
}

// checkChunk decodes chunk, an image encoded with c, and returns the
// largest |decoded − v|/|v| over v (0 where v is 0); an error when the
// decoded image breaks c's bound (codec.RelativeErrorBound; lossless: no
// bit may change).
func checkChunk(c storage.Compression, chunk []byte, v []float32) (float64, error) {
	got := make([]float32, len(v))
	switch c.Codec {
	case storage.CodecBitshuffleLZ4:
		if err := codec.Decode(chunk, got); err != nil {
			return 0, err
		}
	case storage.CodecDeflate:
		if err := inflateShuffled(chunk, got); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("no decoder for the codec %s", c)
	}
	bound := codec.RelativeErrorBound(c.KeepBits)
	worst := 0.0
	for i, x := range v {
		y := got[i]
		if math.Float32bits(x) == math.Float32bits(y) {
			continue
		}
		rel := math.Abs(float64(y)-float64(x)) / math.Abs(float64(x))
		if x == 0 || math.IsNaN(rel) || rel > bound {
			return 0, fmt.Errorf("value %d is %g, decoded as %g: beyond the bound %.3g of %d kept bits", i, x, y, bound, c.KeepBits)
		}
		worst = max(worst, rel)
	}
	return worst, nil
}

// inflateShuffled decodes a chunk of HDF5's shuffle and deflate filters
// (zlib format; the bytes of each float32 shuffled into four planes).
func inflateShuffled(chunk []byte, dst []float32) error {
	zr, err := zlib.NewReader(bytes.NewReader(chunk))
	if err != nil {
		return err
	}
	planes := make([]byte, 4*len(dst))
	if _, err := io.ReadFull(zr, planes); err != nil {
		return fmt.Errorf("inflating: %w", err)
	}
	n := len(dst)
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(planes[i]) | uint32(planes[n+i])<<8 | uint32(planes[2*n+i])<<16 | uint32(planes[3*n+i])<<24)
	}
	return nil
}

// threadCPU is the CPU time of the calling thread, or -1 where the system
// does not say (Linux's RUSAGE_THREAD).
func threadCPU() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return -1
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
