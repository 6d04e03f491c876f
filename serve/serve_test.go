package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"grayscott/engine"
	"grayscott/internal/testutil"
	"grayscott/pipeline"
	"grayscott/render"
	"grayscott/sim"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// start serves src on a free port of 127.0.0.1, closed at the test's end.
func start(t *testing.T, src Source) *Server {
	t.Helper()
	s := &Server{Source: src, Interval: 50 * time.Millisecond}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { testutil.WithDeadline(t, 20*time.Second, func() { s.Close() }) })
	return s
}

// get fetches path and returns the status code and the body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return r.StatusCode, b
}

// status fetches /status.
func status(t *testing.T, s *Server) map[string]any {
	t.Helper()
	code, b := get(t, s.URL()+"status")
	var st map[string]any
	if err := json.Unmarshal(b, &st); code != http.StatusOK || err != nil {
		t.Fatalf("/status: %d, %v: %s", code, err, b)
	}
	return st
}

// raw sends a request line as it is, with no client cleaning its path,
// and returns the response's status code.
func raw(t *testing.T, addr, method, target, host string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, target, host)
	r, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	r.Body.Close()
	return r.StatusCode
}

// TestOnlyFixedPathsAreServed sends requests as a hostile client would,
// paths unclean and encoded: only the fixed paths answer, every other is
// 404, nothing but GET and HEAD is served, and on loopback a request for
// another host's name is refused.
func TestOnlyFixedPathsAreServed(t *testing.T) {
	s := start(t, NewFile(h5test.ReferenceFile(t, 2)))
	addr := strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/")
	testutil.WaitUntil(t, "a picture", func() bool { return status(t, s)["image_shown"].(float64) >= 0 })
	for _, path := range []string{"/", "/status", "/image.png", "/app.js", "/style.css", "/favicon.svg", "/status?x=../../etc/passwd"} {
		if code := raw(t, addr, "GET", path, addr); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, code)
		}
	}
	for _, path := range []string{
		"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/image.png/../../x", "/..%2f..%2fetc%2fpasswd",
		"/%2fetc%2fpasswd", "/.%2e/.%2e/etc/passwd", "/status/", "/status/..", "/index.html", "/page/index.html", "/page/app.js",
		"/app.js/", "/STATUS", "/image.png%00", "/ref.h5", "/" + filepath.Base(s.Source.(*File).path), "/favicon.ico",
		"http://" + addr + "/../etc/passwd",
	} {
		if code := raw(t, addr, "GET", path, addr); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		if code := raw(t, addr, method, "/status", addr); code != http.StatusMethodNotAllowed {
			t.Errorf("%s /status: %d, want 405", method, code)
		}
	}
	for host, want := range map[string]int{"localhost:8080": 200, "[::1]:8080": 200, "127.0.0.1": 200,
		"attacker.example:8080": 403, "attacker.example": 403, "": 403} {
		if code := raw(t, addr, "GET", "/status", host); code != want {
			t.Errorf("GET /status for host %q: %d, want %d", host, code, want)
		}
	}
}

// readmeFields reads the README's "/status fields" section: the fields of
// every page, then of each kind (the bullets "A run", "A file", "A
// sweep").
func readmeFields(t *testing.T) map[string][]string {
	t.Helper()
	section := testutil.READMESection(t, "../README.md", "### `/status` fields")
	fields := map[string][]string{}
	for _, bullet := range strings.Split(section, "\n- ")[1:] {
		kind := map[string]string{"Every page": "all", "A run": "run", "A file": "file", "A sweep": "sweep"}[strings.SplitN(bullet, ":", 2)[0]]
		fields[kind] = append(fields[kind], testutil.Names(bullet)...)
	}
	if len(fields["all"]) < 15 || len(fields["run"]) < 6 || len(fields["file"]) < 6 || len(fields["sweep"]) < 10 {
		t.Fatalf("read too few fields from the README: %v", fields)
	}
	return fields
}

// TestStatusHasTheREADMEFields checks /status of a run (ended, with its
// summary), a file and a sweep against the README's list: each has the
// fields listed for every page and for its kind, and none that the README
// does not list (values of the README's examples, such as state names,
// may be listed too).
func TestStatusHasTheREADMEFields(t *testing.T) {
	fields := readmeFields(t)
	documented := map[string]bool{}
	for _, fs := range fields {
		for _, f := range fs {
			documented[f] = true
		}
	}
	check := func(kind string, st map[string]any) {
		present := map[string]bool{}
		var keys func(v any)
		keys = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					present[k] = true
					keys(x)
				}
			case []any:
				for _, x := range v {
					keys(x)
				}
			}
		}
		keys(st)
		for _, f := range append(slices.Clone(fields["all"]), fields[kind]...) {
			if !present[f] && f != kind && !slices.Contains([]string{"run", "file", "sweep", "starting", "running",
				"completed", "stopped", "failed", "ended", "serving", "sample", "error"}, f) {
				t.Errorf("%s: /status lacks %q (the README lists it)", kind, f)
			}
		}
		var walk func(prefix string, v any)
		walk = func(prefix string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, x := range v {
					if !documented[k] && prefix != "params" && prefix != "summary" && prefix != "counts" {
						t.Errorf("%s: /status has %q, which the README does not list", kind, k)
					}
					walk(k, x)
				}
			case []any:
				for _, x := range v {
					walk(prefix, x)
				}
			}
		}
		walk("", st)
	}

	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = 24, 32, 3, 5
	run := NewRun(p, filepath.Join(t.TempDir(), "run.h5"))
	s := start(t, run)
	eng, info, err := engine.Open(p, engine.Options{Kind: engine.CPU, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Release()
	pl, err := pipeline.New(eng, pipeline.Config{Params: p, Output: run.output, BufferLen: 1}, pipeline.OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	attrs, _ := info.Attrs()
	run.Watch(pl, attrs)
	pl.Run(context.Background())
	run.End(pl.Close(nil))
	testutil.WaitUntil(t, "the run's end shows", func() bool { return status(t, s)["state"] == StateCompleted })
	st := status(t, s)
	check("run", st)
	if sum, _ := st["summary"].(map[string]any); sum["images"] != float64(3) || st["engine"] != "cpu" || st["images_done"] != float64(3) {
		t.Errorf("the ended run's status: %v", st)
	}

	check("file", status(t, start(t, NewFile(h5test.ReferenceFile(t, 2)))))
	check("sweep", status(t, start(t, mustSweep(t, fakeSweep(t)))))
}

func mustSweep(t *testing.T, dir string) *Sweep {
	t.Helper()
	s, err := NewSweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeSweep makes a sweep's folder of five points over two axes, one in
// each state: done, interrupted (stopped), pending (no file), failed (its
// marker), running (its marker, and a file).
func fakeSweep(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images = 8, 12, 2
	v := make([]float32, p.Rows*p.Cols)
	for i := range v {
		v[i] = float32(i) / 100
	}
	m := `{"version": 1, "axes": [{"flag": "feedrate", "values": ["0.02", "0.03"]}, {"flag": "killrate", "values": ["0.05", "0.06", "0.07"]}],
		"points": [`
	files := []string{"p000.h5", "p001.h5", "p002.h5", "p003.h5", "p004.h5", "p005.h5"}
	for i, f := range files {
		if i > 0 {
			m += ","
		}
		m += fmt.Sprintf(`{"index": %d, "values": ["0.0%d", "0.0%d"], "file": %q}`, i, 2+i/3, 5+i%3, f)
	}
	m += "]}"
	if err := os.WriteFile(filepath.Join(dir, "sweep.json"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	put := func(i int, images [][]float32, completed bool, reason string) {
		if err := os.Rename(h5test.File(t, files[i], p, images, completed, reason), filepath.Join(dir, files[i])); err != nil {
			t.Fatal(err)
		}
	}
	put(0, [][]float32{v, v}, true, "")
	put(1, [][]float32{v}, false, "interrupted: received SIGTERM")
	put(4, [][]float32{v}, false, "")
	os.MkdirAll(filepath.Join(dir, "state"), 0o755)
	os.WriteFile(filepath.Join(dir, "state", "p003.failed"), []byte(`{"host": "h", "pid": 1, "reason": "out of memory"}`), 0o644)
	host, _ := os.Hostname()
	os.WriteFile(filepath.Join(dir, "state", "p004.running"), []byte(fmt.Sprintf(`{"host": %q, "pid": %d}`, host, os.Getpid())), 0o644)
	return dir
}

// TestSweepPointStates shows each point's state as grayscott sweep
// --status decides it (package sweep), and places them on the mosaic's
// grid.
func TestSweepPointStates(t *testing.T) {
	s := start(t, mustSweep(t, fakeSweep(t)))
	var st Status
	code, b := get(t, s.URL()+"status")
	if err := json.Unmarshal(b, &st); code != 200 || err != nil {
		t.Fatal(code, err)
	}
	var got []string
	for _, p := range st.Points {
		got = append(got, fmt.Sprintf("%d %s %d/%d at %d,%d", p.Index, p.State, p.Images, p.ImagesTotal, p.Row, p.Col))
	}
	want := []string{"0 done 2/2 at 0,0", "1 interrupted 1/2 at 0,1", "2 pending 0/0 at 0,2",
		"3 failed 0/0 at 1,0", "4 running 1/2 at 1,1", "5 pending 0/0 at 1,2"}
	if len(st.Points) == 6 && st.Points[3].Detail != "out of memory" {
		t.Errorf("the failed point's detail %q, want its marker's reason", st.Points[3].Detail)
	}
	if !slices.Equal(got, want) {
		t.Errorf("points:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if m := st.Mosaic; m == nil || m.Rows != 2 || m.Cols != 3 || !slices.Equal(m.ColLabels, []string{"killrate 0.05", "killrate 0.06", "killrate 0.07"}) ||
		!slices.Equal(m.RowLabels, []string{"feedrate 0.02", "feedrate 0.03"}) || st.Counts["pending"] != 2 || st.State != StateRunning {
		t.Errorf("mosaic %+v, counts %v, state %s", st.Mosaic, st.Counts, st.State)
	}
}

// TestFilePictureIsRenders: /image.png of a file is, pixel for pixel,
// what render draws of its last image.
func TestFilePictureIsRenders(t *testing.T) {
	path := h5test.ReferenceFile(t, 3)
	s := start(t, NewFile(path))
	testutil.WaitUntil(t, "a picture", func() bool { return status(t, s)["image_shown"] == float64(2) })
	code, b := get(t, s.URL()+"image.png")
	got, err := png.Decode(strings.NewReader(string(b)))
	if code != 200 || err != nil {
		t.Fatal(code, err)
	}
	r, err := h5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := filepath.Join(t.TempDir(), "last.png")
	if _, err := (&render.Renderer{}).Render(r, []int{2}, out); err != nil {
		t.Fatal(err)
	}
	if same, where := testutil.SamePixels(got, testutil.DecodePNG(t, out), 0); !same {
		t.Errorf("/image.png differs from render's PNG of image 2 at %s", where)
	}
}

// TestNobodyWatchingCopiesNothing serves a run that no page and no client
// asks about: the writer copies no image for it (the snapshot stays
// empty), and the end still closes the server.
func TestNobodyWatchingCopiesNothing(t *testing.T) {
	p := sim.Defaults()
	p.Rows, p.Cols, p.Images, p.StepsPerImage = 16, 24, 20, 3
	run := NewRun(p, filepath.Join(t.TempDir(), "run.h5"))
	s := &Server{Source: run, Interval: 10 * time.Millisecond}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	eng, info, err := engine.Open(p, engine.Options{Kind: engine.CPU, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Release()
	pl, err := pipeline.New(eng, pipeline.Config{Params: p, Output: run.output, BufferLen: 1, FlushEvery: 5}, pipeline.OpenHDF5)
	if err != nil {
		t.Fatal(err)
	}
	attrs, _ := info.Attrs()
	run.Watch(pl, attrs)
	for !pl.Done() {
		pl.Advance(context.Background(), p.StepsPerImage)
		time.Sleep(2 * time.Millisecond) // the server's loop looks in between
	}
	run.End(pl.Close(nil))
	testutil.WithDeadline(t, 20*time.Second, func() { s.Close() })
	if i := pl.Snapshot().Index(); i != -1 {
		t.Errorf("with nobody watching, the writer copied image %d", i)
	}
}
