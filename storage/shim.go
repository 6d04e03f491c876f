package storage

// The HDF5 calls gonum.org/v1/hdf5 lacks: unlimited extents, shuffle,
// attribute overwrite, raw chunk writes, flush, library version. This is
// the package's only cgo file.

/*
#cgo pkg-config: hdf5
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <hdf5.h>

static herr_t gs_set_extent(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols) {
	hsize_t dims[3] = {n, rows, cols};
	return H5Dset_extent(dset, dims);
}

static herr_t gs_set_shuffle(hid_t dcpl) { return H5Pset_shuffle(dcpl); }

static hsize_t gs_unlimited(void) { return H5S_UNLIMITED; }

// gs_replace_attr writes *v (of memory type t) to the scalar attribute
// name on loc: in place when it exists (cheap enough for every flush, and
// no file space is lost), else created. An existing attribute that cannot
// take the value is deleted and created anew.
static herr_t gs_replace_attr(hid_t loc, const char *name, hid_t t, const void *v) {
	htri_t exists = H5Aexists(loc, name);
	if (exists < 0) return -1;
	if (exists > 0) {
		hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
		if (a >= 0) {
			herr_t err = H5Awrite(a, t, v);
			H5Aclose(a);
			if (err >= 0) return 0;
		}
		H5Eclear2(H5E_DEFAULT);
		if (H5Adelete(loc, name) < 0) return -1;
	}
	hid_t space = H5Screate(H5S_SCALAR);
	if (space < 0) return -1;
	hid_t a = H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
	H5Sclose(space);
	if (a < 0) return -1;
	herr_t err = H5Awrite(a, t, v);
	H5Aclose(a);
	return err;
}

static herr_t gs_attr_f32(hid_t loc, const char *name, float v) {
	return gs_replace_attr(loc, name, H5T_NATIVE_FLOAT, &v);
}

static herr_t gs_attr_i64(hid_t loc, const char *name, long long v) {
	return gs_replace_attr(loc, name, H5T_NATIVE_LLONG, &v);
}

// gs_attr_str writes a variable-length UTF-8 string (what h5py writes and
// reads back as str).
static herr_t gs_attr_str(hid_t loc, const char *name, const char *v) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) return -1;
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_UTF8);
	herr_t err = gs_replace_attr(loc, name, t, &v);
	H5Tclose(t);
	return err;
}

static herr_t gs_write_chunk(hid_t dset, hsize_t frame, uint32_t filter_mask, const void *buf, size_t size) {
	hsize_t offset[3] = {frame, 0, 0};
	return H5Dwrite_chunk(dset, H5P_DEFAULT, filter_mask, offset, size, buf);
}

static herr_t gs_flush(hid_t file) { return H5Fflush(file, H5F_SCOPE_GLOBAL); }

static void gs_version(unsigned *maj, unsigned *min, unsigned *rel) { H5get_libversion(maj, min, rel); }

// HDF5 prints its error stack to stderr by default; errors are returned
// instead, with the innermost message of the stack (see gs_error_detail).
static void gs_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t gs_walk(unsigned n, const H5E_error2_t *e, void *data) {
	char *buf = (char *)data;
	// The innermost entry is walked last and holds the root cause
	// ("errno = 28, error message = 'No space left on device'").
	snprintf(buf, 512, "%s: %s", e->func_name, e->desc);
	return 0;
}

// gs_error_detail copies the current thread's innermost HDF5 error into buf
// (512 bytes) and clears the stack.
static void gs_error_detail(char *buf) {
	buf[0] = 0;
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, gs_walk, buf);
	H5Eclear2(H5E_DEFAULT);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

func init() { C.gs_quiet() }

// errorDetail returns the innermost message of this thread's HDF5 error
// stack ("" when empty) and clears it. Call it right after a failed call,
// from the same OS thread (the Writer's goroutine is locked to one).
func errorDetail() string {
	var buf [512]C.char
	C.gs_error_detail(&buf[0])
	return C.GoString(&buf[0])
}

// hdf5Err wraps err, a failed gonum or shim call, with what was being done
// and HDF5's own reason.
func hdf5Err(err error, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if d := errorDetail(); d != "" {
		return fmt.Errorf("storage: %s: %s", msg, d)
	}
	return fmt.Errorf("storage: %s: %w", msg, err)
}

// unlimited is H5S_UNLIMITED as gonum's uint dimensions carry it.
var unlimited = uint(C.gs_unlimited())

func herr(rc C.herr_t, what string, args ...any) error {
	if rc < 0 {
		return hdf5Err(errHDF5, what, args...)
	}
	return nil
}

var errHDF5 = errors.New("HDF5 call failed")

func setExtent(dset int64, n, rows, cols int) error {
	return herr(C.gs_set_extent(C.hid_t(dset), C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols)),
		"extending /matrix to %d images", n)
}

func setShuffle(dcpl int64) error {
	return herr(C.gs_set_shuffle(C.hid_t(dcpl)), "enabling the shuffle filter")
}

func writeAttr(loc int64, name string, v any) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var rc C.herr_t
	switch v := v.(type) {
	case float32:
		rc = C.gs_attr_f32(C.hid_t(loc), cname, C.float(v))
	case int:
		rc = C.gs_attr_i64(C.hid_t(loc), cname, C.longlong(v))
	case int64:
		rc = C.gs_attr_i64(C.hid_t(loc), cname, C.longlong(v))
	case bool:
		b := 0
		if v {
			b = 1
		}
		rc = C.gs_attr_i64(C.hid_t(loc), cname, C.longlong(b))
	case string:
		cv := C.CString(v)
		defer C.free(unsafe.Pointer(cv))
		rc = C.gs_attr_str(C.hid_t(loc), cname, cv)
	default:
		return fmt.Errorf("storage: attribute %s: unsupported type %T", name, v)
	}
	return herr(rc, "writing attribute %s", name)
}

// writeChunk writes one already-filtered chunk (frame index frame) straight
// to the file, bypassing HDF5's filter pipeline.
func writeChunk(dset int64, frame int, filterMask uint32, buf []byte) error {
	return herr(C.gs_write_chunk(C.hid_t(dset), C.hsize_t(frame), C.uint32_t(filterMask),
		unsafe.Pointer(&buf[0]), C.size_t(len(buf))), "writing compressed chunk of image %d", frame)
}

func flush(file int64) error { return herr(C.gs_flush(C.hid_t(file)), "flushing the file") }

// HDF5Version returns the linked HDF5 library's version, e.g. "1.10.8".
func HDF5Version() string {
	var maj, min, rel C.unsigned
	C.gs_version(&maj, &min, &rel)
	return fmt.Sprintf("%d.%d.%d", maj, min, rel)
}
