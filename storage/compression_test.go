package storage

import "testing"

// TestCompressionNames: each codec name --compression takes parses to
// what it says, prints back to the same name, and is valid; the zero
// value is raw and lossless.
func TestCompressionNames(t *testing.T) {
	for name, want := range map[string]Compression{
		"none":           {Codec: CodecNone, KeepBits: 23},
		"deflate":        {Codec: CodecDeflate, Level: 6, KeepBits: 23},
		"deflate:1":      {Codec: CodecDeflate, Level: 1, KeepBits: 23},
		"deflate:9":      {Codec: CodecDeflate, Level: 9, KeepBits: 23},
		"bitshuffle-lz4": {Codec: CodecBitshuffleLZ4, KeepBits: 23},
	} {
		c, err := ParseCompression(name)
		if err != nil || c != want {
			t.Errorf("ParseCompression(%q) = %+v, %v; want %+v", name, c, err, want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", name, err)
		}
		back := c.String()
		if name == "deflate" {
			back = "deflate" // the default level is printed: deflate:6
			if c.String() != "deflate:6" {
				t.Errorf("deflate prints as %q, want deflate:6", c.String())
			}
		}
		if back != name {
			t.Errorf("%q prints as %q", name, c.String())
		}
	}
	for _, bad := range []string{"", "lz4", "zstd", "deflate:", "deflate:0", "deflate:10", "none:1", "bitshuffle-lz4:2", "DEFLATE"} {
		if c, err := ParseCompression(bad); err == nil {
			t.Errorf("ParseCompression(%q) = %+v, want an error", bad, c)
		}
	}
	var zero Compression
	if zero.String() != "none" || !zero.Lossless() || zero.Validate() != nil {
		t.Errorf("the zero Compression is %q, lossless %v, %v: want raw and lossless", zero, zero.Lossless(), zero.Validate())
	}
	if Deflate(0) != (Compression{Codec: CodecNone, KeepBits: 23}) || Deflate(3) != (Compression{Codec: CodecDeflate, Level: 3, KeepBits: 23}) {
		t.Errorf("Deflate(0) = %+v, Deflate(3) = %+v", Deflate(0), Deflate(3))
	}
}

// TestCompressionValidate refuses what cannot be stored: bits out of
// range, rounding without a codec, a level where none belongs.
func TestCompressionValidate(t *testing.T) {
	for _, c := range []Compression{
		{Codec: CodecBitshuffleLZ4, KeepBits: 24},
		{Codec: CodecBitshuffleLZ4, KeepBits: -1},
		{Codec: CodecNone, KeepBits: 10},
		{KeepBits: 22},
		{Codec: CodecDeflate, Level: 0, KeepBits: 23},
		{Codec: CodecDeflate, Level: 10},
		{Codec: CodecBitshuffleLZ4, Level: 1},
		{Codec: "zstd"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v is valid, want an error", c)
		}
	}
	for _, c := range []Compression{{Codec: CodecBitshuffleLZ4, KeepBits: 1}, {Codec: CodecDeflate, Level: 9, KeepBits: 12}, {Codec: CodecBitshuffleLZ4}} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
