// Property lists and dataspace constants.
#include "shim.h"

herr_t gs_set_shuffle(hid_t dcpl) { return H5Pset_shuffle(dcpl); }

hsize_t gs_unlimited(void) { return H5S_UNLIMITED; }

// gs_plugins_off keeps HDF5 from loading filter plugins in this process:
// a bitshuffle plugin on the host's plugin path would otherwise register
// filter 32008, whose set_local callback rewrites the client values a
// dataset declares. grayscott encodes and decodes that filter itself.
void gs_plugins_off(void) { H5PLset_loading_state(0); }
