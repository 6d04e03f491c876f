package h5

// Datasets (see h5d.c).

// #include "shim.h"
import "C"

import (
	"fmt"
	"slices"
	"unsafe"

	"grayscott/storage"
	"grayscott/storage/codec"
)

func setExtent(dset int64, n, rows, cols int) error {
	return herr(C.gs_set_extent(C.hid_t(dset), C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols)),
		"extending /%s to %d images", Dataset, n)
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
// HDF5's filter pipeline, flushing the dataset after it in SWMR mode (see
// gs_append); on failure the extent stays at n images.
func appendFrame(dset, memspace int64, n, rows, cols int, frame []float32, swmr bool) error {
	var buf errBuf
	flush := C.int(0)
	if swmr {
		flush = 1
	}
	rc := C.gs_append(C.hid_t(dset), C.hid_t(memspace), C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols),
		(*C.float)(unsafe.Pointer(&frame[0])), nil, 0, flush, &buf[0])
	return detailErr(rc, &buf, "writing image %d", n)
}

// appendChunk writes one chunk as it is stored (filtered already, or a
// raw image's bytes) as image n of dset, bypassing HDF5's filter pipeline;
// it reaches readers following the file at the next flush or publish.
func appendChunk(dset int64, n, rows, cols int, chunk []byte) error {
	var buf errBuf
	rc := C.gs_append(C.hid_t(dset), -1, C.hsize_t(n), C.hsize_t(rows), C.hsize_t(cols),
		nil, unsafe.Pointer(&chunk[0]), C.size_t(len(chunk)), 0, &buf[0])
	return detailErr(rc, &buf, "writing image %d", n)
}

// write2D writes src over the whole float32 dataset at path.
func write2D(file int64, path string, src []float32) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return herr(C.gs_write_2d(C.hid_t(file), cpath, (*C.float)(unsafe.Pointer(&src[0]))), "writing %s", path)
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

// linkExists reports whether path names something in file. Its group
// must exist: H5Lexists fails (printing HDF5's error stack) when a group on
// the way is missing, and only the last name may be.
func linkExists(file int64, path string) bool {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return C.H5Lexists(C.hid_t(file), cpath, C.H5P_DEFAULT) > 0
}

func storageSize(dset int64) int64 { return int64(C.gs_storage_size(C.hid_t(dset))) }

// createMatrix creates /matrix for a rows×cols grid stored as c says (see
// gs_create_matrix) and returns it opened for appending. A bitshuffle
// dataset declares filter 32008 with codec.BitshuffleCDValues; they are
// read back, so that a plugin registered in the process after all (its
// set_local callback rewrites them) fails the run here, not its readers.
func createMatrix(file int64, rows, cols int, c storage.Compression) (int64, error) {
	cname := C.CString(Dataset)
	defer C.free(unsafe.Pointer(cname))
	level, filter, cd := 0, 0, []C.uint{0}
	switch c.Codec {
	case storage.CodecDeflate:
		level = c.Level
	case storage.CodecBitshuffleLZ4:
		filter, cd = codec.FilterBitshuffle, nil
		for _, v := range codec.BitshuffleCDValues {
			cd = append(cd, C.uint(v))
		}
	}
	d := C.gs_create_matrix(C.hid_t(file), cname, C.hsize_t(rows), C.hsize_t(cols), C.int(level),
		C.int(filter), &cd[0], C.size_t(len(cd)))
	if d < 0 {
		return -1, hdf5Err(errHDF5, "creating /%s (chunk 1×%d×%d, %s)", Dataset, rows, cols, c)
	}
	C.H5Dclose(d)
	dset, err := openDataset(file, Dataset)
	if err != nil || filter == 0 {
		return dset, err
	}
	if got, ok, err := filterValues(dset, filter); err != nil || !ok || !slices.Equal(got, codec.BitshuffleCDValues[:]) {
		closeDataset(dset)
		return -1, fmt.Errorf("h5: /%s declares filter %d with %v, not %v: a bitshuffle plugin registered in this process rewrote them",
			Dataset, filter, got, codec.BitshuffleCDValues)
	}
	return dset, nil
}

// filterValues returns the client values dset declares for filter, and
// whether it declares the filter at all.
func filterValues(dset int64, filter int) ([]uint32, bool, error) {
	var cd [16]C.uint
	n := C.size_t(len(cd))
	switch C.gs_filter_values(C.hid_t(dset), C.int(filter), &cd[0], &n) {
	case -1:
		return nil, false, hdf5Err(errHDF5, "reading the filters of /%s", Dataset)
	case 0:
		return nil, false, nil
	}
	out := make([]uint32, min(int(n), len(cd)))
	for i := range out {
		out[i] = uint32(cd[i])
	}
	return out, true, nil
}

// readChunk reads image n's chunk as it is stored into buf, and returns it
// and whether the dataset's first filter was applied to it.
func readChunk(dset int64, n int, buf []byte) ([]byte, bool, error) {
	var mask C.uint
	size := C.gs_read_chunk(C.hid_t(dset), C.hsize_t(n), unsafe.Pointer(&buf[0]), C.size_t(len(buf)), &mask)
	switch {
	case size == -2:
		return nil, false, fmt.Errorf("h5: image %d: its chunk is larger than an encoded image can be (%d bytes)", n, len(buf))
	case size < 0:
		return nil, false, hdf5Err(errHDF5, "reading image %d", n)
	case size == 0:
		return nil, false, fmt.Errorf("h5: image %d has no chunk in the file", n)
	}
	return buf[:size], mask&1 == 0, nil
}

// ensureGroup opens the group name in loc, creating it when missing.
func ensureGroup(loc int64, name string) (int64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	g := int64(C.gs_ensure_group(C.hid_t(loc), cname))
	if g < 0 {
		return -1, hdf5Err(errHDF5, "creating group %s", name)
	}
	return g, nil
}

// ensure2D opens the float32 [rows, cols] dataset name in loc, creating it
// when missing.
func ensure2D(loc int64, name string, rows, cols int) (int64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	d := int64(C.gs_ensure_2d(C.hid_t(loc), cname, C.hsize_t(rows), C.hsize_t(cols)))
	if d < 0 {
		return -1, hdf5Err(errHDF5, "creating dataset %s (%d×%d)", name, rows, cols)
	}
	return d, nil
}

func memspace(rows, cols int) (int64, error) {
	s := int64(C.gs_memspace(C.hsize_t(rows), C.hsize_t(cols)))
	if s < 0 {
		return -1, hdf5Err(errHDF5, "memory dataspace")
	}
	return s, nil
}

func closeSpace(s int64) error { return herr(C.gs_close_space(C.hid_t(s)), "closing a dataspace") }

// refresh shows a SWMR reader what the writer published since.
func refresh(dset int64) error { return herr(C.gs_refresh(C.hid_t(dset)), "refreshing /%s", Dataset) }
