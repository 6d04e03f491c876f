package codec

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// FuzzDecode: no input makes Decode panic; what it refuses is ErrCorrupt,
// and what it accepts encodes and decodes back to the same bits.
func FuzzDecode(f *testing.F) {
	for _, n := range []int{0, 1, 9, 64, 2055, 2*2048 + 8*3 + 5} {
		c, _ := validChunk(f, max(n, 1))
		if n == 0 {
			c = make([]byte, 12)
			binary.BigEndian.PutUint32(c[8:], 8192)
		}
		f.Add(c, uint16(n))
		f.Add(c[:len(c)/2], uint16(n))
		small := append([]byte(nil), c...)
		binary.BigEndian.PutUint32(small[8:], 32)
		f.Add(small, uint16(n))
	}
	f.Fuzz(func(t *testing.T, chunk []byte, cells uint16) {
		dst := make([]float32, cells)
		if err := Decode(chunk, dst); err != nil {
			if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "codec: ") {
				t.Fatalf("error %q does not wrap ErrCorrupt", err)
			}
			return
		}
		if cells == 0 {
			return
		}
		e, err := NewEncoder(int(cells), MantissaBits)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.Encode(dst)
		if err != nil {
			t.Fatal(err)
		}
		back := make([]float32, cells)
		if err := Decode(again, back); err != nil {
			t.Fatal(err)
		}
		if i, ok := sameBits(back, dst); !ok {
			t.Fatalf("element %d: %g re-encoded decodes to %g", i, dst[i], back[i])
		}
	})
}
