package h5_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"grayscott/internal/testutil"
	"grayscott/sim"
	"grayscott/storage"
	"grayscott/storage/codec"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// TestCreateRefusesARegisteredBitshufflePlugin: grayscott keeps HDF5's
// plugin loading off, but a bitshuffle plugin can still end up registered
// in its process (a library that registers it). Its set_local callback
// then rewrites the client values /matrix declares (it prepends its
// version and element size to them), and readers would decode our chunks
// with the wrong parameters: h5.Create must fail, in one line naming the
// filter and the values, rather than write such a file. Once the plugin
// is gone, Create works again.
func TestCreateRefusesARegisteredBitshufflePlugin(t *testing.T) {
	lib := testutil.BitshufflePlugin(t)
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 5, 7, 1
	comp := storage.Compression{Codec: storage.CodecBitshuffleLZ4, KeepBits: storage.LosslessBits}
	dir := t.TempDir()
	t.Run("registered", func(t *testing.T) {
		h5test.RegisterPlugin(t, lib, codec.FilterBitshuffle)
		path := filepath.Join(dir, "registered.h5")
		f, err := h5.Create(path, p, nil, h5.Options{Compression: comp})
		if err == nil {
			f.Close(false, "test")
			t.Fatalf("Create with the bitshuffle plugin registered in the process succeeded; the file declares %s",
				testutil.H5py(t, `print(list(h5py.File(sys.argv[1], "r")["matrix"].id.get_create_plist().get_filter(0)[2]))`, path))
		}
		msg := err.Error()
		for _, want := range []string{"32008", "[0 3 4 0 2]", "a bitshuffle plugin registered in this process rewrote them", path} {
			if !strings.Contains(msg, want) {
				t.Errorf("the error does not say %q: %s", want, msg)
			}
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("the error is not one line: %q", msg)
		}
		// The other codecs do not involve the plugin.
		for _, c := range []storage.Compression{storage.Deflate(0), storage.Deflate(1)} {
			other := filepath.Join(dir, "other-"+c.String()+".h5")
			f, err := h5.Create(other, p, nil, h5.Options{Compression: c})
			if err != nil {
				t.Fatalf("%s with the plugin registered: %v", c, err)
			}
			if err := f.Close(true, ""); err != nil {
				t.Fatal(err)
			}
		}
	})
	// Unregistered (the subtest's cleanup), the same Create succeeds: the
	// plugin was what failed it.
	path := filepath.Join(dir, "unregistered.h5")
	f, err := h5.Create(path, p, nil, h5.Options{Compression: comp})
	if err != nil {
		t.Fatalf("Create once the plugin is unregistered: %v", err)
	}
	frame := make([]float32, p.Cells())
	for i := range frame {
		frame[i] = float32(i) / 3
	}
	if err := f.WriteFrame(frame); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(true, ""); err != nil {
		t.Fatal(err)
	}
	testutil.SameImages(t, "h5py through the plugin", testutil.H5pyImages(t, path), [][]float32{frame})
}

// h5pyAppend writes images [from, to) of the float32 file given second
// (shape: the next three arguments) into /matrix of the file given first,
// creating it, with filter 32008 declared optional as grayscott declares
// it, when from is 0; it prints each chunk's filter mask. (HDF5 loads a
// filter's plugin when asked whether the filter is there, not for writing
// a chunk: the script asks first.)
const h5pyAppend = `
h5py.h5z.filter_avail(32008)
a = np.fromfile(sys.argv[2], dtype="<f4").reshape(int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
lo, hi = int(sys.argv[6]), int(sys.argv[7])
n, r, c = a.shape
with h5py.File(sys.argv[1], "w" if lo == 0 else "r+") as f:
    if lo == 0:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((1, r, c))
        dcpl.set_filter(32008, h5py.h5z.FLAG_OPTIONAL, (0, 3, 4, 0, 2))
        space = h5py.h5s.create_simple((n, r, c), (h5py.h5s.UNLIMITED, r, c))
        h5py.h5d.create(f.id, b"matrix", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    d = f["matrix"]
    d[lo:hi] = a[lo:hi]
    print(json.dumps([d.id.read_direct_chunk((i, 0, 0))[0] for i in range(hi)]))
`

// TestReadsChunksTheFilterSkipped: a writer without the bitshuffle plugin
// (h5py with every plugin kept out) stores the chunks of a dataset that
// declares filter 32008 as optional unfiltered, each marked so in its
// filter mask; another with the plugin appends filtered ones to the same
// dataset. grayscott's reader reads both kinds, chunk by chunk, to the
// images written.
func TestReadsChunksTheFilterSkipped(t *testing.T) {
	const n, rows, cols = 4, 9, 13
	dir := t.TempDir()
	images := make([][]float32, n)
	var raw []byte
	for i := range images {
		images[i] = make([]float32, rows*cols)
		for j := range images[i] {
			images[i][j] = float32(i+1) / float32(j+3)
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(images[i][j]))
		}
	}
	f32, path := filepath.Join(dir, "images.f32"), filepath.Join(dir, "mixed.h5")
	if err := os.WriteFile(f32, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	shape := []string{fmt.Sprint(n), fmt.Sprint(rows), fmt.Sprint(cols)}
	for _, w := range []struct {
		env    []string
		lo, hi int
		masks  string
	}{
		{[]string{"HDF5_PLUGIN_PRELOAD=::"}, 0, 2, "[1, 1]"},
		{nil, 2, n, "[1, 1, 0, 0]"},
	} {
		out, err := testutil.H5pyEnv(t, w.env, h5pyAppend, append(append([]string{path, f32}, shape...), fmt.Sprint(w.lo), fmt.Sprint(w.hi))...)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != w.masks {
			t.Fatalf("h5py %v writing images %d to %d: chunks' filter masks %s, want %s", w.env, w.lo, w.hi, got, w.masks)
		}
	}
	got, err := h5.ReadImages(path)
	if err != nil {
		t.Fatal(err)
	}
	testutil.SameImages(t, "grayscott's reader", got, images)
}
