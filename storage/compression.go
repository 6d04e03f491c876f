package storage

import (
	"fmt"
	"strconv"
	"strings"
)

// Codec names how a run's images are encoded in its file.
type Codec string

// The codecs, by the names --compression takes and a file records.
const (
	// CodecNone stores each image's float32s as they are.
	CodecNone Codec = "none"
	// CodecDeflate is HDF5's shuffle and deflate filters: every HDF5
	// reader decodes it, slowly.
	CodecDeflate Codec = "deflate"
	// CodecBitshuffleLZ4 is the bitshuffle plugin's chunks with LZ4 inside
	// (HDF5 filter 32008): fast both ways; readers outside grayscott need
	// the plugin.
	CodecBitshuffleLZ4 Codec = "bitshuffle-lz4"
)

// Codecs lists the codecs in the order help texts give them.
var Codecs = []Codec{CodecNone, CodecDeflate, CodecBitshuffleLZ4}

// LosslessBits is the mantissa bits of a float32: keeping all of them
// stores V exactly.
const LosslessBits = 23

// DefaultDeflateLevel is the level of "deflate" without one.
const DefaultDeflateLevel = 6

// Compression is how a run stores its images: a codec, deflate's level,
// and how many of V's mantissa bits survive (rounded to nearest even
// before encoding). The zero value stores raw images; a KeepBits of 0
// means LosslessBits.
type Compression struct {
	Codec Codec
	// Level is deflate's level, 1 to 9; 0 for the other codecs.
	Level int
	// KeepBits is V's mantissa bits kept, 1 to LosslessBits.
	KeepBits int
}

// ParseCompression reads --compression's value: none, deflate (level
// DefaultDeflateLevel), deflate:LEVEL (1 to 9) or bitshuffle-lz4. The
// result keeps every bit.
func ParseCompression(s string) (Compression, error) {
	name, level, hasLevel := strings.Cut(s, ":")
	c := Compression{Codec: Codec(name), KeepBits: LosslessBits}
	switch c.Codec {
	case CodecDeflate:
		c.Level = DefaultDeflateLevel
		if hasLevel {
			n, err := strconv.Atoi(level)
			if err != nil || n < 1 || n > 9 {
				return c, fmt.Errorf("deflate's level %q: want 1 to 9", level)
			}
			c.Level = n
		}
		return c, nil
	case CodecNone, CodecBitshuffleLZ4:
		if hasLevel {
			return c, fmt.Errorf("%s takes no level (only deflate:LEVEL does)", name)
		}
		return c, nil
	}
	return c, fmt.Errorf("want %s", codecList())
}

// Deflate is deflate at level (1 to 9), or no compression for level 0:
// what --compression-level LEVEL means.
func Deflate(level int) Compression {
	if level == 0 {
		return Compression{Codec: CodecNone, KeepBits: LosslessBits}
	}
	return Compression{Codec: CodecDeflate, Level: level, KeepBits: LosslessBits}
}

func codecList() string {
	return "none, deflate, deflate:LEVEL (1-9) or bitshuffle-lz4"
}

// Normal returns c with its zero fields filled: the codec none, every
// mantissa bit kept.
func (c Compression) Normal() Compression {
	if c.Codec == "" {
		c.Codec = CodecNone
	}
	if c.KeepBits == 0 {
		c.KeepBits = LosslessBits
	}
	return c
}

// Validate explains what is wrong with c in a phrase, or returns nil.
func (c Compression) Validate() error {
	c = c.Normal()
	switch c.Codec {
	case CodecDeflate:
		if c.Level < 1 || c.Level > 9 {
			return fmt.Errorf("deflate's level %d: want 1 to 9", c.Level)
		}
	case CodecNone, CodecBitshuffleLZ4:
		if c.Level != 0 {
			return fmt.Errorf("%s takes no level", c.Codec)
		}
	default:
		return fmt.Errorf("codec %q: want %s", c.Codec, codecList())
	}
	if c.KeepBits < 1 || c.KeepBits > LosslessBits {
		return fmt.Errorf("keeping %d mantissa bits: want 1 to %d (%d keeps every bit)", c.KeepBits, LosslessBits, LosslessBits)
	}
	if c.Codec == CodecNone && c.KeepBits < LosslessBits {
		return fmt.Errorf("keeping %d mantissa bits saves nothing without a codec: choose deflate or bitshuffle-lz4", c.KeepBits)
	}
	return nil
}

// Lossless reports whether V is stored exactly.
func (c Compression) Lossless() bool { return c.Normal().KeepBits == LosslessBits }

// String is the codec as --compression takes it: none, deflate:LEVEL or
// bitshuffle-lz4 (kept bits aside).
func (c Compression) String() string {
	c = c.Normal()
	if c.Codec == CodecDeflate {
		return fmt.Sprintf("%s:%d", c.Codec, c.Level)
	}
	return string(c.Codec)
}
