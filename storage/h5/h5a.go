package h5

// Attributes (see h5a.c).

// #include "shim.h"
import "C"

import (
	"fmt"
	"unsafe"

	"grayscott/storage"
)

// writeAttr writes (or overwrites) the scalar attribute name on loc.
func writeAttr(loc int64, name string, v any) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var rc C.herr_t
	switch v := v.(type) {
	case float32:
		rc = C.gs_attr_f32(C.hid_t(loc), cname, C.float(v))
	case int:
		rc = C.gs_attr_i64(C.hid_t(loc), cname, C.longlong(v))
	case int64:
		rc = C.gs_attr_i64(C.hid_t(loc), cname, C.longlong(v))
	case bool:
		b := 0
		if v {
			b = 1
		}
		rc = C.gs_attr_i64(C.hid_t(loc), cname, C.longlong(b))
	case string:
		cv := C.CString(v)
		defer C.free(unsafe.Pointer(cv))
		rc = C.gs_attr_str(C.hid_t(loc), cname, cv)
	default:
		return fmt.Errorf("h5: attribute %s: unsupported type %T", name, v)
	}
	return herr(rc, "writing attribute %s", name)
}

func readStringAttr(loc int64, name string) (string, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var buf [4096]C.char
	if C.gs_attr_read_str(C.hid_t(loc), cname, &buf[0], C.size_t(len(buf))) < 0 {
		clearErrors()
		return "", fmt.Errorf("h5: no string attribute %s", name)
	}
	return C.GoString(&buf[0]), nil
}

func readIntAttr(loc int64, name string) (int64, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var v C.longlong
	if C.gs_attr_read_i64(C.hid_t(loc), cname, &v) < 0 {
		clearErrors()
		return 0, fmt.Errorf("h5: no integer attribute %s", name)
	}
	return int64(v), nil
}

func readFloatAttr(loc int64, name string) (float32, error) {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var v C.float
	if C.gs_attr_read_f32(C.hid_t(loc), cname, &v) < 0 {
		clearErrors()
		return 0, fmt.Errorf("h5: no float attribute %s", name)
	}
	return float32(v), nil
}

// readAttrs reads every scalar attribute of loc that is an integer, a
// float or a string, in creation order where the file tracks it.
func readAttrs(loc int64) ([]storage.Attr, error) {
	n := int(C.gs_attr_count(C.hid_t(loc)))
	if n < 0 {
		return nil, hdf5Err(errHDF5, "counting attributes")
	}
	var attrs []storage.Attr
	for i := range n {
		var buf [256]C.char
		cls := C.gs_attr_info(C.hid_t(loc), C.int(i), &buf[0], C.size_t(len(buf)))
		name := C.GoString(&buf[0])
		var v any
		var err error
		switch cls {
		case 0:
			v, err = readIntAttr(loc, name)
		case 1:
			var f float32
			f, err = readFloatAttr(loc, name)
			v = f
		case 2:
			v, err = readStringAttr(loc, name)
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, storage.Attr{Name: name, Value: v})
	}
	clearErrors()
	return attrs, nil
}

func deleteAttr(loc int64, name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return herr(C.gs_attr_delete(C.hid_t(loc), cname), "deleting attribute %s", name)
}

// attrExists reports whether loc has the attribute name.
func attrExists(loc int64, name string) bool {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	ok := C.gs_attr_exists(C.hid_t(loc), cname) > 0
	clearErrors()
	return ok
}
