package runflags

import (
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"grayscott/gpu/gpuconf"
)

// FuzzParseRunFlags feeds arbitrary command lines to the flag parser: it
// must never panic, every rejection must be a one-line usage error, and
// whatever it accepts must be valid parameters. Paths are pinned to a
// temporary folder so that the fuzzer cannot probe the file system.
func FuzzParseRunFlags(f *testing.F) {
	for _, seed := range []string{
		"", "-r 512 -c 512 -n 10", "-f NaN", "-t 5 --du 0.1", "-t 5.0000001", "--boundary periodic",
		"-e 0", "--workgroup 32x8", "--workgroup 1025x1", "--compression-level 9 --compress-workers 0",
		"-r 46341 -c 46341", "--storage-buffer-len -1", "-k 1e39", "--readback-slots 0", "-n -1",
		"--compression bitshuffle-lz4 --keep-bits 10", "--compression deflate:9", "--keep-bits 0", "--compression deflate: --compression-level 3",
	} {
		f.Add(seed)
	}
	dir := f.TempDir() // only a name: Parse does not touch the file system
	f.Fuzz(func(t *testing.T, line string) {
		var args []string
		for _, a := range strings.Fields(line) {
			if strings.HasPrefix(a, "-o") || strings.HasPrefix(a, "--o") || strings.HasPrefix(a, "--r") && strings.Contains(a, "resume") ||
				strings.HasPrefix(a, "--j") || strings.HasPrefix(a, "--sc") {
				continue
			}
			args = append(args, a)
		}
		args = append(args, "-o", filepath.Join(dir, "out.h5"))
		cfg, err := Parse(args, io.Discard)
		if errors.Is(err, ErrHelp) { // -h hides in combined short flags such as -vh
			return
		}
		if err != nil {
			var u *UsageError
			if !errors.As(err, &u) {
				t.Fatalf("%q: error of type %T: %v", args, err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error spans lines: %q", args, err)
			}
			return
		}
		if err := cfg.Params.Validate(); err != nil {
			t.Fatalf("%q: accepted invalid parameters: %v", args, err)
		}
		if err := cfg.Compression.Validate(); err != nil {
			t.Fatalf("%q: accepted an invalid compression %+v: %v", args, cfg.Compression, err)
		}
		if cfg.WorkGroup.X*cfg.WorkGroup.Y > gpuconf.MaxInvocations || cfg.WorkGroup.X < 0 || (cfg.WorkGroup.X == 0) != (cfg.WorkGroup.Y == 0) ||
			cfg.ReadbackSlots < 1 || cfg.BufferLen < 0 {
			t.Fatalf("%q: accepted %+v", args, cfg)
		}
	})
}
