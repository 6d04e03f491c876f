// Files: flushing, the library's version.
#include "shim.h"

herr_t gs_flush(hid_t file, char *errbuf) {
	herr_t err = H5Fflush(file, H5F_SCOPE_GLOBAL);
	if (err < 0) gs_error_detail(errbuf);
	return err;
}

void gs_version(unsigned *maj, unsigned *min, unsigned *rel) { H5get_libversion(maj, min, rel); }
