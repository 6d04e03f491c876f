package storage

// The HDF5 calls gonum.org/v1/hdf5 lacks: unlimited extents, shuffle,
// attribute overwrite, raw chunk writes, flush, library version. This is
// the package's only cgo file.

/*
#cgo pkg-config: hdf5
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>

static herr_t gs_set_extent(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols) {
	hsize_t dims[3] = {n, rows, cols};
	return H5Dset_extent(dset, dims);
}

static herr_t gs_set_shuffle(hid_t dcpl) { return H5Pset_shuffle(dcpl); }

static hsize_t gs_unlimited(void) { return H5S_UNLIMITED; }

// gs_replace_attr deletes name on loc when it exists, then creates it as a
// scalar of type t and writes *v.
static herr_t gs_replace_attr(hid_t loc, const char *name, hid_t t, const void *v) {
	htri_t exists = H5Aexists(loc, name);
	if (exists < 0) return -1;
	if (exists > 0 && H5Adelete(loc, name) < 0) return -1;
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
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// unlimited is H5S_UNLIMITED as gonum's uint dimensions carry it.
var unlimited = uint(C.gs_unlimited())

func herr(rc C.herr_t, what string, args ...any) error {
	if rc < 0 {
		return fmt.Errorf("storage: "+what+": HDF5 call failed", args...)
	}
	return nil
}

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
