package codec

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The benchmarks report MB/s of raw float32s twice: per wall second
// (SetBytes) and per CPU second of the benchmark's thread (cpu-MB/s). On
// this project's shared 2-core machines other processes take the core
// away in the middle of a run; the CPU time leaves their share out.

// cpuClock measures the CPU time of the calling goroutine's thread, which
// it locks until stop.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock {
	runtime.LockOSThread()
	return cpuClock{threadCPU()}
}

// stop reports bytes per iteration as cpu-MB/s.
func (c cpuClock) stop(b *testing.B, bytes int) {
	spent := threadCPU() - c.start
	runtime.UnlockOSThread()
	if spent > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/1e6/spent.Seconds(), "cpu-MB/s")
	}
}

func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The benchmarks' images, as the issue measured: 1080×1920 early (400 steps,
// the pattern still growing into an untouched background) and 512²
// developed (20,000 steps, half the cells active). Made once per process
// (a few seconds).
var benchSet struct {
	once   sync.Once
	images []image
}

func benchImages(b *testing.B) []image {
	benchSet.once.Do(func() {
		benchSet.images = []image{
			gsImage(b, "early", 1080, 1920, 400),
			gsImage(b, "developed", 512, 512, 20000),
		}
	})
	return benchSet.images
}

// BenchmarkEncode: MB/s of raw float32s per goroutine, and the ratio (raw /
// chunk), at each kept width (rounding included).
func BenchmarkEncode(b *testing.B) {
	for _, im := range benchImages(b) {
		for _, keep := range []int{23, 16, 12, 10, 8} {
			b.Run(fmt.Sprintf("%s/keep-%d", im.name, keep), func(b *testing.B) {
				e, err := NewEncoder(len(im.v), keep)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(4 * len(im.v)))
				var chunk []byte
				clock := startCPU()
				for b.Loop() {
					if chunk, err = e.Encode(im.v); err != nil {
						b.Fatal(err)
					}
				}
				clock.stop(b, 4*len(im.v))
				b.ReportMetric(float64(4*len(im.v))/float64(len(chunk)), "ratio")
			})
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, im := range benchImages(b) {
		for _, keep := range []int{23, 10} {
			b.Run(fmt.Sprintf("%s/keep-%d", im.name, keep), func(b *testing.B) {
				e, err := NewEncoder(len(im.v), keep)
				if err != nil {
					b.Fatal(err)
				}
				chunk, err := e.Encode(im.v)
				if err != nil {
					b.Fatal(err)
				}
				dst := make([]float32, len(im.v))
				b.SetBytes(int64(4 * len(im.v)))
				clock := startCPU()
				for b.Loop() {
					if err := Decode(chunk, dst); err != nil {
						b.Fatal(err)
					}
				}
				clock.stop(b, 4*len(im.v))
			})
		}
	}
}

func BenchmarkRoundMantissa(b *testing.B) {
	for _, im := range benchImages(b) {
		b.Run(im.name, func(b *testing.B) {
			dst := make([]float32, len(im.v))
			b.SetBytes(int64(4 * len(im.v)))
			clock := startCPU()
			for b.Loop() {
				RoundMantissa(dst, im.v, 10)
			}
			clock.stop(b, 4*len(im.v))
		})
	}
}

// BenchmarkTranspose compares the bit transposes block by block: C (scalar
// and AVX2) and a portable Go one (transposeGo below, not shipped: it
// measured 0.5-0.7 GB/s, too slow for the goal of 1.5 GB/s with LZ4 after it).
func BenchmarkTranspose(b *testing.B) {
	impls := []struct {
		name string
		f    func(dst, src []byte)
	}{
		{"go", transposeGo},
		{"c-scalar", func(dst, src []byte) { transpose(isaScalar, dst, src) }},
	}
	if bestISA == isaAVX2 {
		impls = append(impls, struct {
			name string
			f    func(dst, src []byte)
		}{"c-avx2", func(dst, src []byte) { transpose(isaAVX2, dst, src) }})
	}
	for _, im := range benchImages(b) {
		src := floatBytes(im.v)
		src = src[:len(src)/BlockSize*BlockSize]
		dst := make([]byte, BlockSize)
		for _, impl := range impls {
			b.Run(im.name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(src)))
				clock := startCPU()
				for b.Loop() {
					for o := 0; o < len(src); o += BlockSize {
						impl.f(dst, src[o:o+BlockSize])
					}
				}
				clock.stop(b, len(src))
			})
		}
	}
}

// transposeGo is the bit transpose in portable Go: per 8 elements, one 8×8
// bit matrix per byte of the element, transposed in a uint64.
func transposeGo(dst, src []byte) {
	rowLen := len(src) / 32
	for q := range rowLen {
		g := src[32*q : 32*q+32]
		for j := range 4 {
			x := uint64(g[j]) | uint64(g[4+j])<<8 | uint64(g[8+j])<<16 | uint64(g[12+j])<<24 |
				uint64(g[16+j])<<32 | uint64(g[20+j])<<40 | uint64(g[24+j])<<48 | uint64(g[28+j])<<56
			t := (x ^ (x >> 7)) & 0x00AA00AA00AA00AA
			x ^= t ^ (t << 7)
			t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCC
			x ^= t ^ (t << 14)
			t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0
			x ^= t ^ (t << 28)
			for k := range 8 {
				dst[(8*j+k)*rowLen+q] = byte(x >> (8 * k))
			}
		}
	}
}

func TestTransposeGo(t *testing.T) {
	src := floatBytes(randomFrame(rand.New(rand.NewPCG(15, 16)), 2048))
	got := make([]byte, len(src))
	transposeGo(got, src)
	if !bytes.Equal(got, referenceTranspose(src)) {
		t.Fatal("the benchmark's Go transpose differs from bitshuffle's layout")
	}
}

// BenchmarkShuffleDeflate is the codec grayscott had: HDF5's byte shuffle,
// then deflate level 1. Go's compress/zlib stands in for the C zlib of
// storage/h5 (whose encoder is unexported); the ratio is the same format's.
func BenchmarkShuffleDeflate(b *testing.B) {
	for _, im := range benchImages(b) {
		b.Run(im.name, func(b *testing.B) {
			src := floatBytes(im.v)
			n := len(im.v)
			shuffled := make([]byte, len(src))
			var out bytes.Buffer
			w, err := zlib.NewWriterLevel(&out, 1)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(src)))
			clock := startCPU()
			for b.Loop() {
				for i := range n {
					shuffled[i], shuffled[n+i], shuffled[2*n+i], shuffled[3*n+i] = src[4*i], src[4*i+1], src[4*i+2], src[4*i+3]
				}
				out.Reset()
				w.Reset(&out)
				w.Write(shuffled)
				w.Close()
			}
			clock.stop(b, len(src))
			b.ReportMetric(float64(len(src))/float64(out.Len()), "ratio")
		})
	}
}
