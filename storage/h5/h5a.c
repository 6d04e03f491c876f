// Attributes: scalar numbers and UTF-8 strings, written in place.
#include <stdio.h>
#include "shim.h"

// gs_replace_attr writes *v (of memory type t) to the scalar attribute
// name on loc: in place when it exists (cheap enough for every flush, and
// no file space is lost), else created. An existing attribute that cannot
// take the value is deleted and created anew.
static herr_t gs_replace_attr(hid_t loc, const char *name, hid_t t, const void *v) {
	htri_t exists = H5Aexists(loc, name);
	if (exists < 0) return -1;
	if (exists > 0) {
		hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
		if (a >= 0) {
			herr_t err = H5Awrite(a, t, v);
			H5Aclose(a);
			if (err >= 0) return 0;
		}
		H5Eclear2(H5E_DEFAULT);
		if (H5Adelete(loc, name) < 0) return -1;
	}
	hid_t space = H5Screate(H5S_SCALAR);
	if (space < 0) return -1;
	hid_t a = H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
	H5Sclose(space);
	if (a < 0) return -1;
	herr_t err = H5Awrite(a, t, v);
	H5Aclose(a);
	return err;
}

herr_t gs_attr_f32(hid_t loc, const char *name, float v) {
	return gs_replace_attr(loc, name, H5T_NATIVE_FLOAT, &v);
}

herr_t gs_attr_i64(hid_t loc, const char *name, long long v) {
	return gs_replace_attr(loc, name, H5T_NATIVE_LLONG, &v);
}

// gs_attr_str writes a variable-length UTF-8 string (what h5py writes and
// reads back as str).
herr_t gs_attr_str(hid_t loc, const char *name, const char *v) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) return -1;
	H5Tset_size(t, H5T_VARIABLE);
	H5Tset_cset(t, H5T_CSET_UTF8);
	herr_t err = gs_replace_attr(loc, name, t, &v);
	H5Tclose(t);
	return err;
}

// gs_attr_read_str reads a string attribute, variable or fixed length,
// into buf (n bytes, NUL-terminated). It returns -1 when it is missing or
// not a string.
herr_t gs_attr_read_str(hid_t loc, const char *name, char *buf, size_t n) {
	buf[0] = 0;
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t ft = H5Aget_type(a);
	herr_t err = -1;
	if (H5Tget_class(ft) == H5T_STRING) {
		if (H5Tis_variable_str(ft) > 0) {
			hid_t mt = H5Tcopy(H5T_C_S1);
			H5Tset_size(mt, H5T_VARIABLE);
			H5Tset_cset(mt, H5Tget_cset(ft)); // HDF5 does not convert between ASCII and UTF-8
			char *s = NULL;
			err = H5Aread(a, mt, &s);
			if (err >= 0 && s != NULL) {
				snprintf(buf, n, "%s", s);
				H5free_memory(s);
			}
			H5Tclose(mt);
		} else {
			size_t sz = H5Tget_size(ft);
			char *tmp = calloc(sz + 1, 1);
			hid_t mt = H5Tcopy(H5T_C_S1);
			H5Tset_size(mt, sz);
			H5Tset_cset(mt, H5Tget_cset(ft));
			err = H5Aread(a, mt, tmp);
			if (err >= 0) snprintf(buf, n, "%s", tmp);
			free(tmp);
			H5Tclose(mt);
		}
	}
	H5Tclose(ft);
	H5Aclose(a);
	return err;
}

static herr_t gs_attr_read_num(hid_t loc, const char *name, hid_t memtype, void *dst) {
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	herr_t err = H5Aread(a, memtype, dst);
	H5Aclose(a);
	return err;
}

herr_t gs_attr_read_i64(hid_t loc, const char *name, long long *dst) {
	return gs_attr_read_num(loc, name, H5T_NATIVE_LLONG, dst);
}

herr_t gs_attr_read_f32(hid_t loc, const char *name, float *dst) {
	return gs_attr_read_num(loc, name, H5T_NATIVE_FLOAT, dst);
}

// gs_attr_count returns the number of attributes on loc, or -1.
int gs_attr_count(hid_t loc) {
	H5O_info_t info;
	if (H5Oget_info2(loc, &info, H5O_INFO_NUM_ATTRS) < 0) return -1;
	return (int)info.num_attrs;
}

// gs_attr_info copies the name of attribute idx into name (n bytes) and
// returns its class: 0 integer, 1 float, 2 string, 3 other, -1 error.
int gs_attr_info(hid_t loc, int idx, char *name, size_t n) {
	if (H5Aget_name_by_idx(loc, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, (hsize_t)idx, name, n, H5P_DEFAULT) < 0 &&
	    H5Aget_name_by_idx(loc, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)idx, name, n, H5P_DEFAULT) < 0) {
		return -1;
	}
	hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
	if (a < 0) return -1;
	hid_t t = H5Aget_type(a);
	hid_t sp = H5Aget_space(a);
	int cls = 3;
	if (H5Sget_simple_extent_npoints(sp) == 1) {
		switch (H5Tget_class(t)) {
		case H5T_INTEGER: cls = 0; break;
		case H5T_FLOAT: cls = 1; break;
		case H5T_STRING: cls = 2; break;
		default: break;
		}
	}
	H5Sclose(sp);
	H5Tclose(t);
	H5Aclose(a);
	return cls;
}

herr_t gs_attr_delete(hid_t loc, const char *name) {
	htri_t e = H5Aexists(loc, name);
	if (e <= 0) return e < 0 ? -1 : 0;
	return H5Adelete(loc, name);
}

htri_t gs_attr_exists(hid_t loc, const char *name) { return H5Aexists(loc, name); }
