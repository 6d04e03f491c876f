"""Checks a grayscott XDMF sidecar in ParaView's three XDMF readers.

Usage (under pvpython, e.g. xvfb-run -a pvpython scripts/paraview_check.py):

    pvpython scripts/paraview_check.py RUN.xmf RUN.h5

For each reader (Xdmf3ReaderS, Xdmf3ReaderT, XDMFReader) and each of its
timesteps i it checks that the data set has a point array V of exactly
rows*cols tuples whose values equal /matrix[i] of RUN.h5 (read with h5py)
at the right places; that the points lie in the XY plane (z = 0) on a grid
of unit spacing; and that the reader printed nothing on stderr.

Orientation convention (the one `grayscott render` draws): column c is at
x = c, increasing to the right; row r is at y = rows-1-r, so row 0 is the
top row (the largest y) and the image fills x in [0, cols-1], y in
[0, rows-1], z = 0. The check maps each point's (x, y) back to (row, col)
by those formulas, so a mirrored, transposed or shifted image fails it.
V must also be a float32 array, like /matrix.

It also checks that OpenDataFile (what File > Open does) picks one of the
three readers.

It exits 1 with a message per failure, 0 when everything holds.
"""

import os
import sys
import tempfile

import h5py
import numpy as np

READERS = ("Xdmf3ReaderS", "Xdmf3ReaderT", "XDMFReader")
MAX_REPORTS = 8


def fail_list():
    failures = []

    def fail(msg):
        failures.append(msg)
        if len(failures) <= 40:
            print("FAIL: " + msg, flush=True)

    return failures, fail


class StderrCapture:
    """Captures file descriptor 2 (where VTK and HDF5 print) into a string."""

    def __enter__(self):
        sys.stderr.flush()
        self.tmp = tempfile.TemporaryFile(mode="w+b")
        self.saved = os.dup(2)
        os.dup2(self.tmp.fileno(), 2)
        self.text = ""
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.tmp.seek(0)
        self.text = self.tmp.read().decode("utf-8", "replace")
        self.tmp.close()
        return False


def leaves(obj):
    """The non-composite data sets under obj (obj itself when it is one)."""
    from vtkmodules.vtkCommonDataModel import vtkCompositeDataSet

    if not isinstance(obj, vtkCompositeDataSet):
        return [obj] if obj is not None else []
    out = []
    it = obj.NewIterator()
    it.InitTraversal()
    while not it.IsDoneWithTraversal():
        out.append(it.GetCurrentDataObject())
        it.GoToNextItem()
    return out


def check_image(fail, where, ds, want):
    """Checks one image: ds (a VTK data set) against want, a rows x cols array."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    rows, cols = want.shape
    arr = ds.GetPointData().GetArray("V")
    if arr is None:
        names = [ds.GetPointData().GetArrayName(k) for k in range(ds.GetPointData().GetNumberOfArrays())]
        cnames = [ds.GetCellData().GetArrayName(k) for k in range(ds.GetCellData().GetNumberOfArrays())]
        fail("%s: no point array V (point arrays %s, cell arrays %s, %d points)"
             % (where, names, cnames, ds.GetNumberOfPoints()))
        return
    if arr.GetDataTypeAsString() != "float":
        fail("%s: V is a %s array, want float (float32 like /matrix)" % (where, arr.GetDataTypeAsString()))
    if arr.GetNumberOfComponents() != 1:
        fail("%s: V has %d components, want 1" % (where, arr.GetNumberOfComponents()))
        return
    if arr.GetNumberOfTuples() != rows * cols or ds.GetNumberOfPoints() != rows * cols:
        fail("%s: V has %d tuples on %d points, want rows*cols = %d*%d = %d"
             % (where, arr.GetNumberOfTuples(), ds.GetNumberOfPoints(), rows, cols, rows * cols))
        return
    v = vtk_to_numpy(arr).astype(np.float64)
    n = ds.GetNumberOfPoints()
    pts = np.array([ds.GetPoint(k) for k in range(n)], dtype=np.float64)
    x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
    b = ds.GetBounds()
    if b[4] != 0 or b[5] != 0:
        fail("%s: bounds %s: the image is not in the XY plane (z extent %g..%g, want 0..0)" % (where, b, b[4], b[5]))
        return
    want_b = (0.0, cols - 1.0, 0.0, rows - 1.0)
    if tuple(b[:4]) != want_b:
        fail("%s: bounds x %g..%g, y %g..%g; want x 0..%d, y 0..%d (column c at x = c, row r at y = rows-1-r)"
             % (where, b[0], b[1], b[2], b[3], cols - 1, rows - 1))
    col = np.rint(x).astype(int)
    row = np.rint(rows - 1 - y).astype(int)
    if (np.abs(x - col) > 1e-6).any() or (np.abs(rows - 1 - y - row) > 1e-6).any():
        fail("%s: points off the unit grid (x = col, y = rows-1-row)" % where)
        return
    if (col < 0).any() or (col >= cols).any() or (row < 0).any() or (row >= rows).any():
        fail("%s: points outside the %dx%d grid" % (where, rows, cols))
        return
    seen = np.zeros((rows, cols), dtype=int)
    np.add.at(seen, (row, col), 1)
    if (seen != 1).any():
        fail("%s: %d grid places have no point or several" % (where, int((seen != 1).sum())))
        return
    expect = want[row, col].astype(np.float64)
    bad = np.nonzero(v != expect)[0]
    if bad.size:
        msgs = ["(row %d, col %d): V %r, /matrix %r" % (row[k], col[k], v[k], expect[k]) for k in bad[:3]]
        # Say whether it is the vertical mirror, the common mistake.
        hint = ""
        if np.array_equal(v, want[rows - 1 - row, col].astype(np.float64)):
            hint = " (the image is mirrored vertically: row 0 is at the bottom)"
        fail("%s: %d of %d values differ from /matrix%s, e.g. %s" % (where, bad.size, n, hint, "; ".join(msgs)))


def main():
    if len(sys.argv) != 3:
        print("usage: pvpython paraview_check.py RUN.xmf RUN.h5", file=sys.stderr)
        return 2
    # Xdmf3 finds FILE.h5 next to the sidecar only when given a path with a
    # directory (with a bare "t.xmf" it looks for "t.xmft.h5").
    xmf, h5 = os.path.abspath(sys.argv[1]), sys.argv[2]
    with h5py.File(h5, "r") as f:
        matrix = np.array(f["matrix"])
    if matrix.dtype != np.float32 or matrix.ndim != 3:
        print("FAIL: %s:/matrix is %s %s, want float32 [images, rows, cols]" % (h5, matrix.dtype, matrix.shape))
        return 1
    n, rows, cols = matrix.shape
    print("%s: %d images of %dx%d" % (h5, n, rows, cols), flush=True)
    if n < 2 or any(np.array_equal(matrix[i], matrix[i + 1]) for i in range(n - 1)):
        print("FAIL: %s: want at least 2 images, each different from the next, to tell timesteps apart" % h5)
        return 1

    import paraview.simple as pvs

    failures, fail = fail_list()
    for name in READERS:
        before = len(failures)
        with StderrCapture() as cap:
            try:
                # The Xdmf3 readers name the property FileName, the legacy one FileNames.
                prop = "FileNames" if name == "XDMFReader" else "FileName"
                reader = getattr(pvs, name)(**{prop: [xmf]})
                alg = reader.GetClientSideObject()
                reader.UpdatePipelineInformation()
                times = list(reader.TimestepValues)
                if len(times) != n:
                    fail("%s: %d timesteps %s, want %d" % (name, len(times), times, n))
                for i, t in enumerate(times[:n]):
                    alg.UpdateTimeStep(t)
                    sets = leaves(alg.GetOutputDataObject(0))
                    where = "%s timestep %d (t=%g)" % (name, i, t)
                    if len(sets) != 1:
                        fail("%s: %d data sets, want 1" % (where, len(sets)))
                        continue
                    check_image(fail, where, sets[0], matrix[i])
                pvs.Delete(reader)
            except Exception as e:  # a reader that throws is a failure, not a crash of the check
                fail("%s: %s: %s" % (name, type(e).__name__, e))
        text = cap.text.strip()
        if text:
            lines = text.splitlines()
            fail("%s printed on stderr (%d lines):\n    %s" % (name, len(lines), "\n    ".join(lines[:MAX_REPORTS])))
        if len(failures) == before:
            print("ok: %s: %d timesteps, V = /matrix[i] on %dx%d points, row 0 at the top, z = 0" % (name, n, rows, cols), flush=True)
    with StderrCapture() as cap:
        try:
            picked = pvs.OpenDataFile(xmf)
            picked_name = picked.GetXMLName() if picked is not None else None
            if picked_name not in READERS:
                fail("OpenDataFile picked %s, want one of %s" % (picked_name, ", ".join(READERS)))
            else:
                print("ok: OpenDataFile picks %s" % picked_name, flush=True)
        except Exception as e:
            fail("OpenDataFile: %s: %s" % (type(e).__name__, e))
    if failures:
        print("paraview_check: %d failure(s) for %s" % (len(failures), xmf))
        return 1
    print("paraview_check: all %d readers agree with %s" % (len(READERS), h5))
    return 0


if __name__ == "__main__":
    sys.exit(main())
