// Files: flushing, the library's version.
#include "shim.h"

#include <fcntl.h>

herr_t gs_flush(hid_t file, char *errbuf) {
	herr_t err = H5Fflush(file, H5F_SCOPE_GLOBAL);
	if (err < 0) gs_error_detail(errbuf);
	return err;
}

void gs_version(unsigned *maj, unsigned *min, unsigned *rel) { H5get_libversion(maj, min, rel); }

// gs_create_file creates path in HDF5 1.10's format (superblock version 3),
// which SWMR needs; truncate overwrites an existing file, else it must not
// exist. On failure the error goes into errbuf (GS_ERRBUF bytes).
hid_t gs_create_file(const char *path, int truncate, char *errbuf) {
	errbuf[0] = 0;
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0 || H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST) < 0) {
		gs_error_detail(errbuf);
		if (fapl >= 0) H5Pclose(fapl);
		return -1;
	}
	hid_t f = H5Fcreate(path, truncate ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, fapl);
	if (f < 0) gs_error_detail(errbuf);
	H5Pclose(fapl);
	return f;
}

// set_repair sets on fapl the file-access properties of h5clear -s
// --increment=0: clear the status flags, and set the end of allocated space
// past what a killed SWMR writer wrote after its last flush (else new space
// is allocated over it, and closing the file would cut it off).
static void set_repair(hid_t fapl) {
	hbool_t on = 1;
	if (H5Pset(fapl, "clear_status_flags", &on) < 0 || H5Pset(fapl, "skip_eof_check", &on) < 0 ||
	    H5Pset(fapl, "null_fsm_addr", &on) < 0) {
		H5Eclear2(H5E_DEFAULT);
	}
}

// gs_open_file opens path read-write, or read-only with swmr_read (a
// reader of a file a SWMR writer may be writing). A writer repairs what a
// writer killed in SWMR mode left (set_repair).
hid_t gs_open_file(const char *path, int write, int swmr_read, char *errbuf) {
	errbuf[0] = 0;
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0) { gs_error_detail(errbuf); return -1; }
	unsigned flags = H5F_ACC_RDONLY;
	if (write) {
		flags = H5F_ACC_RDWR;
		set_repair(fapl);
	} else if (swmr_read) {
		flags |= H5F_ACC_SWMR_READ;
	}
	hid_t f = H5Fopen(path, flags, fapl);
	if (f < 0) {
		gs_error_detail(errbuf);
	} else if (write && H5Fincrement_filesize(f, 0) < 0) {
		gs_error_detail(errbuf);
		H5Fclose(f);
		f = -1;
	}
	H5Pclose(fapl);
	return f;
}

// gs_start_swmr switches an open file to SWMR writing: from then on
// readers that open it with SWMR see what the flushes publish. No object
// may be created from then on, and no attribute may be open.
herr_t gs_start_swmr(hid_t file, char *errbuf) {
	herr_t err = H5Fstart_swmr_write(file);
	if (err < 0) gs_error_detail(errbuf);
	return err;
}

herr_t gs_close_file(hid_t file) { return H5Fclose(file); }

// gs_repair_file clears the status flags a killed writer left in path's
// superblock and closes the file, as h5clear -s --increment=0 does. HDF5's
// own file lock is not taken: the caller holds locks that stand for it
// (see Recover), and a reader that keeps the file open with SWMR does not
// stop the repair.
herr_t gs_repair_file(const char *path, char *errbuf) {
	errbuf[0] = 0;
	gs_quiet(); // this thread's error stack goes to errbuf, not stderr
	hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
	if (fapl < 0 || H5Pset_file_locking(fapl, 0, 1) < 0) {
		gs_error_detail(errbuf);
		if (fapl >= 0) H5Pclose(fapl);
		return -1;
	}
	set_repair(fapl);
	hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl);
	if (f < 0) gs_error_detail(errbuf); // before the next call clears the stack
	H5Pclose(fapl);
	if (f < 0) return -1;
	if (H5Fincrement_filesize(f, 0) < 0) {
		gs_error_detail(errbuf);
		H5Fclose(f);
		return -1;
	}
	if (H5Fclose(f) < 0) {
		gs_error_detail(errbuf);
		return -1;
	}
	return 0;
}

// gs_file_fd returns the descriptor through which HDF5 reads and writes
// file, or -1.
int gs_file_fd(hid_t file) {
	void *handle = NULL;
	if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == NULL) {
		H5Eclear2(H5E_DEFAULT);
		return -1;
	}
	return *(int *)handle;
}

// gs_cloexec marks the file's descriptor close-on-exec: HDF5 opens it
// without, and a child process started meanwhile (a sweep's runs, ffmpeg)
// would inherit it and with it the file's locks (HDF5's and the writer's).
int gs_cloexec(hid_t file) {
	int fd = gs_file_fd(file);
	if (fd < 0) return -1;
	int flags = fcntl(fd, F_GETFD);
	return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

hid_t gs_open_group(hid_t loc, const char *name) { return H5Gopen2(loc, name, H5P_DEFAULT); }

herr_t gs_close_group(hid_t g) { return H5Gclose(g); }
