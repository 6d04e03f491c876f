"""Checks storage/codec's chunks against the real bitshuffle HDF5 plugin
(Debian's bitshuffle package), for plugin_test.go. Frames and chunks pass
through files in DIR, described by DIR/manifest.json:
  {"cd_values": [...], "datasets": [{"name", "rows", "cols", "frames"}]}
frames in DIR/NAME.f32 (little-endian float32), chunks in DIR/NAME-I.chunk.

  plugin.py direct DIR FILE  writes our chunks with write_direct_chunk into
                             FILE, filter 32008 declared optional with
                             cd_values, as grayscott's writer will (run with
                             HDF5_PLUGIN_PRELOAD=:: so that no plugin touches
                             them)
  plugin.py read DIR FILE    reads FILE back (through the plugin that HDF5
                             loads from its plugin folder) into DIR/NAME.read.f32
  plugin.py plugin DIR FILE  writes the frames through the plugin
                             (bitshuffle.h5, LZ4) and saves its stored chunks
                             as DIR/NAME-I.plugin.chunk
Each prints a JSON line of what it saw (filters, chunk sizes)."""
import json
import os
import sys

import h5py
import numpy as np


def manifest(d):
    with open(os.path.join(d, "manifest.json")) as f:
        return json.load(f)


def frames(d, ds):
    a = np.fromfile(os.path.join(d, ds["name"] + ".f32"), dtype="<f4")
    return a.reshape(ds["frames"], ds["rows"], ds["cols"])


def filters(dset):
    dcpl = dset.id.get_create_plist()
    out = []
    for i in range(dcpl.get_nfilters()):
        code, flags, values, _ = dcpl.get_filter(i)
        out.append({"id": code, "flags": flags, "cd_values": list(values)})
    return out


def direct(d, path):
    m = manifest(d)
    seen = {}
    with h5py.File(path, "w") as f:
        for ds in m["datasets"]:
            shape = (ds["frames"], ds["rows"], ds["cols"])
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_chunk((1, ds["rows"], ds["cols"]))
            dcpl.set_filter(32008, h5py.h5z.FLAG_OPTIONAL, tuple(m["cd_values"]))
            space = h5py.h5s.create_simple(shape)
            h5py.h5d.create(f.id, ds["name"].encode(), h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
            dset = f[ds["name"]]
            for i in range(ds["frames"]):
                with open(os.path.join(d, "%s-%d.chunk" % (ds["name"], i)), "rb") as c:
                    dset.id.write_direct_chunk((i, 0, 0), c.read())
            seen[ds["name"]] = filters(dset)
    print(json.dumps(seen))


def read(d, path):
    m = manifest(d)
    seen = {}
    with h5py.File(path, "r") as f:
        for ds in m["datasets"]:
            dset = f[ds["name"]]
            dset[...].astype("<f4").tofile(os.path.join(d, ds["name"] + ".read.f32"))
            seen[ds["name"]] = filters(dset)
    print(json.dumps(seen))


def plugin(d, path):
    import bitshuffle.h5

    m = manifest(d)
    seen = {}
    with h5py.File(path, "w") as f:
        for ds in m["datasets"]:
            a = frames(d, ds)
            dset = f.create_dataset(ds["name"], data=a, chunks=(1, ds["rows"], ds["cols"]),
                                    compression=bitshuffle.h5.H5FILTER,
                                    compression_opts=(0, bitshuffle.h5.H5_COMPRESS_LZ4))
            sizes = []
            for i in range(ds["frames"]):
                mask, chunk = dset.id.read_direct_chunk((i, 0, 0))
                if mask != 0:
                    sys.exit("%s[%d]: the plugin skipped the chunk (filter mask %d)" % (ds["name"], i, mask))
                with open(os.path.join(d, "%s-%d.plugin.chunk" % (ds["name"], i)), "wb") as c:
                    c.write(chunk)
                sizes.append(len(chunk))
            seen[ds["name"]] = {"filters": filters(dset), "sizes": sizes}
    print(json.dumps(seen))


if __name__ == "__main__":
    {"direct": direct, "read": read, "plugin": plugin}[sys.argv[1]](sys.argv[2], sys.argv[3])
