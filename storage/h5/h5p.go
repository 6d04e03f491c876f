package h5

// Property lists (see h5p.c).

// #include "shim.h"
import "C"

func setShuffle(dcpl int64) error {
	return herr(C.gs_set_shuffle(C.hid_t(dcpl)), "enabling the shuffle filter")
}

// unlimited is H5S_UNLIMITED as gonum's uint dimensions carry it.
var unlimited = uint(C.gs_unlimited())
