// Property lists and dataspace constants.
#include "shim.h"

herr_t gs_set_shuffle(hid_t dcpl) { return H5Pset_shuffle(dcpl); }

hsize_t gs_unlimited(void) { return H5S_UNLIMITED; }
