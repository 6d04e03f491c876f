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

static void gs_error_detail(char *buf);

// gs_append extends dset to n+1 images and writes image n, from a frame
// through the filter pipeline (chunk == NULL) or as an already filtered
// chunk of size bytes. On failure the error is copied into errbuf (512
// bytes) and the extent goes back to n images.
static herr_t gs_append(hid_t dset, hid_t memspace, hsize_t n, hsize_t rows, hsize_t cols,
                        const float *frame, const void *chunk, size_t size, char *errbuf) {
	hsize_t dims[3] = {n + 1, rows, cols};
	hsize_t start[3] = {n, 0, 0}, count[3] = {1, rows, cols};
	herr_t err = H5Dset_extent(dset, dims);
	if (err >= 0) {
		if (chunk != NULL) {
			err = H5Dwrite_chunk(dset, H5P_DEFAULT, 0, start, size, chunk);
		} else {
			hid_t fs = H5Dget_space(dset);
			err = fs < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
			if (err >= 0) err = H5Dwrite(dset, H5T_NATIVE_FLOAT, memspace, fs, H5P_DEFAULT, frame);
			if (err < 0) gs_error_detail(errbuf); // before H5Sclose clears the stack
			if (fs >= 0) H5Sclose(fs);
		}
	}
	if (err < 0) {
		if (errbuf[0] == 0) gs_error_detail(errbuf);
		dims[0] = n;
		H5Dset_extent(dset, dims);
		H5Eclear2(H5E_DEFAULT);
	}
	return err;
}

// gs_attr_read_str reads a string attribute, variable or fixed length,
// into buf (n bytes, NUL-terminated). It returns -1 when it is missing or
// not a string.
static herr_t gs_attr_read_str(hid_t loc, const char *name, char *buf, size_t n) {
	buf[0] = 0;
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t ft = H5Aget_type(a);
	herr_t err = -1;
	if (H5Tget_class(ft) == H5T_STRING) {
		if (H5Tis_variable_str(ft) > 0) {
			hid_t mt = H5Tcopy(H5T_C_S1);
			H5Tset_size(mt, H5T_VARIABLE);
			H5Tset_cset(mt, H5Tget_cset(ft)); // HDF5 does not convert between ASCII and UTF-8
			char *s = NULL;
			err = H5Aread(a, mt, &s);
			if (err >= 0 && s != NULL) {
				snprintf(buf, n, "%s", s);
				H5free_memory(s);
			}
			H5Tclose(mt);
		} else {
			size_t sz = H5Tget_size(ft);
			char *tmp = calloc(sz + 1, 1);
			hid_t mt = H5Tcopy(H5T_C_S1);
			H5Tset_size(mt, sz);
			H5Tset_cset(mt, H5Tget_cset(ft));
			err = H5Aread(a, mt, tmp);
			if (err >= 0) snprintf(buf, n, "%s", tmp);
			free(tmp);
			H5Tclose(mt);
		}
	}
	H5Tclose(ft);
	H5Aclose(a);
	return err;
}

static herr_t gs_attr_read_num(hid_t loc, const char *name, hid_t memtype, void *dst) {
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	herr_t err = H5Aread(a, memtype, dst);
	H5Aclose(a);
	return err;
}
static herr_t gs_attr_read_i64(hid_t loc, const char *name, long long *dst) {
	return gs_attr_read_num(loc, name, H5T_NATIVE_LLONG, dst);
}
static herr_t gs_attr_read_f32(hid_t loc, const char *name, float *dst) {
	return gs_attr_read_num(loc, name, H5T_NATIVE_FLOAT, dst);
}

// gs_attr_count returns the number of attributes on loc, or -1.
static int gs_attr_count(hid_t loc) {
	H5O_info_t info;
	if (H5Oget_info2(loc, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
	return (int)info.num_attrs;
}

// gs_attr_info copies the name of attribute idx into name (n bytes) and
// returns its class: 0 integer, 1 float, 2 string, 3 other, -1 error.
static int gs_attr_info(hid_t loc, int idx, char *name, size_t n) {
	if (H5Aget_name_by_idx(loc, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, (hsize_t)idx, name, n, H5P_DEFAULT) < 0 &&
	    H5Aget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)idx, name, n, H5P_DEFAULT) < 0) {
		return -1;
	}
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t t = H5Aget_type(a);
	hid_t sp = H5Aget_space(a);
	int cls = 3;
	if (H5Sget_simple_extent_npoints(sp) == 1) {
		switch (H5Tget_class(t)) {
		case H5T_INTEGER: cls = 0; break;
		case H5T_FLOAT: cls = 1; break;
		case H5T_STRING: cls = 2; break;
		default: break;
		}
	}
	H5Sclose(sp);
	H5Tclose(t);
	H5Aclose(a);
	return cls;
}

static long long gs_storage_size(hid_t dset) { return (long long)H5Dget_storage_size(dset); }

static herr_t gs_attr_delete(hid_t loc, const char *name) {
	htri_t e = H5Aexists(loc, name);
	if (e <= 0) return e < 0 ? -1 : 0;
	return H5Adelete(loc, name);
}

// gs_checkpoint writes u ([rows, cols] float32) to /checkpoint/NAME,
// creating the group and the dataset on first use.
static herr_t gs_checkpoint(hid_t file, const char *name, hsize_t rows, hsize_t cols, const float *u) {
	hid_t g;
	htri_t have = H5Lexists(file, "checkpoint", H5P_DEFAULT);
	if (have < 0) return -1;
	g = have ? H5Gopen2(file, "checkpoint", H5P_DEFAULT) : H5Gcreate2(file, "checkpoint", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (g < 0) return -1;
	hsize_t dims[2] = {rows, cols};
	hid_t d;
	if (H5Lexists(g, name, H5P_DEFAULT) > 0) {
		d = H5Dopen2(g, name, H5P_DEFAULT);
	} else {
		hid_t sp = H5Screate_simple(2, dims, NULL);
		d = H5Dcreate2(g, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
		H5Sclose(sp);
	}
	herr_t err = -1;
	if (d >= 0) {
		err = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, u);
		H5Dclose(d);
	}
	H5Gclose(g);
	return err;
}

// gs_read_image reads image n of a [images, rows, cols] dataset into dst.
static herr_t gs_read_image(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols, float *dst) {
	hsize_t start[3] = {n, 0, 0}, count[3] = {1, rows, cols};
	hid_t fs = H5Dget_space(dset);
	if (fs < 0) return -1;
	hid_t ms = H5Screate_simple(3, count, NULL);
	herr_t err = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
	if (err >= 0) err = H5Dread(dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, dst);
	H5Sclose(ms);
	H5Sclose(fs);
	return err;
}

static herr_t gs_read_2d(hid_t file, const char *path, float *dst) {
	hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
	if (d < 0) return -1;
	herr_t err = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst);
	H5Dclose(d);
	return err;
}

// gs_open_dataset opens name without a chunk cache: every image goes to
// the file when it is written, so a failure (a full disk) shows at that
// image and no dirty chunks wait in memory to fail at close.
static hid_t gs_open_dataset(hid_t file, const char *name) {
	hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
	if (dapl < 0) return -1;
	H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
	hid_t d = H5Dopen2(file, name, dapl);
	H5Pclose(dapl);
	return d;
}

static herr_t gs_dataset_dims(hid_t dset, hsize_t *dims, int max) {
	hid_t sp = H5Dget_space(dset);
	if (sp < 0) return -1;
	int n = H5Sget_simple_extent_ndims(sp);
	if (n != max) { H5Sclose(sp); return -1; }
	herr_t err = H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ? -1 : 0;
	H5Sclose(sp);
	return err;
}

static herr_t gs_close_dataset(hid_t d) { return H5Dclose(d); }

static herr_t gs_flush(hid_t file, char *errbuf) {
	herr_t err = H5Fflush(file, H5F_SCOPE_GLOBAL);
	if (err < 0) gs_error_detail(errbuf);
	return err;
}

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
	"strings"
	"unsafe"
)

// quiet turns off HDF5's printing of error stacks for the calling OS
// thread (the setting is per thread in thread-safe builds); errors are
// returned instead. Entry points call it before their HDF5 calls.
func quiet() { C.gs_quiet() }

func init() { quiet() }

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
		return fmt.Errorf("storage: %s: %s", msg, tidyDetail(d))
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

// openDataset opens a dataset of file for appending (see gs_open_dataset).
func openDataset(file int64, name string) (int64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	d := int64(C.gs_open_dataset(C.hid_t(file), cname))
	if d < 0 {
		return -1, hdf5Err(errHDF5, "opening /%s", name)
	}
	return d, nil
}

// datasetDims returns the extent of a 3-dimensional dataset.
func datasetDims(dset int64) ([3]int, error) {
	var dims [3]C.hsize_t
	if C.gs_dataset_dims(C.hid_t(dset), &dims[0], 3) < 0 {
		return [3]int{}, hdf5Err(errHDF5, "reading the shape of /%s", Dataset)
	}
	return [3]int{int(dims[0]), int(dims[1]), int(dims[2])}, nil
}

func closeDataset(d int64) error { return herr(C.gs_close_dataset(C.hid_t(d)), "closing /%s", Dataset) }

// appendFrame writes frame as image n of dset (extending it), through
// HDF5's filter pipeline; on failure the extent stays at n images.
func appendFrame(dset, memspace int64, n, rows, cols int, frame []float32) error {
	var errbuf [512]C.char
	rc := C.gs_append(C.hid_t(dset), C.hid_t(memspace), C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols),
		(*C.float)(unsafe.Pointer(&frame[0])), nil, 0, &errbuf[0])
	return detailErr(rc, &errbuf[0], "writing image %d", n)
}

// appendChunk writes one already filtered chunk as image n of dset,
// bypassing HDF5's filter pipeline; on failure the extent stays at n.
func appendChunk(dset int64, n, rows, cols int, chunk []byte) error {
	var errbuf [512]C.char
	rc := C.gs_append(C.hid_t(dset), -1, C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols),
		nil, unsafe.Pointer(&chunk[0]), C.size_t(len(chunk)), &errbuf[0])
	return detailErr(rc, &errbuf[0], "writing image %d", n)
}

// detailErr turns a failed shim call into an error carrying the HDF5
// detail the call captured on its own thread.
func detailErr(rc C.herr_t, errbuf *C.char, format string, args ...any) error {
	if rc >= 0 {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if d := C.GoString(errbuf); d != "" {
		return fmt.Errorf("storage: %s: %s", msg, tidyDetail(d))
	}
	return fmt.Errorf("storage: %s: %w", msg, errHDF5)
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

func readStringAttr(loc int64, name string) (string, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var buf [4096]C.char
	if C.gs_attr_read_str(C.hid_t(loc), cname, &buf[0], C.size_t(len(buf))) < 0 {
		C.H5Eclear2(C.H5E_DEFAULT)
		return "", fmt.Errorf("storage: no string attribute %s", name)
	}
	return C.GoString(&buf[0]), nil
}

func readIntAttr(loc int64, name string) (int64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var v C.longlong
	if C.gs_attr_read_i64(C.hid_t(loc), cname, &v) < 0 {
		C.H5Eclear2(C.H5E_DEFAULT)
		return 0, fmt.Errorf("storage: no integer attribute %s", name)
	}
	return int64(v), nil
}

func readFloatAttr(loc int64, name string) (float32, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var v C.float
	if C.gs_attr_read_f32(C.hid_t(loc), cname, &v) < 0 {
		C.H5Eclear2(C.H5E_DEFAULT)
		return 0, fmt.Errorf("storage: no float attribute %s", name)
	}
	return float32(v), nil
}

// readAttrs reads every scalar attribute of loc that is an integer, a
// float or a string, in creation order where the file tracks it.
func readAttrs(loc int64) ([]Attr, error) {
	n := int(C.gs_attr_count(C.hid_t(loc)))
	if n < 0 {
		return nil, hdf5Err(errHDF5, "counting attributes")
	}
	var attrs []Attr
	for i := range n {
		var buf [256]C.char
		cls := C.gs_attr_info(C.hid_t(loc), C.int(i), &buf[0], C.size_t(len(buf)))
		name := C.GoString(&buf[0])
		var v any
		var err error
		switch cls {
		case 0:
			v, err = readIntAttr(loc, name)
		case 1:
			var f float32
			f, err = readFloatAttr(loc, name)
			v = f
		case 2:
			v, err = readStringAttr(loc, name)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, Attr{name, v})
	}
	C.H5Eclear2(C.H5E_DEFAULT)
	return attrs, nil
}

func storageSize(dset int64) int64 { return int64(C.gs_storage_size(C.hid_t(dset))) }

func deleteAttr(loc int64, name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return herr(C.gs_attr_delete(C.hid_t(loc), cname), "deleting attribute %s", name)
}

func writeCheckpoint(file int64, name string, rows, cols int, u []float32) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return herr(C.gs_checkpoint(C.hid_t(file), cname, C.hsize_t(rows), C.hsize_t(cols),
		(*C.float)(unsafe.Pointer(&u[0]))), "writing checkpoint %s", name)
}

func readImage(dset int64, n, rows, cols int, dst []float32) error {
	return herr(C.gs_read_image(C.hid_t(dset), C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols),
		(*C.float)(unsafe.Pointer(&dst[0]))), "reading image %d", n)
}

func read2D(file int64, path string, dst []float32) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return herr(C.gs_read_2d(C.hid_t(file), cpath, (*C.float)(unsafe.Pointer(&dst[0]))), "reading %s", path)
}

func flush(file int64) error {
	var errbuf [512]C.char
	return detailErr(C.gs_flush(C.hid_t(file), &errbuf[0]), &errbuf[0], "flushing")
}

// HDF5Version returns the linked HDF5 library's version, e.g. "1.10.8".
func HDF5Version() string {
	var maj, min, rel C.unsigned
	C.gs_version(&maj, &min, &rel)
	return fmt.Sprintf("%d.%d.%d", maj, min, rel)
}
