package h5test

// A seam for the tests of a host's HDF5 filter plugin: grayscott turns
// HDF5's plugin loading off (storage/h5), so a plugin reaches its process
// only if something registers it there; RegisterPlugin does, as a library
// linked into grayscott could.

// #cgo pkg-config: hdf5
// #cgo LDFLAGS: -ldl
// #include <dlfcn.h>
// #include <stdlib.h>
// #include <stdio.h>
// #include <hdf5.h>
//
// typedef const void *(*gs_plugin_info_fn)(void);
//
// // gs_register_plugin loads the HDF5 filter plugin at path and registers
// // its filter in this process's HDF5 library, as HDF5's own plugin loading
// // would. It returns NULL, or what failed.
// static const char *gs_register_plugin(const char *path) {
// 	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
// 	if (lib == NULL) return dlerror();
// 	gs_plugin_info_fn info = (gs_plugin_info_fn)dlsym(lib, "H5PLget_plugin_info");
// 	if (info == NULL) return "no H5PLget_plugin_info in the library";
// 	const void *cls = info();
// 	if (cls == NULL) return "H5PLget_plugin_info returned NULL";
// 	if (H5Zregister(cls) < 0) return "H5Zregister failed";
// 	return NULL;
// }
//
// static herr_t gs_loud_errors(int on) {
// 	return on ? H5Eset_auto2(H5E_DEFAULT, (H5E_auto2_t)H5Eprint2, stderr) : H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
// }
import "C"

import (
	"testing"
	"unsafe"
)

// RegisterPlugin loads the HDF5 filter plugin library lib (for example
// Debian's libh5bshuf.so) into this process and registers its filter,
// whose id is filter, in HDF5 until the test ends. The library stays
// loaded (HDF5 may still hold its callbacks); only the registration is
// undone.
func RegisterPlugin(tb testing.TB, lib string, filter int) {
	tb.Helper()
	cpath := C.CString(lib)
	defer C.free(unsafe.Pointer(cpath))
	if msg := C.gs_register_plugin(cpath); msg != nil {
		tb.Fatalf("registering the HDF5 plugin %s: %s", lib, C.GoString(msg))
	}
	if avail := C.H5Zfilter_avail(C.H5Z_filter_t(filter)); avail <= 0 {
		tb.Fatalf("%s registered, but HDF5 says filter %d is not available (%d)", lib, filter, avail)
	}
	tb.Cleanup(func() {
		if C.H5Zunregister(C.H5Z_filter_t(filter)) < 0 {
			tb.Errorf("unregistering filter %d of %s", filter, lib)
		}
	})
}

// LoudErrors makes HDF5 print its error stacks on stderr again, as it does
// by default, for the calling OS thread (the setting is per thread), until
// the test ends. The caller locks its goroutine to its thread
// (runtime.LockOSThread): it is how a grayscott call behaves on a thread
// where nothing turned the printing off.
func LoudErrors(tb testing.TB) {
	tb.Helper()
	if C.gs_loud_errors(1) < 0 {
		tb.Fatal("H5Eset_auto2 failed")
	}
	tb.Cleanup(func() { C.gs_loud_errors(0) })
}
