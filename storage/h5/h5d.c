// Datasets: the extendible /matrix, raw chunk writes, checkpoints, reads.
#include "shim.h"

herr_t gs_set_extent(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols) {
	hsize_t dims[3] = {n, rows, cols};
	return H5Dset_extent(dset, dims);
}

// gs_append extends dset to n+1 images and writes image n, from a frame
// through the filter pipeline (chunk == NULL) or as a chunk of size bytes
// as it is stored (H5Dwrite_chunk: straight to the file, no copy). A
// chunk's bytes reach the file here (a full disk shows at this image); the
// extent and the chunk index that make it visible are metadata, written in
// order at the next flush (SWMR orders them after the data), so a reader
// or a killed run's file never shows an image whose bytes are not there.
// Through the filter pipeline in SWMR mode, HDF5 holds the filtered chunk
// back until a flush: with flush the dataset is flushed at once, so that a
// full disk shows at this image there too. On failure the error is copied
// into errbuf (GS_ERRBUF bytes) and the extent goes back to n images.
herr_t gs_append(hid_t dset, hid_t memspace, hsize_t n, hsize_t rows, hsize_t cols,
                 const float *frame, const void *chunk, size_t size, int flush, char *errbuf) {
	hsize_t dims[3] = {n + 1, rows, cols};
	hsize_t start[3] = {n, 0, 0}, count[3] = {1, rows, cols};
	herr_t err = H5Dset_extent(dset, dims);
	if (err >= 0) {
		if (chunk != NULL) {
			err = H5Dwrite_chunk(dset, H5P_DEFAULT, 0, start, size, chunk);
		} else {
			hid_t fs = H5Dget_space(dset);
			err = fs < 0 ? -1 : H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
			if (err >= 0) err = H5Dwrite(dset, H5T_NATIVE_FLOAT, memspace, fs, H5P_DEFAULT, frame);
			if (err < 0) gs_error_detail(errbuf); // before H5Sclose clears the stack
			if (fs >= 0) H5Sclose(fs);
			if (err >= 0 && flush) {
				err = H5Dflush(dset);
				if (err < 0) gs_error_detail(errbuf);
			}
		}
	}
	if (err < 0) {
		if (errbuf[0] == 0) gs_error_detail(errbuf);
		dims[0] = n;
		H5Dset_extent(dset, dims);
		H5Eclear2(H5E_DEFAULT);
	}
	return err;
}

// gs_write_2d writes src over the whole float32 dataset at path.
herr_t gs_write_2d(hid_t file, const char *path, const float *src) {
	hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
	if (d < 0) return -1;
	herr_t err = H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, src);
	H5Dclose(d);
	return err;
}

// gs_read_image reads image n of a [images, rows, cols] dataset into dst.
herr_t gs_read_image(hid_t dset, hsize_t n, hsize_t rows, hsize_t cols, float *dst) {
	hsize_t start[3] = {n, 0, 0}, count[3] = {1, rows, cols};
	hid_t fs = H5Dget_space(dset);
	if (fs < 0) return -1;
	hid_t ms = H5Screate_simple(3, count, NULL);
	herr_t err = H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
	if (err >= 0) err = H5Dread(dset, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, dst);
	H5Sclose(ms);
	H5Sclose(fs);
	return err;
}

herr_t gs_read_2d(hid_t file, const char *path, float *dst) {
	hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
	if (d < 0) return -1;
	herr_t err = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, dst);
	H5Dclose(d);
	return err;
}

// gs_open_dataset opens name without a chunk cache: every image goes to
// the file when it is written, so a failure (a full disk) shows at that
// image and no dirty chunks wait in memory to fail at close.
hid_t gs_open_dataset(hid_t file, const char *name) {
	hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
	if (dapl < 0) return -1;
	H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
	hid_t d = H5Dopen2(file, name, dapl);
	H5Pclose(dapl);
	return d;
}

herr_t gs_dataset_dims(hid_t dset, hsize_t *dims, int max) {
	hid_t sp = H5Dget_space(dset);
	if (sp < 0) return -1;
	int n = H5Sget_simple_extent_ndims(sp);
	if (n != max) { H5Sclose(sp); return -1; }
	herr_t err = H5Sget_simple_extent_dims(sp, dims, NULL) < 0 ? -1 : 0;
	H5Sclose(sp);
	return err;
}

herr_t gs_close_dataset(hid_t d) { return H5Dclose(d); }

long long gs_storage_size(hid_t dset) { return (long long)H5Dget_storage_size(dset); }

// gs_create_matrix creates the image dataset name: float32 [0, rows,
// cols], extendible along images, one chunk per image, shuffled and
// deflated at level when level > 0, or declaring the optional filter
// filter (when not 0) with its ncd client values cd: chunks encoded
// outside HDF5 and written directly. It returns the dataset or -1.
hid_t gs_create_matrix(hid_t file, const char *name, hsize_t rows, hsize_t cols, int level,
                       int filter, const unsigned *cd, size_t ncd) {
	hsize_t dims[3] = {0, rows, cols}, maxd[3] = {H5S_UNLIMITED, rows, cols}, chunk[3] = {1, rows, cols};
	hid_t space = H5Screate_simple(3, dims, maxd);
	hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
	hid_t d = -1;
	if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 3, chunk) >= 0 &&
	    // Shuffle first: grouping the floats' bytes makes deflate far more effective.
	    (level == 0 || (H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, (unsigned)level) >= 0)) &&
	    // Optional: HDF5 creates the dataset without the filter's code.
	    (filter == 0 || H5Pset_filter(dcpl, (H5Z_filter_t)filter, H5Z_FLAG_OPTIONAL, ncd, cd) >= 0)) {
		d = H5Dcreate2(file, name, H5T_NATIVE_FLOAT, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	}
	if (dcpl >= 0) H5Pclose(dcpl);
	if (space >= 0) H5Sclose(space);
	return d;
}

// gs_filter_values reads the client values of filter in dset's creation
// properties into cd (*ncd of room; *ncd becomes their number). It
// returns 1 when dset declares the filter, 0 when not, -1 on error.
int gs_filter_values(hid_t dset, int filter, unsigned *cd, size_t *ncd) {
	hid_t dcpl = H5Dget_create_plist(dset);
	if (dcpl < 0) return -1;
	int n = H5Pget_nfilters(dcpl), found = 0;
	for (int i = 0; i < n && !found; i++) {
		unsigned flags;
		size_t room = *ncd;
		char name[64];
		H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &room, cd, sizeof name, name, NULL);
		if (id == (H5Z_filter_t)filter) {
			found = 1;
			*ncd = room;
		}
	}
	H5Pclose(dcpl);
	return n < 0 ? -1 : found;
}

// gs_read_chunk reads image n's chunk as it is stored (H5Dread_chunk, no
// filter run) into buf, of cap bytes. It returns the chunk's size, 0 for
// a chunk never written, -1 on error, -2 when buf is too small; *mask is
// the filters skipped (bit i: filter i was not applied).
long long gs_read_chunk(hid_t dset, hsize_t n, void *buf, size_t cap, unsigned *mask) {
	hsize_t off[3] = {n, 0, 0}, size = 0;
	if (H5Dget_chunk_storage_size(dset, off, &size) < 0) return -1;
	if (size == 0) return 0;
	if (size > cap) return -2;
	if (H5Dread_chunk(dset, H5P_DEFAULT, off, mask, buf) < 0) return -1;
	return (long long)size;
}

// gs_ensure_group opens the group name in loc, creating it when missing.
hid_t gs_ensure_group(hid_t loc, const char *name) {
	htri_t have = H5Lexists(loc, name, H5P_DEFAULT);
	if (have < 0) return -1;
	return have ? H5Gopen2(loc, name, H5P_DEFAULT) : H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

// gs_ensure_2d opens the float32 [rows, cols] dataset name in loc,
// creating it when missing.
hid_t gs_ensure_2d(hid_t loc, const char *name, hsize_t rows, hsize_t cols) {
	htri_t have = H5Lexists(loc, name, H5P_DEFAULT);
	if (have < 0) return -1;
	if (have) return H5Dopen2(loc, name, H5P_DEFAULT);
	hsize_t dims[2] = {rows, cols};
	hid_t sp = H5Screate_simple(2, dims, NULL);
	if (sp < 0) return -1;
	hid_t d = H5Dcreate2(loc, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	H5Sclose(sp);
	return d;
}

// gs_memspace is the memory dataspace of one image, [1, rows, cols].
hid_t gs_memspace(hsize_t rows, hsize_t cols) {
	hsize_t dims[3] = {1, rows, cols};
	return H5Screate_simple(3, dims, NULL);
}

herr_t gs_close_space(hid_t s) { return H5Sclose(s); }

// gs_refresh makes a SWMR reader's dataset show what the writer has
// published since it was opened (its extent, its chunks).
herr_t gs_refresh(hid_t d) { return H5Drefresh(d); }
