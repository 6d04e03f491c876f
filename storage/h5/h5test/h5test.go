// Package h5test reads and writes grayscott's HDF5 files in tests: each
// helper fails the test on an error instead of returning it.
package h5test

import (
	"testing"

	"grayscott/storage/h5"
)

// ReadImages reads every image of the file at path.
func ReadImages(tb testing.TB, path string) [][]float32 {
	tb.Helper()
	images, err := h5.ReadImages(path)
	if err != nil {
		tb.Fatal(err)
	}
	return images
}

// Status reads the file's status (h5.ReadStatus).
func Status(tb testing.TB, path string) h5.Status {
	tb.Helper()
	st, err := h5.ReadStatus(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// Int reads an integer root attribute.
func Int(tb testing.TB, path, name string) int64 {
	tb.Helper()
	return attr(tb, path, name, (*h5.Reader).Int)
}

// String reads a string root attribute.
func String(tb testing.TB, path, name string) string {
	tb.Helper()
	return attr(tb, path, name, (*h5.Reader).String)
}

func attr[T any](tb testing.TB, path, name string, read func(*h5.Reader, string) (T, error)) T {
	tb.Helper()
	r, err := h5.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	v, err := read(r, name)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
