package h5

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// A writer in HDF5 1.10 marks the file's superblock (its status flags:
// "open for writing", "open for SWMR writing") and only a clean close
// clears the mark. A file whose writer was killed keeps it, and every
// reader but an SWMR one refuses the file ("file is already open for
// write (may use <h5clear file> to clear file consistency flags)"):
// h5py.File(path, "r"), h5dump, ParaView. WriterMark reads the mark,
// Recover clears it once no process writes the file, as h5clear -s does.

// ErrNotHDF5 is returned for a file that has no HDF5 superblock.
var ErrNotHDF5 = errors.New("h5: not an HDF5 file")

// hdf5Signature starts an HDF5 superblock.
var hdf5Signature = []byte("\x89HDF\r\n\x1a\n")

// Superblock status flags (HDF5's H5Fpkg.h), byte 11 of superblocks of
// version 2 and 3; HDF5 1.10 sets and checks them in version 3.
const (
	superWriteAccess     = 0x01
	superSWMRWriteAccess = 0x04
)

// WriterMark reports whether path's superblock carries a writer's mark:
// HDF5's "open for writing" status flags, set while a writer has the file
// open and left behind when the writer dies. A file that carries it opens
// only in SWMR readers (Open, h5py with swmr=True), until the writer closes
// it or Recover clears it. It reads a few bytes and changes nothing. A
// file without an HDF5 superblock gives ErrNotHDF5; a missing one an error
// for which errors.Is(err, fs.ErrNotExist) holds.
func WriterMark(path string) (set bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	// The superblock is at 0, 512, 1024, 2048, ... (after a user block).
	var sb [12]byte
	for off := int64(0); ; off = max(512, 2*off) {
		if _, err := f.ReadAt(sb[:], off); err != nil {
			if errors.Is(err, io.EOF) {
				return false, fmt.Errorf("%w: %s", ErrNotHDF5, path)
			}
			return false, fmt.Errorf("h5: reading %s: %w", path, err)
		}
		if bytes.Equal(sb[:8], hdf5Signature) {
			break
		}
	}
	version, flags := sb[8], sb[11]
	return version >= 3 && flags&(superWriteAccess|superSWMRWriteAccess) != 0, nil
}

// Abandoned reports whether path carries a writer's mark (WriterMark)
// while no run writes it: the file of a run that was killed with nothing
// to clear the mark after it (see package guard), which Recover repairs.
// It takes no lock and changes nothing.
func Abandoned(path string) (bool, error) {
	set, err := WriterMark(path)
	if err != nil || !set {
		return false, err
	}
	busy, err := writerHolds(path)
	if err != nil {
		return false, err
	}
	return !busy, nil
}

// RecoverResult says what Recover did.
type RecoverResult struct {
	// Cleared is true when the file carried a writer's mark and Recover
	// cleared it, false when the file had none and was left untouched.
	Cleared bool
}

// Recover makes a file whose writer died open in every HDF5 reader: it
// clears the writer's mark from the superblock exactly as h5clear -s
// --increment=0 does (the end of allocated space is set past what the
// writer wrote after its last flush, so nothing is cut off). Nothing else
// changes: the images, attributes and checkpoints stay as the writer left
// them, and grayscott run --resume continues the file as before.
//
//   - A file without the mark is left untouched: RecoverResult{}, nil.
//   - A file that a process is writing is refused with ErrInUse and left
//     untouched: a run in SWMR mode (the writer's lock, see lockWriter),
//     or any HDF5 writer holding HDF5's own lock. SWMR readers do not stop
//     a recovery; they go on reading.
//   - A file that is not HDF5 gives ErrNotHDF5; a missing one an error for
//     which errors.Is(err, fs.ErrNotExist) holds.
//   - On a file system without file locks nothing can tell whether a
//     process writes the file: Recover refuses with an error saying so.
//
// While Recover works it holds locks that make a resume, a new writer or
// another recovery of the same file wait their turn (they are refused).
func Recover(path string) (RecoverResult, error) {
	quiet()
	set, err := WriterMark(path)
	if err != nil || !set {
		return RecoverResult{}, err
	}
	lk, err := lockForRepair(path)
	if err != nil {
		return RecoverResult{}, err
	}
	defer lk.Close()
	// A writer may have closed the file between the first look and the
	// locks.
	if set, err := WriterMark(path); err != nil || !set {
		return RecoverResult{}, err
	}
	if err := repairFile(path); err != nil {
		return RecoverResult{}, err
	}
	if set, err := WriterMark(path); err != nil || set {
		return RecoverResult{}, fmt.Errorf("h5: %s still carries a writer's mark after clearing it (%v)", path, err)
	}
	return RecoverResult{Cleared: true}, nil
}
