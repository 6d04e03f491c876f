package render

import (
	"bytes"
	"errors"
	"flag"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"grayscott/colormap"
	"grayscott/internal/testutil"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// openFile opens path for the test.
func openFile(t *testing.T, path string) *h5.Reader {
	t.Helper()
	r, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func lookup(t *testing.T, name string) *colormap.Map {
	t.Helper()
	m, err := colormap.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRenderGolden renders the last image of a reference file with each
// colormap at scale 2 and compares it with testdata/render_<colormap>.png
// (go test ./render -run TestRenderGolden -update rewrites them; look at
// them before committing).
func TestRenderGolden(t *testing.T) {
	r := openFile(t, h5test.ReferenceFile(t, 4))
	for _, name := range colormap.Names() {
		out := filepath.Join(t.TempDir(), name+".png")
		rd := Renderer{Colormap: lookup(t, name), Scale: 2}
		if _, err := rd.Render(r, []int{3}, out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden := filepath.Join("testdata", "render_"+name+".png")
		if *update {
			b, _ := os.ReadFile(out)
			if err := os.WriteFile(golden, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, want := testutil.DecodePNG(t, out), testutil.DecodePNG(t, golden)
		if ok, where := testutil.SamePixels(got, want, 1); !ok {
			t.Errorf("%s: differs from %s at %s", name, golden, where)
		}
		if got.Bounds().Dx() != 2*56 || got.Bounds().Dy() != 2*40 {
			t.Errorf("%s: %v, want 112×80 at scale 2", name, got.Bounds())
		}
	}
}

// TestFile renders with the defaults: the last image for a PNG, every
// image for the others, the default colormap, the images' own range.
func TestFile(t *testing.T) {
	in := h5test.ReferenceFile(t, 3)
	dir := t.TempDir()
	if _, err := File(in, filepath.Join(dir, "last.png")); err != nil {
		t.Fatal(err)
	}
	r := openFile(t, in)
	rd := Renderer{Colormap: lookup(t, colormap.Default), Scale: 1, FPS: 25}
	if _, err := rd.Render(r, []int{2}, filepath.Join(dir, "want.png")); err != nil {
		t.Fatal(err)
	}
	if ok, where := testutil.SamePixels(testutil.DecodePNG(t, filepath.Join(dir, "last.png")), testutil.DecodePNG(t, filepath.Join(dir, "want.png")), 0); !ok {
		t.Errorf("File's PNG is not the last image with the defaults: differs at %s", where)
	}
	if _, err := File(in, filepath.Join(dir, "all")); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, filepath.Join(dir, "all")); !slices.Equal(names, []string{"image_00000.png", "image_00001.png", "image_00002.png"}) {
		t.Errorf("File to a folder wrote %v", names)
	}
	if _, err := File(filepath.Join(dir, "none.h5"), filepath.Join(dir, "x.png")); err == nil || !strings.HasPrefix(err.Error(), "render: ") {
		t.Errorf("a missing file: %v", err)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestGIF: the frames selected, in order, each the painted image with
// the colormap as the palette, shown 1/FPS s (2/100 s at least).
func TestGIF(t *testing.T) {
	src := &images{n: 6, rows: 5, cols: 7, at: func(i, c int) float32 { return float32(35*i + c) }}
	m := lookup(t, "viridis")
	for _, c := range []struct{ fps, delay int }{{25, 4}, {20, 5}, {1, 100}, {50, 2}, {100, 2}} {
		out := filepath.Join(t.TempDir(), "a.gif")
		rd := Renderer{Colormap: m, Scale: 2, FPS: c.fps}
		rng, err := rd.Render(src, []int{1, 3, 5}, out)
		if err != nil {
			t.Fatal(err)
		}
		if rng != (Range{35, 5*35 + 34}) {
			t.Errorf("range %v, want the min and max of images 1, 3 and 5", rng)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		g, err := gif.DecodeAll(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Image) != 3 || g.Delay[0] != c.delay || g.Delay[2] != c.delay {
			t.Errorf("fps %d: %d frames, delays %v; want 3 of %d", c.fps, len(g.Image), g.Delay, c.delay)
			continue
		}
		for k, i := range []int{1, 3, 5} {
			want := painted(src, i, 2, m, rng)
			if !slices.Equal(g.Image[k].Pix, want.Pix) || !slices.Equal(g.Image[k].Palette, want.Palette) {
				t.Errorf("fps %d: frame %d is not image %d painted through viridis", c.fps, k, i)
			}
		}
	}
}

// TestFolder: one PNG per image, named by its index in the file with 5
// digits, or as many as the file's last index needs.
func TestFolder(t *testing.T) {
	m := lookup(t, "plasma")
	for _, c := range []struct {
		n      int
		frames []int
		names  []string
	}{
		{6, []int{4, 5}, []string{"image_00004.png", "image_00005.png"}},
		{100000, []int{7, 99999}, []string{"image_00007.png", "image_99999.png"}},
		{100001, []int{7, 100000}, []string{"image_000007.png", "image_100000.png"}},
	} {
		src := &images{n: c.n, rows: 3, cols: 2, at: func(i, c int) float32 { return float32(i%7 + c) }}
		out := filepath.Join(t.TempDir(), "frames")
		rd := Renderer{Colormap: m, Range: Range{0, 8}}
		if _, err := rd.Render(src, c.frames, out); err != nil {
			t.Fatal(err)
		}
		if got := dirNames(t, out); !slices.Equal(got, c.names) {
			t.Errorf("%d images: %v, want %v", c.n, got, c.names)
			continue
		}
		for k, i := range c.frames {
			if ok, where := testutil.SamePixels(testutil.DecodePNG(t, filepath.Join(out, c.names[k])), painted(src, i, 1, m, rd.Range), 0); !ok {
				t.Errorf("%s is not image %d: differs at %s", c.names[k], i, where)
			}
		}
	}
}

// TestRenderFailures: a PNG takes one image, a failed read ends the
// output with what was written before it, and the error is the read's.
func TestRenderFailures(t *testing.T) {
	errRead := errors.New("unreadable image")
	src := &images{n: 4, rows: 2, cols: 2, at: func(i, c int) float32 { return float32(i + c) }, fails: map[int]error{2: errRead}}
	dir := t.TempDir()
	var rd Renderer
	if _, err := rd.Render(src, []int{0, 1}, filepath.Join(dir, "a.png")); err == nil || !strings.Contains(err.Error(), "holds one image") {
		t.Errorf("two images to a PNG: %v", err)
	}
	rd.Range = Range{0, 1} // read only to draw
	if _, err := rd.Render(src, []int{0, 1, 2, 3}, filepath.Join(dir, "frames")); !errors.Is(err, errRead) {
		t.Errorf("a failed read into a folder: %v", err)
	}
	if names := dirNames(t, filepath.Join(dir, "frames")); !slices.Equal(names, []string{"image_00000.png", "image_00001.png"}) {
		t.Errorf("the folder holds %v, want the images before the failed one", names)
	}
	if _, err := rd.Render(src, []int{1, 2}, filepath.Join(dir, "a.gif")); !errors.Is(err, errRead) {
		t.Errorf("a failed read into a GIF: %v", err)
	}
	if _, err := rd.Render(src, []int{0}, filepath.Join(dir, "a.txt")); err == nil || !strings.Contains(err.Error(), "want a folder") {
		t.Errorf("an output of no format: %v", err)
	}
}

func TestMP4(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed: the MP4 path cannot run here (TestMP4FFmpegFails runs a fake one)")
	}
	r := openFile(t, h5test.ReferenceFile(t, 5))
	out := filepath.Join(t.TempDir(), "a.mp4")
	var rd Renderer
	if _, err := rd.Render(r, []int{0, 1, 2, 3, 4}, out); err != nil {
		t.Fatal(err)
	}
	ffprobe, err := exec.LookPath("ffprobe")
	if err != nil {
		t.Skip("ffprobe is not installed: the video was written, not checked")
	}
	b, err := exec.Command(ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0",
		"-show_entries", "stream=nb_read_frames,width,height", "-of", "csv=p=0", out).Output()
	if err != nil || strings.TrimSpace(string(b)) != "56,40,5" {
		t.Errorf("ffprobe says %q (%v), want 56,40,5", b, err)
	}
}

// TestMP4FFmpegFails: ffmpeg's own message is the error, whether it fails
// at the end or stops reading in the middle (not "broken pipe").
func TestMP4FFmpegFails(t *testing.T) {
	src := &images{n: 3, rows: 200, cols: 200, at: func(i, c int) float32 { return float32(c % 3) }}
	for _, script := range []string{
		"cat >/dev/null; echo 'no encoder here' >&2; exit 1", // reads every frame, then fails
		"echo 'no encoder here' >&2; exit 1",                 // reads nothing: the frames fill the pipe
	} {
		fakeFFmpeg(t, script)
		_, err := (&Renderer{}).Render(src, []int{0, 1, 2}, filepath.Join(t.TempDir(), "a.mp4"))
		if err == nil || !strings.HasPrefix(err.Error(), "render: ffmpeg failed: exit status 1: no encoder here") {
			t.Errorf("ffmpeg running %q: %v", script, err)
		}
	}
}
