package runflags

import (
	"errors"
	"io"
	"strings"
	"testing"

	"grayscott/storage"
)

// TestCompressionFlags: --compression, its alias --compression-level and
// --keep-bits give the compression the run stores with, and each bad
// combination is a one-line usage error naming the flag.
func TestCompressionFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want storage.Compression
	}{
		{nil, storage.Compression{Codec: storage.CodecNone, KeepBits: 23}},
		{[]string{"--compression", "bitshuffle-lz4"}, storage.Compression{Codec: storage.CodecBitshuffleLZ4, KeepBits: 23}},
		{[]string{"--compression", "bitshuffle-lz4", "--keep-bits", "10"}, storage.Compression{Codec: storage.CodecBitshuffleLZ4, KeepBits: 10}},
		{[]string{"--compression", "deflate"}, storage.Compression{Codec: storage.CodecDeflate, Level: 6, KeepBits: 23}},
		{[]string{"--compression", "deflate:1", "--keep-bits", "1"}, storage.Compression{Codec: storage.CodecDeflate, Level: 1, KeepBits: 1}},
		{[]string{"--compression-level", "4"}, storage.Compression{Codec: storage.CodecDeflate, Level: 4, KeepBits: 23}},
		{[]string{"--compression-level", "0"}, storage.Compression{Codec: storage.CodecNone, KeepBits: 23}},
		// A resumed file's own codec decides; the bits are compared with it.
		{[]string{"--resume", "x.h5", "--keep-bits", "10"}, storage.Compression{Codec: storage.CodecNone, KeepBits: 10}},
	} {
		f, err := Parse(c.args, io.Discard)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if f.Compression != c.want {
			t.Errorf("%q: compression %+v, want %+v", c.args, f.Compression, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--compression", "lz4"}, "--compression lz4: want none, deflate"},
		{[]string{"--compression", "deflate:0"}, "--compression deflate:0"},
		{[]string{"--compression", "deflate:10"}, "--compression deflate:10"},
		{[]string{"--compression", "deflate:x"}, "--compression deflate:x"},
		{[]string{"--compression", "deflate:"}, `--compression "deflate:": deflate's level ""`},
		{[]string{"--compression", ""}, `--compression "": want none`},
		{[]string{"--compression", "bitshuffle-lz4:3"}, "takes no level"},
		{[]string{"--compression-level", "10"}, "--compression-level 10: want 0 (none) to 9"},
		{[]string{"--compression-level", "1", "--compression", "deflate"}, "give one of them"},
		{[]string{"--compression", "bitshuffle-lz4", "--keep-bits", "0"}, "--keep-bits 0: want 1 to 23"},
		{[]string{"--compression", "bitshuffle-lz4", "--keep-bits", "24"}, "--keep-bits 24: want 1 to 23"},
		{[]string{"--keep-bits", "10"}, "--keep-bits 10: rounding saves space only with a codec"},
		{[]string{"--compression", "none", "--keep-bits", "10"}, "--keep-bits 10: rounding saves space only with a codec"},
		{[]string{"--resume", "x.h5", "--compression", "none", "--keep-bits", "10"}, "--keep-bits 10: rounding"},
	} {
		_, err := Parse(c.args, io.Discard)
		var u *UsageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want one line with %q", c.args, err, c.want)
		}
	}
}
