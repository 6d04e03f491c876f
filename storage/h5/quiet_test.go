package h5_test

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// TestCheckpointReadsQuietly: reading a file's checkpoint makes no HDF5
// call that is expected to fail, so nothing reaches stderr even on an OS
// thread where HDF5 prints its error stacks (a goroutine that moved to a
// thread where nothing turned the printing off, as in serve or sweep):
// lossless files, which keep no exact V beside U, and rounded ones.
func TestCheckpointReadsQuietly(t *testing.T) {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 6, 5, 3
	for _, c := range []storage.Compression{storage.Deflate(0), storage.Deflate(1),
		{Codec: storage.CodecBitshuffleLZ4}, {Codec: storage.CodecBitshuffleLZ4, KeepBits: 10}} {
		path := filepath.Join(t.TempDir(), "ck.h5")
		f, err := h5.Create(path, p, nil, h5.Options{Compression: c})
		if err != nil {
			t.Fatal(err)
		}
		frame, u := make([]float32, p.Cells()), make([]float32, p.Cells())
		for i := range frame {
			frame[i], u[i] = float32(i)/7, 1-float32(i)/9
		}
		for range 2 {
			if err := f.WriteFrame(frame); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.WriteCheckpoint(u, frame, 68); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(false, "test"); err != nil {
			t.Fatal(err)
		}
		stderr := captureStderr(t, func() {
			r, err := h5.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			h5test.LoudErrors(t)
			if step, images, ok := r.Checkpoint(); !ok || images != 2 || step != 68 {
				t.Errorf("%s keeping %d bits: checkpoint at image %d, step %d, valid %v; want 2, 68, true", c, c.Normal().KeepBits, images, step, ok)
			}
		})
		if strings.Contains(stderr, "HDF5") {
			t.Errorf("%s keeping %d bits: reading the checkpoint printed on stderr:\n%s", c, c.Normal().KeepBits, stderr)
		}
	}
}

// captureStderr runs f on one OS thread with file descriptor 2 (where
// HDF5 prints) going to a file, and returns what was written there.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tmp, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer tmp.Close()
	saved, err := syscall.Dup(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Dup2(int(tmp.Fd()), 2); err != nil {
		t.Fatal(err)
	}
	func() {
		defer syscall.Dup2(saved, 2)
		f()
	}()
	syscall.Close(saved)
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
