// Every name in the file (datasets, groups, attributes) comes from Go.
// The HDF5 calls gonum.org/v1/hdf5 lacks (unlimited extents, shuffle,
// attribute overwrite, raw chunk writes, flush, error details, library
// version), one C file per HDF5 API as gonum/hdf5 splits its own: h5a.c
// attributes, h5d.c datasets, h5e.c errors, h5f.c files, h5p.c property
// lists. Handles are hid_t; none reaches an exported Go signature.
#ifndef GRAYSCOTT_H5_SHIM_H
#define GRAYSCOTT_H5_SHIM_H

#include <stdlib.h>
#include <hdf5.h>

// The size of the buffers that carry an HDF5 error message back to Go.
#define GS_ERRBUF 512

// h5a.c
herr_t gs_attr_f32(hid_t loc, const char *name, float v);
herr_t gs_attr_i64(hid_t loc, const char *name, long long v);
herr_t gs_attr_str(hid_t loc, const char *name, const char *v);
herr_t gs_attr_read_str(hid_t loc, const char *name, char *buf, size_t n);
herr_t gs_attr_read_i64(hid_t loc, const char *name, long long *dst);
herr_t gs_attr_read_f32(hid_t loc, const char *name, float *dst);
int gs_attr_count(hid_t loc);
int gs_attr_info(hid_t loc, int idx, char *name, size_t n);
herr_t gs_attr_delete(hid_t loc, const char *name);
htri_t gs_attr_exists(hid_t loc, const char *name);

// h5d.c
herr_t gs_set_extent(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols);
herr_t gs_append(hid_t dset, hid_t memspace, hsize_t n, hsize_t rows, hsize_t cols,
                 const float *frame, const void *chunk, size_t size, int flush, char *errbuf);
herr_t gs_write_2d(hid_t file, const char *path, const float *src);
herr_t gs_read_image(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols, float *dst);
herr_t gs_read_2d(hid_t file, const char *path, float *dst);
hid_t gs_open_dataset(hid_t file, const char *name);
hid_t gs_create_matrix(hid_t file, const char *name, hsize_t rows, hsize_t cols, int level,
                       int filter, const unsigned *cd, size_t ncd);
int gs_filter_values(hid_t dset, int filter, unsigned *cd, size_t *ncd);
long long gs_read_chunk(hid_t dset, hsize_t n, void *buf, size_t cap, unsigned *mask);
hid_t gs_ensure_group(hid_t loc, const char *name);
hid_t gs_ensure_2d(hid_t loc, const char *name, hsize_t rows, hsize_t cols);
hid_t gs_memspace(hsize_t rows, hsize_t cols);
herr_t gs_close_space(hid_t s);
herr_t gs_refresh(hid_t d);
herr_t gs_dataset_dims(hid_t dset, hsize_t *dims, int max);
herr_t gs_close_dataset(hid_t d);
long long gs_storage_size(hid_t dset);

// h5e.c
void gs_quiet(void);
void gs_error_detail(char *buf);
void gs_error_clear(void);

// h5f.c
hid_t gs_create_file(const char *path, int truncate, char *errbuf);
hid_t gs_open_file(const char *path, int write, int swmr_read, char *errbuf);
int gs_cloexec(hid_t file);
int gs_file_fd(hid_t file);
herr_t gs_repair_file(const char *path, char *errbuf);
herr_t gs_start_swmr(hid_t file, char *errbuf);
herr_t gs_close_file(hid_t file);
hid_t gs_open_group(hid_t loc, const char *name);
herr_t gs_close_group(hid_t g);
herr_t gs_flush(hid_t file, char *errbuf);
void gs_version(unsigned *maj, unsigned *min, unsigned *rel);

// h5p.c
herr_t gs_set_shuffle(hid_t dcpl);
void gs_plugins_off(void);
hsize_t gs_unlimited(void);

#endif
