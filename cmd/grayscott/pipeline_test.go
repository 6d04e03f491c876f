package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"grayscott/storage/h5/h5test"
)

// TestPipelineShapesGiveIdenticalFiles runs the command in every shape:
// synchronous, queued, deep queues, one or many readback slots, compressed
// in parallel or not, the GPU engine with both kernels and several work
// groups, the CPU engine on 1 to 3 threads: every file holds bit-identical
// images (llvmpipe and the CPU engine both follow sim.Reference's
// operations exactly).
func TestPipelineShapesGiveIdenticalFiles(t *testing.T) {
	dir := t.TempDir()
	base := []string{"run", "-r", "33", "-c", "45", "-n", "9", "-e", "20", "--boundary", "neumann", "-q"}
	var want [][]float32
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
		for j := range want {
			for k := range want[j] {
				if got[j][k] != want[j][k] {
					t.Fatalf("%v: image %d cell %d = %v, the synchronous run wrote %v", extra, j, k, got[j][k], want[j][k])
				}
			}
		}
	}
}
