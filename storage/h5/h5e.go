package h5

// Errors from HDF5 (see h5e.c). This file also holds the package's cgo
// build flags.

/*
#cgo pkg-config: hdf5
#include "shim.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
)

// quiet turns off HDF5's printing of error stacks for the calling OS
// thread (the setting is per thread in thread-safe builds); errors are
// returned instead. Entry points call it before their HDF5 calls.
func quiet() { C.gs_quiet() }

func init() { quiet() }

// clearErrors empties this thread's HDF5 error stack after an expected
// failure (a missing attribute).
func clearErrors() { C.gs_error_clear() }

// errorDetail returns the innermost message of this thread's HDF5 error
// stack ("" when empty) and clears it. Call it right after a failed call,
// from the same OS thread (the Writer's goroutine is locked to one).
func errorDetail() string {
	var buf [C.GS_ERRBUF]C.char
	C.gs_error_detail(&buf[0])
	return C.GoString(&buf[0])
}

// hdf5Err wraps err, a failed gonum or shim call, with what was being done
// and HDF5's own reason.
func hdf5Err(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if d := errorDetail(); d != "" {
		return fmt.Errorf("h5: %s: %s", msg, tidyDetail(d))
	}
	return fmt.Errorf("h5: %s: %w", msg, err)
}

func herr(rc C.herr_t, what string, args ...any) error {
	if rc < 0 {
		return hdf5Err(errHDF5, what, args...)
	}
	return nil
}

var errHDF5 = errors.New("HDF5 call failed")

// errBuf receives the HDF5 error detail that a shim call captured on its
// own thread.
type errBuf [C.GS_ERRBUF]C.char

// detailErr turns a failed shim call into an error carrying the detail in
// buf.
func detailErr(rc C.herr_t, buf *errBuf, format string, args ...any) error {
	if rc >= 0 {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if d := C.GoString(&buf[0]); d != "" {
		return fmt.Errorf("h5: %s: %s", msg, tidyDetail(d))
	}
	return fmt.Errorf("h5: %s: %w", msg, errHDF5)
}

// tidyDetail shortens HDF5's file-driver messages to their cause: of
// "H5FD__sec2_write: file write failed: time = …, errno = 28, error message
// = 'No space left on device', …" it keeps "No space left on device
// (errno 28, in H5FD__sec2_write)".
func tidyDetail(d string) string {
	_, after, ok := strings.Cut(d, "error message = '")
	if !ok {
		return d
	}
	cause, _, _ := strings.Cut(after, "'")
	errno := ""
	if _, e, ok := strings.Cut(d, "errno = "); ok {
		errno, _, _ = strings.Cut(e, ",")
		errno = "errno " + errno + ", "
	}
	fn, _, _ := strings.Cut(d, ":")
	return fmt.Sprintf("%s (%sin %s)", cause, errno, fn)
}
