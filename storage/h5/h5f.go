package h5

// Files (see h5f.c).

// #include "shim.h"
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

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

// createFile creates path in the HDF5 1.10 format (SWMR needs it).
func createFile(path string, truncate bool) (int64, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var buf errBuf
	t := 0
	if truncate {
		t = 1
	}
	syscall.ForkLock.RLock()
	f := int64(C.gs_create_file(cpath, C.int(t), &buf[0]))
	noInherit(f)
	syscall.ForkLock.RUnlock()
	if f < 0 {
		return -1, detailErr(-1, &buf, "creating %s", path)
	}
	if err := lockWriter(f, path); err != nil {
		closeFile(f)
		return -1, err
	}
	return f, nil
}

// openFile opens path for writing (clearing a killed SWMR writer's
// status flags; the writer's lock is taken) or for reading, with SWMR when
// swmr.
func openFile(path string, write, swmr bool) (int64, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var buf errBuf
	w, s := 0, 0
	if write {
		w = 1
	}
	if swmr {
		s = 1
	}
	syscall.ForkLock.RLock()
	f := int64(C.gs_open_file(cpath, C.int(w), C.int(s), &buf[0]))
	noInherit(f)
	syscall.ForkLock.RUnlock()
	if f < 0 {
		return -1, detailErr(-1, &buf, "opening %s", path)
	}
	if write {
		if err := lockWriter(f, path); err != nil {
			closeFile(f)
			return -1, err
		}
	}
	return f, nil
}

// startSWMR switches file to SWMR writing (see gs_start_swmr), and takes
// the writer's lock again: where flock is emulated with byte-range locks
// (NFS), HDF5's unlock of its flock releases it.
func startSWMR(file int64, path string) error {
	var buf errBuf
	if err := detailErr(C.gs_start_swmr(C.hid_t(file), &buf[0]), &buf, "starting SWMR writing"); err != nil {
		return err
	}
	lockWriter(file, path)
	return nil
}

// repairFile clears the status flags a killed writer left in path (see
// gs_repair_file). The caller holds lockForRepair's locks.
func repairFile(path string) error {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var buf errBuf
	// Under the fork lock: HDF5's descriptor, open for the call, is not
	// close-on-exec.
	syscall.ForkLock.RLock()
	rc := C.gs_repair_file(cpath, &buf[0])
	syscall.ForkLock.RUnlock()
	return detailErr(rc, &buf, "clearing the writer's mark of %s", path)
}

// noInherit keeps an open file from processes started later: HDF5 opens
// it without close-on-exec, so a child would hold its lock (a sweep's run
// could then not open the file of another). Call it under
// syscall.ForkLock's read lock, with the open, so that no fork falls
// between the two.
func noInherit(f int64) {
	if f >= 0 {
		C.gs_cloexec(C.hid_t(f))
	}
}

func closeFile(f int64) error { return herr(C.gs_close_file(C.hid_t(f)), "closing the file") }

func openGroup(loc int64, name string) (int64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	g := int64(C.gs_open_group(C.hid_t(loc), cname))
	if g < 0 {
		return -1, hdf5Err(errHDF5, "opening group %s", name)
	}
	return g, nil
}

func closeGroup(g int64) error { return herr(C.gs_close_group(C.hid_t(g)), "closing a group") }
