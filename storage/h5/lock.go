package h5

// The writer's lock (see lockWriter).

// #include "shim.h"
import "C"

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrInUse is returned for a file that another process is writing: a run
// holding it in SWMR mode, or any HDF5 writer holding HDF5's own lock.
var ErrInUse = errors.New("h5: file is being written by another process")

// lockStart is the byte the writer's lock covers: far past any data, so
// that it can mean nothing else to anyone.
const lockStart = 1 << 62

// HDF5 1.10 locks a file it opens (flock: shared for readers, exclusive
// for a writer) but drops the writer's lock when the file switches to SWMR
// writing (H5Fstart_swmr_write), so that readers can open it. From then
// on nothing tells that a process writes the file: h5clear -s, or a
// second grayscott run --resume, would succeed on it and damage it.
//
// A writer therefore holds a lock of its own, an open file description
// (OFD) lock on lockStart, from the moment HDF5 has opened or created the
// file until HDF5 closes it. It lives on HDF5's own descriptor, so:
//   - it dies with the process, however the process ends (the kernel
//     closes the descriptor), and with the file's close;
//   - no child inherits it: noInherit marks that descriptor close-on-exec;
//   - it never conflicts with HDF5's flock of the same descriptor, even on
//     NFS, where flock is emulated with byte-range locks of the same owner.
//
// OFD locks and flock are independent on local file systems: HDF5's own
// locking, and SWMR readers (which hold a shared flock), are unaffected.
// The writer holds a read lock after taking a write lock once: the write
// lock proves that no other writer or recovery holds the file, the read
// lock stays compatible with readers where flock is emulated (NFS).
// Recover tests both locks: HDF5's (a writer outside SWMR) and this one.

// lockWriter takes the writer's lock on file's descriptor. It fails with
// ErrInUse when another process holds the file; a file system without
// byte-range locks is no error (the lock is then simply not there).
func lockWriter(file int64, path string) error {
	fd := int(C.gs_file_fd(C.hid_t(file)))
	if fd < 0 {
		return nil
	}
	for _, typ := range []int16{unix.F_WRLCK, unix.F_RDLCK} {
		lk := unix.Flock_t{Type: typ, Whence: 0, Start: lockStart, Len: 1}
		if err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, &lk); err != nil {
			if held(err) {
				return fmt.Errorf("%w: %s", ErrInUse, path)
			}
			return nil // no such locks here
		}
	}
	return nil
}

// held reports whether err from a non-blocking lock means that another
// process holds the lock (rather than that the file system has no locks).
func held(err error) bool {
	return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) || errors.Is(err, unix.EWOULDBLOCK)
}

// writerHolds reports whether a writer holds the writer's lock on path.
// It takes no lock. On a file system without byte-range locks it returns
// the error that says so.
func writerHolds(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: lockStart, Len: 1}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &lk); err != nil {
		return false, fmt.Errorf("h5: cannot tell whether a process writes %s: file locks: %w", path, err)
	}
	return lk.Type != unix.F_UNLCK, nil
}

// checkNoWriter fails with ErrInUse when a writer holds path (before a
// resume or an overwrite opens it: HDF5's own lock no longer tells).
func checkNoWriter(path string) error {
	if busy, err := writerHolds(path); err == nil && busy {
		return fmt.Errorf("%w: %s", ErrInUse, path)
	}
	return nil
}

// lockForRepair returns a descriptor of path that holds what makes a
// repair safe: a shared flock (no HDF5 writer outside SWMR mode has the
// file, and none can open it meanwhile; SWMR readers may) and the
// writer's lock, exclusive (no grayscott writer has it, and none can start).
// Closing the descriptor releases both. It fails with ErrInUse when
// either is held, and with the system's error where the file system has
// no locks: then nothing can tell whether a process writes the file.
func lockForRepair(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB); err != nil {
		f.Close()
		if held(err) {
			return nil, fmt.Errorf("%w (HDF5's lock): %s", ErrInUse, path)
		}
		return nil, fmt.Errorf("h5: cannot tell whether a process writes %s: flock: %w", path, err)
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: lockStart, Len: 1}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_SETLK, &lk); err != nil {
		f.Close()
		if held(err) {
			return nil, fmt.Errorf("%w: %s", ErrInUse, path)
		}
		return nil, fmt.Errorf("h5: cannot tell whether a process writes %s: file locks: %w", path, err)
	}
	return f, nil
}
