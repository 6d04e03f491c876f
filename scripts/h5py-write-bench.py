#!/usr/bin/python3
"""The obvious h5py script that writes what grayscott's storage stage writes,
for docs/BENCHMARKS.md's comparison (issue 22): IMAGES float32 images of
ROWS x COLS into /matrix, one chunk per image, the dataset resized before
each image, HDF5 1.10's format (libver v110, as grayscott), an fsync at the
end; the same with direct chunk writes into a dataset made at its full size.
Prints the median MB/s of raw image bytes over REPEATS, with the range.

    scripts/h5py-write-bench.py --dir /dev/shm --rows 1080 --cols 1920 --images 20 --repeats 5

Use Debian's interpreter (/usr/bin/python3), which has h5py.
"""
import argparse
import os
import statistics
import time

import h5py
import numpy as np


def resize_and_write(path, frames):
    start = time.perf_counter()
    with h5py.File(path, "w", libver=("v110", "latest")) as f:
        rows, cols = frames[0].shape
        d = f.create_dataset("matrix", shape=(0, rows, cols), maxshape=(None, rows, cols),
                             chunks=(1, rows, cols), dtype="f4")
        for i, fr in enumerate(frames):
            d.resize(i + 1, axis=0)
            d[i] = fr
        f.flush()
        os.fsync(f.id.get_vfd_handle())
    return time.perf_counter() - start


def direct_chunks(path, frames):
    start = time.perf_counter()
    with h5py.File(path, "w", libver=("v110", "latest")) as f:
        rows, cols = frames[0].shape
        d = f.create_dataset("matrix", shape=(len(frames), rows, cols), chunks=(1, rows, cols), dtype="f4")
        for i, fr in enumerate(frames):
            d.id.write_direct_chunk((i, 0, 0), fr.tobytes())
        f.flush()
        os.fsync(f.id.get_vfd_handle())
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="/dev/shm")
    ap.add_argument("--rows", type=int, default=1080)
    ap.add_argument("--cols", type=int, default=1920)
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.default_rng(1)
    frames = [rng.random((a.rows, a.cols), dtype=np.float32) for _ in range(a.images)]
    mb = a.images * a.rows * a.cols * 4 / 1e6
    path = os.path.join(a.dir, "h5py-write-bench-%d.h5" % os.getpid())
    try:
        for name, write in (("resize+write", resize_and_write), ("direct chunks", direct_chunks)):
            rates = [mb / write(path, frames) for _ in range(a.repeats)]
            print("h5py %-13s %s images of %dx%d in %s: median %.0f MB/s [%.0f..%.0f]" % (
                name, a.images, a.rows, a.cols, a.dir, statistics.median(rates), min(rates), max(rates)))
    finally:
        if os.path.exists(path):
            os.remove(path)


if __name__ == "__main__":
    main()
