// Errors: HDF5's stack is not printed; its innermost message is returned.
#include <stdio.h>
#include "shim.h"

// HDF5 prints its error stack to stderr by default; errors are returned
// instead, with the innermost message of the stack (see gs_error_detail).
void gs_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

static herr_t gs_walk(unsigned n, const H5E_error2_t *e, void *data) {
	char *buf = (char *)data;
	// The innermost entry is walked last and holds the root cause
	// ("errno = 28, error message = 'No space left on device'").
	snprintf(buf, GS_ERRBUF, "%s: %s", e->func_name, e->desc);
	return 0;
}

// gs_error_detail copies the current thread's innermost HDF5 error into buf
// (GS_ERRBUF bytes) and clears the stack.
void gs_error_detail(char *buf) {
	buf[0] = 0;
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, gs_walk, buf);
	H5Eclear2(H5E_DEFAULT);
}

void gs_error_clear(void) { H5Eclear2(H5E_DEFAULT); }
