package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"grayscott/internal/testutil"
	"grayscott/storage"
	"grayscott/storage/codec"
	"grayscott/storage/h5/h5test"
)

// TestPipelineShapesGiveIdenticalFiles runs the command in every shape:
// synchronous, queued, deep queues, one or many readback slots, compressed
// in parallel or not, with each codec, the GPU engine with both kernels
// and several work groups, the CPU engine on 1 to 3 threads: every file
// holds bit-identical images (llvmpipe and the CPU engine both follow
// sim.Reference's operations exactly). With --keep-bits the images are
// those of the first run rounded as the flag promises, every value within
// its bound. Files with a codec are also read by h5py (through the real
// bitshuffle plugin) and bitshuffle ones by h5dump, and compared with the
// first, raw, run as h5py reads it.
func TestPipelineShapesGiveIdenticalFiles(t *testing.T) {
	dir := t.TempDir()
	base := []string{"run", "-r", "33", "-c", "45", "-n", "9", "-e", "20", "--boundary", "neumann", "-q"}
	var want, wantPy [][]float32
	for i, extra := range [][]string{
		{"--engine", "gpu", "--storage-buffer-len", "0", "--readback-slots", "1"},
		{"--engine", "cpu", "--storage-buffer-len", "0", "--readback-slots", "1", "--threads", "1"},
		{"--engine", "cpu", "--threads", "2"},
		{"--engine", "cpu", "--threads", "3", "--storage-buffer-len", "3", "--compression-level", "1"},
		{"--storage-buffer-len", "1"},
		{"--storage-buffer-len", "4", "--readback-slots", "3", "--flush-every", "2"},
		{"--engine", "gpu", "--storage-buffer-len", "2", "--readback-slots", "16"},
		{"--storage-buffer-len", "0", "--compression-level", "5"},
		{"--engine", "gpu", "--storage-buffer-len", "3", "--compression-level", "5", "--compress-workers", "2", "--flush-every", "1"},
		{"--storage-buffer-len", "1", "--compression-level", "1", "--compress-workers", "0"},
		{"--engine", "gpu", "--kernel", "tiled", "--workgroup", "8x8"},
		{"--engine", "gpu", "--kernel", "naive", "--workgroup", "32x4"},
		{"--engine", "gpu", "--kernel", "tiled", "--workgroup", "5x7"},
		{"--engine", "cpu", "--compression", "bitshuffle-lz4"},
		{"--storage-buffer-len", "0", "--compression", "bitshuffle-lz4"},
		{"--engine", "gpu", "--storage-buffer-len", "2", "--compression", "bitshuffle-lz4", "--compress-workers", "0", "--flush-every", "2"},
		{"--engine", "cpu", "--storage-buffer-len", "3", "--compression", "bitshuffle-lz4", "--compress-workers", "2", "--keep-bits", "10"},
		{"--compression", "bitshuffle-lz4", "--keep-bits", "10", "--compress-workers", "0"},
		{"--storage-buffer-len", "0", "--compression", "bitshuffle-lz4", "--keep-bits", "10"},
		{"--compression", "deflate:1", "--keep-bits", "10", "--compress-workers", "2"},
		{"--storage-buffer-len", "0", "--compression", "deflate:3", "--keep-bits", "10"},
	} {
		out := filepath.Join(dir, fmt.Sprintf("run%d.h5", i))
		code, _, stderr := runMain(append(append(base, "-o", out), extra...)...)
		requireGL(t, stderr)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		got := h5test.ReadImages(t, out)
		if len(got) != 9 {
			t.Fatalf("%v: %d images", extra, len(got))
		}
		if want == nil {
			want = got
			continue
		}
		keep := keptBits(extra)
		expected := roundedImages(want, keep)
		for j := range expected {
			for k := range expected[j] {
				if got[j][k] != expected[j][k] {
					t.Fatalf("%v: image %d cell %d = %v, the synchronous run wrote %v (%d mantissa bits kept)", extra, j, k, got[j][k], want[j][k], keep)
				}
			}
		}
		if !slices.Contains(extra, "--compression") {
			continue
		}
		if wantPy == nil {
			wantPy = testutil.H5pyImages(t, filepath.Join(dir, "run0.h5"))
			testutil.SameImages(t, "the first run, read by h5py", wantPy, want)
		}
		readers := map[string][][]float32{"h5py": testutil.H5pyImages(t, out)}
		if slices.Contains(extra, "bitshuffle-lz4") {
			readers["h5dump"] = testutil.H5dumpImages(t, out)
		}
		for reader, got := range readers {
			what := fmt.Sprintf("%v read by %s", extra, reader)
			if keep < storage.LosslessBits {
				testutil.SameRounded(t, what+", against the first run read by h5py", got, wantPy, keep)
			}
			testutil.SameImages(t, what, got, expected)
		}
	}
}

// keptBits is the --keep-bits of a run's arguments (23: every bit).
func keptBits(args []string) int {
	keep := storage.LosslessBits
	if i := slices.Index(args, "--keep-bits"); i >= 0 && i+1 < len(args) {
		keep, _ = strconv.Atoi(args[i+1])
	}
	return keep
}

// roundedImages returns images rounded to keep mantissa bits, as a run
// with --keep-bits keep stores them (the images themselves for 23).
func roundedImages(images [][]float32, keep int) [][]float32 {
	if keep >= storage.LosslessBits {
		return images
	}
	out := make([][]float32, len(images))
	for i, im := range images {
		out[i] = make([]float32, len(im))
		codec.RoundMantissa(out[i], im, keep)
	}
	return out
}
