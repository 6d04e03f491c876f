package benchflags

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"grayscott/internal/runflags"
	"grayscott/storage"
)

// parse is Parse with the files bench writes kept out of the user's
// folders.
func parse(t *testing.T, args ...string) (*Options, error) {
	t.Helper()
	return Parse(append([]string{"--dir", t.TempDir(), "--save-tuning=false"}, args...), io.Discard)
}

func comp(codec storage.Codec, level, keep int) storage.Compression {
	return storage.Compression{Codec: codec, Level: level, KeepBits: keep}
}

// TestCodecLists: --compression takes run's codec names and the old deflate
// levels (0 = none), --keep-bits a list of kept bits applied to every codec
// but none; duplicates count once, in the order given.
func TestCodecLists(t *testing.T) {
	none := comp(storage.CodecNone, 0, 23)
	bshuf := func(keep int) storage.Compression { return comp(storage.CodecBitshuffleLZ4, 0, keep) }
	deflate := func(level, keep int) storage.Compression { return comp(storage.CodecDeflate, level, keep) }
	for _, c := range []struct {
		args []string
		want []storage.Compression
	}{
		{nil, []storage.Compression{none, deflate(1, 23), bshuf(23)}},
		{[]string{"--quick"}, []storage.Compression{none, deflate(1, 23), bshuf(23)}},
		{[]string{"--compression", "0,1,6"}, []storage.Compression{none, deflate(1, 23), deflate(6, 23)}},
		{[]string{"--compression", "1"}, []storage.Compression{deflate(1, 23)}},
		{[]string{"--compression", "deflate"}, []storage.Compression{deflate(storage.DefaultDeflateLevel, 23)}},
		{[]string{"--compression", "none, deflate:1 ,bitshuffle-lz4", "--keep-bits", "23,10"},
			[]storage.Compression{none, deflate(1, 23), deflate(1, 10), bshuf(23), bshuf(10)}},
		{[]string{"--compression", "bitshuffle-lz4", "--keep-bits", "10,16"}, []storage.Compression{bshuf(10), bshuf(16)}},
		{[]string{"--compression", "0,none,deflate:1,1,bitshuffle-lz4,bitshuffle-lz4"}, []storage.Compression{none, deflate(1, 23), bshuf(23)}},
	} {
		o, err := parse(t, c.args...)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !slices.Equal(o.Compression, c.want) {
			t.Errorf("%q: codecs %+v, want %+v", c.args, o.Compression, c.want)
		}
	}
}

// TestImageSteps: --early and --developed set the images of the codec and
// storage stages; --quick makes them small unless given.
func TestImageSteps(t *testing.T) {
	for _, c := range []struct {
		args             []string
		early, developed int
	}{
		{nil, 200, 10000},
		{[]string{"--quick"}, 20, 200},
		{[]string{"--quick", "--developed", "5000"}, 20, 5000},
		{[]string{"--early", "1734", "--developed", "20000"}, 1734, 20000},
	} {
		o, err := parse(t, c.args...)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if o.EarlySteps != c.early || o.DevelopedSteps != c.developed {
			t.Errorf("%q: early %d, developed %d; want %d and %d", c.args, o.EarlySteps, o.DevelopedSteps, c.early, c.developed)
		}
	}
}

// TestBadCodecFlags: each bad value is a one-line usage error (exit 2)
// naming the flag and the value.
func TestBadCodecFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--compression", "zstd"}, `--compression zstd: want none, deflate`}, // a list of one names the value once
		{[]string{"--compression", "none,lz4"}, `--compression none,lz4: "lz4"`},
		{[]string{"--compression", "12"}, "--compression 12: a number is a deflate level"},
		{[]string{"--compression", "-1"}, "--compression -1"},
		{[]string{"--compression", "deflate:0"}, "deflate's level"},
		{[]string{"--compression", "deflate:10"}, `--compression deflate:10: deflate's level "10"`},
		{[]string{"--compression", "bitshuffle-lz4:3"}, "takes no level"},
		{[]string{"--compression", ""}, "--compression"},
		{[]string{"--keep-bits", "0"}, "--keep-bits 0: want integers from 1 to 23"},
		{[]string{"--keep-bits", "24"}, "--keep-bits 24"},
		{[]string{"--keep-bits", "10,x"}, "--keep-bits 10,x"},
		{[]string{"--compression", "none", "--keep-bits", "10"}, "--keep-bits 10: no codec in --compression none to round for"},
		{[]string{"--compression", "0", "--keep-bits", "23,12"}, "--keep-bits 23,12: no codec"},
		{[]string{"--early", "0"}, "--early 0 --developed 10000: want 1 ≤ early < developed"},
		{[]string{"--early", "500", "--developed", "500"}, "--early 500 --developed 500"},
		{[]string{"--quick", "--early", "300"}, "--early 300 --developed 200"},
	} {
		_, err := parse(t, c.args...)
		var u *runflags.UsageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error %v, want a one-line usage error with %q", c.args, err, c.want)
		}
	}
}
