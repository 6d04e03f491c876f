package bench

import (
	"bytes"
	"context"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"

	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/codec"
)

var (
	bitshuffle   = storage.Compression{Codec: storage.CodecBitshuffleLZ4, KeepBits: storage.LosslessBits}
	bitshuffle10 = storage.Compression{Codec: storage.CodecBitshuffleLZ4, KeepBits: 10}
)

// TestCodecStage measures the CPU engine alone with four codecs: a codec
// row per image and codec that encodes (none does not), each with its
// ratio, its error within the codec's bound and its images; storage and
// end-to-end rows per codec, the compressed ones against none's.
func TestCodecStage(t *testing.T) {
	codecs := []storage.Compression{storage.Deflate(0), storage.Deflate(1), bitshuffle, bitshuffle10}
	rep, err := Run(context.Background(), nil, Options{Sizes: []Grid{{Rows: 40, Cols: 56}}, Engines: []string{"cpu"}, Threads: []int{1},
		BufferLens: []int{1}, Compression: codecs, Flushes: []int{0}, Images: 2, Steps: 2, EarlySteps: 10, DevelopedSteps: 300,
		Repeats: 2, Dir: t.TempDir(), Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Early != 10 || rep.Developed != 300 {
		t.Errorf("report of images after %d and %d steps, want 10 and 300", rep.Early, rep.Developed)
	}
	type key struct{ stage, codec, image string }
	rows := map[key]Figure{}
	for _, f := range rep.Figures {
		if f.Stage != "codec" && f.Stage != "storage" && f.Stage != "end-to-end" {
			continue
		}
		k := key{f.Stage, codecName(f), f.Image}
		if _, dup := rows[k]; dup {
			t.Errorf("two %v rows", k)
		}
		rows[k] = f
		if f.Stage != "end-to-end" && f.ImageSteps != map[string]int{"early": 10, "developed": 300}[f.Image] {
			t.Errorf("%v: image after %d steps", k, f.ImageSteps)
		}
		if !(f.Median > 0) || f.Median < f.Min || f.Median > f.Max || f.Repeats != 2 {
			t.Errorf("%v: median %g outside [%g, %g] or %d repeats", k, f.Median, f.Min, f.Max, f.Repeats)
		}
	}
	images := []string{"early", "developed"}
	for _, c := range codecs {
		name := codecName(Figure{Codec: c.String(), KeepBits: c.KeepBits})
		lossless := c.KeepBits == storage.LosslessBits
		for _, im := range images {
			f, ok := rows[key{"codec", name, im}]
			switch {
			case c.Codec == storage.CodecNone && ok:
				t.Errorf("a codec row for none: %+v", f)
			case c.Codec == storage.CodecNone:
			case !ok:
				t.Errorf("no codec row for %s on the %s image", name, im)
			case !(f.Ratio > 1) || f.Unit != "GB/s" || f.ImagesPerS <= 0:
				t.Errorf("codec %s, %s image: ratio %g, %g %s, %g images/s", name, im, f.Ratio, f.Median, f.Unit, f.ImagesPerS)
			case runtime.GOOS == "linux" && f.Timing != "thread-cpu":
				t.Errorf("codec %s timed by %q, not the encoding thread's CPU time", name, f.Timing)
			case lossless && f.MaxRelError != 0:
				t.Errorf("lossless codec %s: largest relative error %g", name, f.MaxRelError)
			case !lossless && !(f.MaxRelError > 0 && f.MaxRelError <= codec.RelativeErrorBound(c.KeepBits)):
				t.Errorf("codec %s: largest relative error %g, want in (0, %g]", name, f.MaxRelError, codec.RelativeErrorBound(c.KeepBits))
			}
			s, ok := rows[key{"storage", name, im}]
			if !ok {
				t.Errorf("no storage row for %s on the %s image", name, im)
			} else if raw := c.Codec == storage.CodecNone; raw != (s.VsRaw == 0) || raw != (s.Ratio == 0) {
				t.Errorf("storage %s, %s image: vs none %g, ratio %g", name, im, s.VsRaw, s.Ratio)
			}
		}
		e, ok := rows[key{"end-to-end", name, ""}]
		if !ok || (c.Codec == storage.CodecNone) != (e.VsRaw == 0) || e.Codec != c.String() || e.KeepBits != c.KeepBits {
			t.Errorf("end to end with %s: %v, %+v", name, ok, e)
		}
	}
	for _, im := range images {
		if r10, r23 := rows[key{"codec", codecName(Figure{Codec: "bitshuffle-lz4", KeepBits: 10}), im}].Ratio,
			rows[key{"codec", "bitshuffle-lz4", im}].Ratio; !(r10 > r23) {
			t.Errorf("%s image: 10 bits kept compress %g×, all of them %g×", im, r10, r23)
		}
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"codec and storage images: V after 10 steps (early) and 300 steps (developed)",
		"encode, one worker", "codec  bitshuffle-lz4 keep 10 developed", "storage     bitshuffle-lz4 developed flush 0", "× none"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
}

// TestCheckChunk: the stage decodes what it encoded; a chunk that breaks
// its codec's bound, or does not decode, is an error.
func TestCheckChunk(t *testing.T) {
	p := sim.Defaults()
	p.Rows, p.Cols = 30, 41
	v := sim.InitialState(p.Rows, p.Cols).V
	for i := range v {
		v[i] += float32(math.Sin(float64(i))) / 3 // every mantissa bit in use
	}
	b := &bencher{o: Options{Dir: t.TempDir()}}
	deflate10 := storage.Deflate(1)
	deflate10.KeepBits = 10
	for _, c := range []storage.Compression{storage.Deflate(1), storage.Deflate(9), deflate10, bitshuffle, bitshuffle10} {
		enc, err := b.encoderFor(p, c)
		if err != nil {
			t.Fatal(err)
		}
		chunk, err := enc.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		worst, err := checkChunk(c, chunk, v)
		if err != nil || (worst == 0) != (c.KeepBits == storage.LosslessBits) {
			t.Errorf("%s keeping %d bits: largest error %g, %v", c, c.KeepBits, worst, err)
		}
		if c.KeepBits < storage.LosslessBits {
			lossless := c
			lossless.KeepBits = storage.LosslessBits
			if _, err := checkChunk(lossless, chunk, v); err == nil || !strings.Contains(err.Error(), "beyond the bound") {
				t.Errorf("%s: a rounded chunk checked as lossless: %v", c, err)
			}
		}
		damaged := bytes.Clone(chunk)
		damaged = damaged[:len(damaged)/2]
		if _, err := checkChunk(c, damaged, v); err == nil {
			t.Errorf("%s: half a chunk checked", c)
		}
	}
	enc, _ := b.encoderFor(p, bitshuffle)
	chunk, _ := enc.Encode(v)
	if _, err := checkChunk(bitshuffle, chunk[:len(chunk)-1], v); !errors.Is(err, codec.ErrCorrupt) {
		t.Errorf("a truncated bitshuffle chunk: %v", err)
	}
}

// TestRunRefusesBadImagesAndCodecs: the images' steps must grow, and every
// codec must be one a run takes.
func TestRunRefusesBadImagesAndCodecs(t *testing.T) {
	o := Options{Sizes: []Grid{Square(8)}, Engines: []string{"cpu"}, Threads: []int{1}, BufferLens: []int{1},
		Compression: []storage.Compression{bitshuffle}, Flushes: []int{0}, Images: 1, Steps: 1, EarlySteps: 5, DevelopedSteps: 5,
		Repeats: 1, Dir: t.TempDir(), Quick: true}
	if _, err := Run(context.Background(), nil, o); err == nil || !strings.Contains(err.Error(), "early < developed") {
		t.Errorf("images after 5 and 5 steps: %v", err)
	}
	o.DevelopedSteps = 6
	for _, c := range []storage.Compression{{Codec: "zstd"}, {Codec: storage.CodecNone, KeepBits: 10}, {Codec: storage.CodecDeflate, Level: 12}} {
		o.Compression = []storage.Compression{c}
		if _, err := Run(context.Background(), nil, o); err == nil || !strings.HasPrefix(err.Error(), "bench: codec") {
			t.Errorf("codec %+v: %v", c, err)
		}
	}
	if o.Compression[0].Level != 12 {
		t.Errorf("Run changed the caller's codecs: %+v", o.Compression)
	}
}
