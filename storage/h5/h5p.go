package h5

// Property lists (see h5p.c).

// #include "shim.h"
import "C"

func setShuffle(dcpl int64) error {
	return herr(C.gs_set_shuffle(C.hid_t(dcpl)), "enabling the shuffle filter")
}

// unlimited is H5S_UNLIMITED as gonum's uint dimensions carry it.
var unlimited = uint(C.gs_unlimited())

// HDF5 loads no filter plugin in a grayscott process (see gs_plugins_off):
// what is written is what grayscott declares, whatever the host has
// installed, and filter 32008 is decoded in process (storage/codec).
func init() { C.gs_plugins_off() }
