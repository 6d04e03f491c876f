package main

import (
	"encoding/json"
	"encoding/xml"
	"image/gif"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/hdf5"

	"grayscott/colormap"
	"grayscott/internal/runflags"
	"grayscott/internal/testutil"
	"grayscott/render"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// decodePNG reads a PNG (the tests of render, bench and the window).
var decodePNG = testutil.DecodePNG

// TestRenderFlagsReachTheRenderer: --colormap, --scale, --frames, --range
// and --fps make the pictures the render package makes with those
// settings (its own tests hold the golden images), and the command says
// what it wrote.
func TestRenderFlagsReachTheRenderer(t *testing.T) {
	in := h5test.ReferenceFile(t, 4)
	dir := t.TempDir()
	got, want := filepath.Join(dir, "got.png"), filepath.Join(dir, "want.png")
	code, _, stderr := runMain("render", in, "-o", got, "--colormap", "magma", "--scale", "3", "--frames", "1", "--range", "0.1,0.4")
	if line := "wrote image 1 of " + in + " to " + got + " (magma, range 0.1..0.4)\n"; code != exitOK || stderr != line {
		t.Fatalf("exit %d, %q; want 0 and %q", code, stderr, line)
	}
	magma, err := colormap.Lookup("magma")
	if err != nil {
		t.Fatal(err)
	}
	r, err := h5.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rd := render.Renderer{Colormap: magma, Scale: 3, Range: render.Range{Lo: 0.1, Hi: 0.4}, ColorBar: true}
	if _, err := rd.Render(r, []int{1}, want); err != nil {
		t.Fatal(err)
	}
	if ok, where := testutil.SamePixels(decodePNG(t, got), decodePNG(t, want), 0); !ok {
		t.Errorf("render --colormap magma --scale 3 --frames 1 --range 0.1,0.4 differs from the Renderer's at %s", where)
	}
	bare := filepath.Join(dir, "bare.png")
	if code, _, stderr := runMain("render", in, "-o", bare, "--colorbar=false", "-q"); code != exitOK ||
		decodePNG(t, bare).Bounds().Dy() != decodePNG(t, got).Bounds().Dy()/3-render.ColorBarHeight/3 {
		t.Errorf("--colorbar=false: exit %d, %q, %v; want the image alone", code, stderr, decodePNG(t, bare).Bounds())
	}
	anim := filepath.Join(dir, "a.gif")
	if code, _, stderr := runMain("render", in, "-o", anim, "--fps", "10", "-q"); code != exitOK || stderr != "" {
		t.Fatalf("exit %d, %q", code, stderr)
	}
	f, err := os.Open(anim)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if g, err := gif.DecodeAll(f); err != nil || len(g.Delay) != 4 || g.Delay[0] != 10 {
		t.Errorf("--fps 10: %v; want 4 frames of 10/100 s", err)
	}
}

func TestRenderGIFAndFolder(t *testing.T) {
	in := h5test.ReferenceFile(t, 6)
	dir := t.TempDir()
	out := filepath.Join(dir, "a.gif")
	if code, _, stderr := runMain("render", in, "-o", out, "--colormap", "viridis", "--frames", "1::2", "-q"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 3 {
		t.Errorf("GIF of frames 1::2 of 6 has %d frames, want 3", len(g.Image))
	}
	cm, _ := colormap.Lookup("viridis")
	want := cm.Palette()
	for k, m := range g.Image {
		for i := range want {
			if m.Palette[i] != want[i] {
				t.Fatalf("frame %d palette entry %d = %v, viridis has %v", k, i, m.Palette[i], want[i])
			}
		}
	}
	folder := filepath.Join(dir, "pngs")
	if code, _, stderr := runMain("render", in, "-o", folder, "--frames", "-2:", "--range", "0,0.5", "-q"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	entries, _ := os.ReadDir(folder)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "image_00004.png image_00005.png" {
		t.Errorf("folder holds %v", names)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"render", in}, "--output is required"},
		{[]string{"render", in, "-o", "x.png", "--frames", "0:3"}, "selects 3 images"},
		{[]string{"render", in, "-o", "x.png", "--frames", "9"}, "selects no image"},
		{[]string{"render", in, "-o", "x.png", "--frames", "::0"}, "step 0"},
		{[]string{"render", in, "-o", "x.png", "--colormap", "jet"}, "unknown colormap"},
		{[]string{"render", in, "-o", "x.png", "--range", "1,0"}, "--range 1,0"},
		{[]string{"render", in, "-o", "x.png", "--scale", "0"}, "--scale 0"},
		{[]string{"render", filepath.Join(dir, "none.h5"), "-o", "x.png"}, "no such file"},
		{[]string{"render", in, "-o", dir, "--follow"}, "want -o NAME.png"},
		{[]string{"render", in, "-o", "x.png", "--follow", "--frames", "1"}, "no --frames"},
		{[]string{"render", in, "-o", "x.png", "--follow", "--interval", "0s"}, "--interval 0s"},
		{[]string{"render", in, "-o", "x.png", "--interval", "2s"}, "--interval goes with --follow"},
		{[]string{"render", in, "-o", "x.png", "--follow", "--range", "2,1"}, "--range 2,1"},
	} {
		code, _, stderr := runMain(c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

func TestRenderMP4WithoutFFmpeg(t *testing.T) {
	in := h5test.ReferenceFile(t, 1)
	t.Setenv("PATH", t.TempDir())
	code, _, stderr := runMain("render", in, "-o", filepath.Join(t.TempDir(), "a.mp4"))
	if code != exitUsage || !strings.Contains(stderr, "needs ffmpeg") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}

// TestCourseFile renders and describes a file as the course's tools write
// it: /matrix alone, no attributes.
func TestCourseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "course.h5")
	f, err := hdf5.CreateFile(path, hdf5.F_ACC_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	space, _ := hdf5.CreateSimpleDataspace([]uint{3, 10, 12}, nil)
	dcpl, _ := hdf5.NewPropList(hdf5.P_DATASET_CREATE)
	dcpl.SetChunk([]uint{1, 10, 12})
	d, err := f.CreateDatasetWith("matrix", hdf5.T_NATIVE_FLOAT, space, dcpl)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]float32, 3*10*12)
	for i := range data {
		data[i] = float32(i%17) / 17
	}
	if err := d.Write(&data[0]); err != nil {
		t.Fatal(err)
	}
	d.Close()
	dcpl.Close()
	space.Close()
	f.Close()

	code, stdout, stderr := runMain("info", path, "--json")
	if code != exitOK {
		t.Fatalf("info: exit %d: %s", code, stderr)
	}
	var fi map[string]any
	if err := json.Unmarshal([]byte(stdout), &fi); err != nil {
		t.Fatal(err)
	}
	if fi["images"] != 3.0 || fi["rows"] != 10.0 || fi["cols"] != 12.0 || fi["completed"] != nil {
		t.Errorf("info of a course file: %v", fi)
	}
	out := filepath.Join(t.TempDir(), "c.png")
	if code, _, stderr := runMain("render", path, "-o", out, "-q"); code != exitOK {
		t.Fatalf("render: exit %d: %s", code, stderr)
	}
	if _, err := h5.WriteXDMF(path); err != nil {
		t.Errorf("xdmf of a course file: %v", err)
	}
}

func TestInfoJSON(t *testing.T) {
	in := h5test.ReferenceFile(t, 2)
	code, stdout, stderr := runMain("info", in, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var fi struct {
		File             string         `json:"file"`
		Images           int            `json:"images"`
		Rows             int            `json:"rows"`
		Cols             int            `json:"cols"`
		RawBytes         int64          `json:"raw_bytes"`
		StoredBytes      int64          `json:"stored_bytes"`
		CompressionRatio float64        `json:"compression_ratio"`
		Completed        *bool          `json:"completed"`
		Command          string         `json:"command"`
		Attributes       map[string]any `json:"attributes"`
	}
	if err := json.Unmarshal([]byte(stdout), &fi); err != nil {
		t.Fatal(err)
	}
	if fi.Images != 2 || fi.Rows != 40 || fi.Cols != 56 || fi.RawBytes != 2*40*56*4 || fi.StoredBytes != fi.RawBytes ||
		fi.CompressionRatio != 1 || fi.Completed == nil || !*fi.Completed {
		t.Errorf("info --json: %+v", fi)
	}
	for _, name := range []string{"nbrow", "feedrate", "boundary", "hdf5_version", "frames_written", "created"} {
		if _, ok := fi.Attributes[name]; !ok {
			t.Errorf("attributes lack %s", name)
		}
	}
	if fi.Attributes["boundary"] != "periodic" || fi.Attributes["nbextrastep"] != 150.0 {
		t.Errorf("attributes: %v", fi.Attributes)
	}
	// The command it prints makes a file of the same parameters.
	args := strings.Fields(fi.Command)
	if len(args) < 2 || args[0] != "grayscott" || args[1] != "run" {
		t.Fatalf("command %q", fi.Command)
	}
	f, err := runflags.Parse(args[2:], io.Discard)
	if err != nil {
		t.Fatalf("command %q does not parse: %v", fi.Command, err)
	}
	r, err := h5.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Params()
	r.Close()
	if err != nil || f.Params != want {
		t.Errorf("command %q gives %+v; the file holds %+v (%v)", fi.Command, f.Params, want, err)
	}
	code, stdout, _ = runMain("info", in)
	if code != exitOK || !strings.Contains(stdout, "2 images of 40×56") || !strings.Contains(stdout, "complete") {
		t.Errorf("info: exit %d:\n%s", code, stdout)
	}
}

// TestXDMF parses the sidecar and checks what ParaView's readers need
// (scripts/test-paraview.sh shows why each matters) against values derived
// from the file and from render's orientation, not from xdmf.go; when
// ParaView's pvpython is installed, it also runs scripts/paraview_check.py,
// which loads the sidecar in all three of ParaView's XDMF readers.
func TestXDMF(t *testing.T) {
	const images, rows, cols = 3, 40, 56 // h5test.ReferenceFile's grid
	in := h5test.ReferenceFile(t, images)
	code, _, stderr := runMain("xdmf", in)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// The element size of /matrix, from the file itself.
	f, err := hdf5.OpenFile(in, hdf5.F_ACC_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := f.OpenDataset("matrix")
	if err != nil {
		t.Fatal(err)
	}
	dt, err := ds.Datatype()
	if err != nil {
		t.Fatal(err)
	}
	precision := strconv.Itoa(int(dt.Size()))
	dt.Close()
	ds.Close()
	f.Close()
	if precision != "4" {
		t.Fatalf("/matrix has %s-byte elements, want float32", precision)
	}

	b, err := os.ReadFile(h5.XDMFPath(in))
	if err != nil {
		t.Fatal(err)
	}
	type item struct {
		ItemType   *string `xml:"ItemType,attr"`
		Type       string  `xml:"Type,attr"`
		Dimensions string  `xml:"Dimensions,attr"`
		NumberType string  `xml:"NumberType,attr"`
		Precision  string  `xml:"Precision,attr"`
		Format     string  `xml:"Format,attr"`
		Text       string  `xml:",chardata"`
		Items      []item  `xml:"DataItem"`
	}
	var doc struct {
		Grids []struct {
			Name string `xml:"Name,attr"`
			Time struct {
				Value float64 `xml:"Value,attr"`
			} `xml:"Time"`
			Topology struct {
				Type       string `xml:"TopologyType,attr"`
				Dimensions string `xml:"Dimensions,attr"`
			} `xml:"Topology"`
			Geometry struct {
				Type  string `xml:"GeometryType,attr"`
				Items []item `xml:"DataItem"`
			} `xml:"Geometry"`
			Attribute struct {
				Name   string `xml:"Name,attr"`
				Center string `xml:"Center,attr"`
				Items  []item `xml:"DataItem"`
			} `xml:"Attribute"`
		} `xml:"Domain>Grid>Grid"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Grids) != images {
		t.Fatalf("%d grids, want %d", len(doc.Grids), images)
	}
	floats := func(s string) []float64 {
		var v []float64
		for _, w := range strings.Fields(s) {
			x, err := strconv.ParseFloat(w, 64)
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			v = append(v, x)
		}
		return v
	}
	slabDims := "1 " + strconv.Itoa(rows) + " " + strconv.Itoa(cols) // one image, in the rank of /matrix
	fileDims := strconv.Itoa(images) + " " + strconv.Itoa(rows) + " " + strconv.Itoa(cols)
	for i, g := range doc.Grids {
		// A 2D mesh lands in the YZ plane in the legacy reader: 3D, one point deep.
		if g.Topology.Type != "3DCoRectMesh" || g.Topology.Dimensions != slabDims || g.Time.Value != float64((i+1)*150) {
			t.Errorf("grid %d: topology %+v, time %v", i, g.Topology, g.Time.Value)
		}
		// Orientation: XDMF gives origin and spacing in Z Y X order; point
		// (j, k) of the mesh holds /matrix[i][j][k]. render draws row 0 at the
		// top, so y must fall from rows-1 at j = 0 to 0 at j = rows-1; x = k; z = 0.
		geo := g.Geometry.Items
		if g.Geometry.Type != "ORIGIN_DXDYDZ" || len(geo) != 2 {
			t.Fatalf("grid %d: geometry %+v", i, g.Geometry)
		}
		o, d := floats(geo[0].Text), floats(geo[1].Text)
		if len(o) != 3 || len(d) != 3 {
			t.Fatalf("grid %d: origin %v, spacing %v", i, o, d)
		}
		y := func(j int) float64 { return o[1] + d[1]*float64(j) }
		x := func(k int) float64 { return o[2] + d[2]*float64(k) }
		if y(0) != rows-1 || y(rows-1) != 0 || x(0) != 0 || x(cols-1) != cols-1 || o[0] != 0 {
			t.Errorf("grid %d: origin %v spacing %v put row 0 at y=%v, row %d at y=%v, cols at x=%v..%v, z=%v; want row 0 at the top (y=%d), unit spacing, z=0",
				i, o, d, y(0), rows-1, y(rows-1), x(0), x(cols-1), o[0], rows-1)
		}
		a := g.Attribute
		if a.Name != "V" || a.Center != "Node" || len(a.Items) != 1 {
			t.Fatalf("grid %d: attribute %+v", i, a)
		}
		v := a.Items[0]
		// Xdmf3 (ParaView's default reader) reads the slab from the item's
		// text and would give up on an ItemType="HyperSlab"; Xdmf2 (the
		// legacy reader) reads it from the children, found by Type.
		wantText := "ref.h5:/matrix|" + strconv.Itoa(i) + " 0 0:1 1 1:" + slabDims + ":" + fileDims
		if v.ItemType != nil || v.Type != "HyperSlab" || v.Dimensions != slabDims || v.NumberType != "Float" ||
			v.Precision != precision || v.Format != "HDF" || strings.TrimSpace(v.Text) != wantText || len(v.Items) != 2 {
			t.Errorf("grid %d: V item %+v; want Type=HyperSlab without ItemType, Dimensions %q, Float of precision %s, text %q and 2 children",
				i, v, slabDims, precision, wantText)
			continue
		}
		sel, src := v.Items[0], v.Items[1]
		if sel.Dimensions != "3 3" || sel.NumberType != "Int" || strings.Join(strings.Fields(sel.Text), " ") != strconv.Itoa(i)+" 0 0 1 1 1 "+slabDims {
			t.Errorf("grid %d: selection %+v", i, sel)
		}
		if src.Dimensions != fileDims || src.NumberType != "Float" || src.Precision != precision || src.Format != "HDF" || src.Text != "ref.h5:/matrix" {
			t.Errorf("grid %d: source %+v", i, src)
		}
	}
	if _, err := h5.WriteXDMF(filepath.Join(t.TempDir(), "a:b.h5")); err == nil || !strings.Contains(err.Error(), "':' or '|'") {
		t.Errorf("a file name with ':': %v", err)
	}

	pvpython, err := exec.LookPath("pvpython")
	if err != nil {
		t.Skip("pvpython is not installed (Debian packages paraview python3-paraview): the XML was checked, ParaView was not run")
	}
	out, err := exec.Command(pvpython, "../../scripts/paraview_check.py", h5.XDMFPath(in), in).CombinedOutput()
	if strings.Contains(string(out), "No module named 'h5py'") {
		t.Skip("pvpython cannot import h5py (Debian package python3-h5py): the XML was checked, ParaView was not run")
	}
	if err != nil || !strings.Contains(string(out), "all 3 readers agree") {
		t.Errorf("scripts/paraview_check.py: %v:\n%s", err, out)
	}
}

// TestReaderFailuresAreRuntimeErrors: a file that is there but cannot be
// read (damaged, without /matrix) is a failure of the run, exit 1 with the
// cause; a missing file or a bad flag is bad input, exit 2. A file a run
// is writing reads fine (SWMR).
func TestReaderFailuresAreRuntimeErrors(t *testing.T) {
	dir := t.TempDir()
	notHDF5, xmf := filepath.Join(dir, "text.h5"), filepath.Join(dir, "run.xmf")
	for _, p := range []string{notHDF5, xmf} {
		if err := os.WriteFile(p, []byte("not HDF5 at all"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An HDF5 file cut short: its signature is there, the rest is not.
	whole, err := os.ReadFile(h5test.ReferenceFile(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.h5")
	if err := os.WriteFile(damaged, whole[:600], 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.h5")
	f, err := hdf5.CreateFile(empty, hdf5.F_ACC_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	// A run that holds its file open for writing while we read it.
	running := filepath.Join(dir, "running.h5")
	w := startWatchedRun(t, "-o", running, "--flush-every", "1", "-n", "100000")
	defer func() { w.cmd.Process.Kill(); <-w.exited }()
	if _, ok := <-w.flushes; !ok {
		t.Fatalf("the run ended before its first flush:\n%s", w.stderr)
	}
	out := filepath.Join(dir, "x.png")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"info", damaged}, exitFailure, "damaged.h5"},
		{[]string{"render", damaged, "-o", out}, exitFailure, "damaged.h5"},
		{[]string{"xdmf", damaged}, exitFailure, "damaged.h5"},
		{[]string{"info", empty}, exitFailure, "no /matrix"},
		{[]string{"render", empty, "-o", out}, exitFailure, "no /matrix"},
		{[]string{"info", filepath.Join(dir, "missing.h5")}, exitUsage, "no such file"},
		{[]string{"xdmf", filepath.Join(dir, "missing.h5")}, exitUsage, "no such file"},
		{[]string{"info", damaged, "--frobnicate"}, exitUsage, "unknown flag"},
		{[]string{"info", notHDF5}, exitUsage, "text.h5 is not an HDF5 file"},
		{[]string{"render", xmf, "-o", out}, exitUsage, "run.xmf is not an HDF5 file (an XDMF sidecar: give the .h5 it describes)"},
		{[]string{"xdmf", notHDF5}, exitUsage, "is not an HDF5 file"},
		{[]string{"render", damaged, "-o", out, "--colrmap", "gray"}, exitUsage, "unknown flag: --colrmap (did you mean --colormap?)"},
		{[]string{"info", damaged, "--jsn"}, exitUsage, "unknown flag: --jsn (did you mean --json?)"},
		{[]string{"devices", "--egl-platfrom", "x"}, exitUsage, "did you mean --egl-platform?"},
		{[]string{"bench", "--size", "32"}, exitUsage, "did you mean --sizes?"},
	} {
		code, _, stderr := runMain(c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, %q; want %d and one line with %q", c.args, code, stderr, c.code, c.want)
		}
	}
	for _, args := range [][]string{{"info", running}, {"render", running, "-o", out}} {
		if code, stdout, stderr := runMain(args...); code != exitOK {
			t.Errorf("%v while the run writes it: exit %d: %s%s", args, code, stdout, stderr)
		}
	}
}

// TestInfoLaysOutSeveralFiles: info takes several files, as h5ls does;
// each is laid out in the same sections in the same order, its labels in
// one column even where a value is missing; the checkpoint names the image
// as render does (0-based); a file that cannot be read is an error after
// the others are printed, and --json gives an array.
func TestInfoLaysOutSeveralFiles(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run.h5")
	if code, _, stderr := runMain("run", "-q", "--engine", "cpu", "-r", "16", "-c", "24", "-n", "4", "-e", "3", "-o", run); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	whole, err := os.ReadFile(run) // cut short below: an HDF5 file that cannot be read
	if err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.h5")
	os.WriteFile(damaged, whole[:600], 0o644)
	code, stdout, stderr := runMain("info", run, h5test.ReferenceFile(t, 2), damaged)
	if code != exitFailure || !strings.Contains(stderr, "damaged.h5") || strings.Count(stdout, "\n  model\n") != 2 {
		t.Fatalf("exit %d, stderr %q; want 1, the damaged file named, and two files described:\n%s", code, stderr, stdout)
	}
	_, _, rendered := runMain("render", run, "-o", filepath.Join(dir, "last.png"))
	if !regexp.MustCompile(`\n    checkpoint +at image 3 \(step 12\)`).MatchString(stdout) || !strings.Contains(rendered, "wrote image 3 ") {
		t.Errorf("info's checkpoint and render's last image disagree:\n%s\n%s", stdout, rendered)
	}
	for _, file := range strings.Split(strings.TrimSpace(stdout), "\n\n") {
		var sections []string
		column := -1
		for _, line := range strings.Split(file, "\n")[1:] {
			if !strings.HasPrefix(line, "    ") {
				sections = append(sections, strings.TrimSpace(line))
				continue
			}
			gap := regexp.MustCompile(`\S  +\S`).FindStringIndex(line) // the label's end, the value's start
			if gap == nil {
				t.Fatalf("no label and value in %q", line)
			}
			if at := gap[1] - 1; column >= 0 && at != column {
				t.Errorf("the value of %q starts at column %d, others at %d", line, at, column)
			} else {
				column = at
			}
		}
		if got := strings.Join(sections, " "); got != "model run storage provenance" && got != "model run storage" {
			t.Errorf("sections %q, want model run storage [provenance]", got)
		}
	}
	code, stdout, _ = runMain("info", "--json", run, run)
	var ds []map[string]any
	if err := json.Unmarshal([]byte(stdout), &ds); code != exitOK || err != nil || len(ds) != 2 {
		t.Errorf("--json of two files: exit %d, %v, %d descriptions", code, err, len(ds))
	}
}
