package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"grayscott/storage"
)

// An Encoder is what storage's writer encodes chunks with.
var _ storage.Encoder = (*Encoder)(nil)

// isas lists the transposes this CPU runs: each is tested on its own.
func isas() []isa {
	if bestISA == isaAVX2 {
		return []isa{isaScalar, isaAVX2}
	}
	return []isa{isaScalar}
}

// referenceTranspose is bitshuffle's layout by its definition: bit b of
// element i goes to bit i%8 of byte i/8 of row b, rows of n/8 bytes.
func referenceTranspose(src []byte) []byte {
	n := len(src) / 4
	dst := make([]byte, len(src))
	for i := range n {
		e := binary.LittleEndian.Uint32(src[4*i:])
		for b := range 32 {
			dst[b*(n/8)+i/8] |= byte(e>>b&1) << (i % 8)
		}
	}
	return dst
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestTransposeMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// Sizes around the vector loops' steps (32 elements; 16 groups of 8).
	for _, n := range []int{8, 16, 24, 32, 40, 120, 128, 136, 248, 256, 264, 1000, 2040, 2048} {
		src := randomBytes(r, 4*n)
		want := referenceTranspose(src)
		for _, x := range isas() {
			got := make([]byte, len(src))
			transpose(x, got, src)
			if !bytes.Equal(got, want) {
				t.Fatalf("isa %d, %d elements: the transpose differs from bitshuffle's layout", x, n)
			}
			back := make([]byte, len(src))
			untranspose(x, back, got)
			if !bytes.Equal(back, src) {
				t.Fatalf("isa %d, %d elements: untranspose does not invert the transpose", x, n)
			}
		}
	}
}

// sizes of frames that exercise every part of the layout: leftovers only,
// a partial last block, whole blocks, and all three.
var frameSizes = []int{1, 7, 8, 9, 15, 2047, 2048, 2049, 2055, 2056, 3 * 2048, 3*2048 + 8*17 + 5}

func randomFrame(r *rand.Rand, n int) []float32 {
	f := make([]float32, n)
	for i := range f {
		// Mostly model-like values in [0, 1), some raw bit patterns.
		if i%5 == 0 {
			f[i] = math.Float32frombits(r.Uint32())
		} else {
			f[i] = r.Float32()
		}
	}
	return f
}

func sameBits(a, b []float32) (int, bool) {
	if len(a) != len(b) {
		return -1, false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	type frame struct {
		name string
		v    []float32
	}
	var frames []frame
	for _, n := range frameSizes {
		frames = append(frames, frame{fmt.Sprint(n), randomFrame(r, n)})
	}
	for _, im := range smallImages(t) {
		frames = append(frames, frame{im.name, im.v})
	}
	for _, f := range frames {
		for _, keep := range []int{MantissaBits, 10} {
			var chunks [][]byte
			for _, x := range isas() {
				e, err := NewEncoder(len(f.v), keep)
				if err != nil {
					t.Fatal(err)
				}
				e.isa = x
				chunk, err := e.Encode(f.v)
				if err != nil {
					t.Fatalf("%s, keep %d: %v", f.name, keep, err)
				}
				if len(chunk) > MaxChunkSize(len(f.v)) {
					t.Errorf("%s: chunk of %d bytes, above MaxChunkSize %d", f.name, len(chunk), MaxChunkSize(len(f.v)))
				}
				chunks = append(chunks, bytes.Clone(chunk))
				want := f.v
				if keep < MantissaBits {
					want = make([]float32, len(f.v))
					RoundMantissa(want, f.v, keep)
				}
				for _, y := range isas() {
					got := make([]float32, len(f.v))
					if err := decode(y, chunk, got); err != nil {
						t.Fatalf("%s, keep %d, isa %d/%d: %v", f.name, keep, x, y, err)
					}
					if i, ok := sameBits(got, want); !ok {
						t.Fatalf("%s, keep %d, isa %d/%d: element %d decodes to %g, want %g", f.name, keep, x, y, i, got[i], want[i])
					}
				}
			}
			for _, c := range chunks[1:] {
				if !bytes.Equal(c, chunks[0]) {
					t.Fatalf("%s, keep %d: the transposes make different chunks", f.name, keep)
				}
			}
		}
	}
}

// TestChunkLayout reads a chunk as the plugin does, field by field, so
// that a mistake made alike in Encode and Decode cannot hide.
func TestChunkLayout(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range frameSizes {
		f := randomFrame(r, n)
		e, err := NewEncoder(n, MantissaBits)
		if err != nil {
			t.Fatal(err)
		}
		chunk, err := e.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.BigEndian.Uint64(chunk); got != uint64(4*n) {
			t.Fatalf("%d elements: header says %d bytes, want %d", n, got, 4*n)
		}
		if got := binary.BigEndian.Uint32(chunk[8:]); got != 8192 {
			t.Fatalf("%d elements: header says blocks of %d bytes, want 8192", n, got)
		}
		// Blocks of 2048 elements, then one of the rest rounded down to a
		// multiple of 8, then the rest raw.
		var blocks []int
		for left := n; left >= 8; left -= 2048 {
			blocks = append(blocks, min(left, 2048)&^7)
		}
		rest := chunk[12:]
		for i, m := range blocks {
			size := int(binary.BigEndian.Uint32(rest))
			if size == 0 || 4+size > len(rest) {
				t.Fatalf("%d elements: block %d of %d elements claims %d bytes, %d left", n, i, m, size, len(rest)-4)
			}
			rest = rest[4+size:]
		}
		leftover := n % 8
		if len(rest) != 4*leftover {
			t.Fatalf("%d elements: %d bytes after %d blocks, want %d leftover elements", n, len(rest), len(blocks), leftover)
		}
		if !bytes.Equal(rest, floatBytes(f[n-leftover:])) {
			t.Fatalf("%d elements: the leftover bytes are not the last %d elements, raw", n, leftover)
		}
	}
}

func TestEncoderRefuses(t *testing.T) {
	for _, c := range []struct{ cells, keep int }{{0, 23}, {-1, 23}, {10, 0}, {10, 24}, {1 << 31, 23}} {
		if _, err := NewEncoder(c.cells, c.keep); err == nil || !strings.HasPrefix(err.Error(), "codec: ") {
			t.Errorf("NewEncoder(%d, %d): error %v, want one", c.cells, c.keep, err)
		}
	}
	e, err := NewEncoder(16, 23)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(make([]float32, 15)); err == nil {
		t.Error("encoding 15 floats with an encoder for 16: no error")
	}
}

// validChunk encodes a random frame of n elements.
func validChunk(t testing.TB, n int) ([]byte, []float32) {
	f := randomFrame(rand.New(rand.NewPCG(uint64(n), 7)), n)
	e, err := NewEncoder(n, MantissaBits)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Encode(f)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(c), f
}

func TestDecodeDamaged(t *testing.T) {
	const n = 2*2048 + 8*3 + 5 // two blocks, a last one, leftovers
	good, _ := validChunk(t, n)
	firstSize := int(binary.BigEndian.Uint32(good[12:]))
	edit := func(f func(c []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := []struct {
		name  string
		chunk []byte
		cells int
		want  string // in the message
	}{
		{"empty", nil, n, "fewer than the 12-byte header"},
		{"header cut", good[:11], n, "fewer than the 12-byte header"},
		{"other size", good, n + 1, fmt.Sprintf("it holds %d bytes of data, want %d", 4*n, 4*(n+1))},
		{"size little-endian", edit(func(c []byte) []byte {
			binary.LittleEndian.PutUint64(c, 4*n)
			return c
		}), n, "bytes of data"},
		{"block size 0", edit(func(c []byte) []byte {
			binary.BigEndian.PutUint32(c[8:], 0)
			return c
		}), n, "block size 0"},
		{"block size not whole groups", edit(func(c []byte) []byte {
			binary.BigEndian.PutUint32(c[8:], 8192+4)
			return c
		}), n, "block size 8196"},
		{"other block size", edit(func(c []byte) []byte {
			binary.BigEndian.PutUint32(c[8:], 4096)
			return c
		}), n, "block 0"},
		{"no blocks", good[:12], n, "ends before block 0"},
		{"cut in a block size", good[:14], n, "ends before block 0"},
		{"cut in a block", good[:12+4+firstSize/2], n, "block 0 says"},
		{"block size too large", edit(func(c []byte) []byte {
			binary.BigEndian.PutUint32(c[12:], math.MaxUint32)
			return c
		}), n, "block 0 says 4294967295 bytes"},
		{"block size beyond LZ4's bound", edit(func(c []byte) []byte {
			binary.BigEndian.PutUint32(c[12:], uint32(lz4Bound(8192)+1))
			return c
		}), n, "more than LZ4 makes of 8192"},
		{"block size one short", edit(func(c []byte) []byte {
			binary.BigEndian.PutUint32(c[12:], uint32(firstSize-1))
			return c
		}), n, "block 0"},
		{"leftover cut", good[:len(good)-1], n, "want the 5 leftover float32s (20 bytes)"},
		{"trailing byte", append(bytes.Clone(good), 0), n, "21 bytes after the blocks"},
		{"LZ4 garbage", edit(func(c []byte) []byte {
			for i := 16; i < 16+firstSize; i++ {
				c[i] = 0xff
			}
			return c
		}), n, "block 0 (" + fmt.Sprint(firstSize) + " bytes) is not LZ4 data of 8192 bytes"},
	}
	for _, c := range cases {
		dst := make([]float32, c.cells)
		err := Decode(c.chunk, dst)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "codec: ") {
			t.Errorf("%s: error %q, want ErrCorrupt saying %q", c.name, err, c.want)
		}
	}
}
