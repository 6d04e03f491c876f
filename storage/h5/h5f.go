package h5

// Files (see h5f.c).

// #include "shim.h"
import "C"

import "fmt"

func flush(file int64) error {
	var buf errBuf
	return detailErr(C.gs_flush(C.hid_t(file), &buf[0]), &buf, "flushing")
}

// Version returns the linked HDF5 library's version, e.g. "1.10.8".
func Version() string {
	var maj, min, rel C.unsigned
	C.gs_version(&maj, &min, &rel)
	return fmt.Sprintf("%d.%d.%d", maj, min, rel)
}
