package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"grayscott/bench"
	"grayscott/gpu"
	"grayscott/internal/testutil"
	"grayscott/storage/h5"
)

// TestBenchQuick runs grayscott bench in its quick mode: every stage
// appears for every size, every figure has every field and a positive
// median inside its range, and the CSV and the plot are written. No figure
// is compared with a time.
func TestBenchQuick(t *testing.T) {
	dir := t.TempDir()
	js, cs, pl := filepath.Join(dir, "b.json"), filepath.Join(dir, "b.csv"), filepath.Join(dir, "b.png")
	tuning := filepath.Join(t.TempDir(), "tuning.json")
	code, stdout, stderr := runMain("bench", "--quick", "--engines", "gpu,cpu", "--save-tuning", "--tuning", tuning, "--dir", dir,
		"--json", js, "--csv", cs, "--plot", pl)
	requireGL(t, stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "end-to-end") || !strings.Contains(stdout, "compute+readback") && !strings.Contains(stdout, "% of storage") {
		t.Errorf("the table lacks the end-to-end rows:\n%s", stdout)
	}
	raw, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"program", "version", "date", "gl_renderer", "gl_vendor", "gl_version", "gl_platform", "cpus", "steps_per_image", "images", "repeats", "figures"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	var rep bench.Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	fields := reflect.TypeOf(bench.Figure{})
	var want []string
	for i := range fields.NumField() {
		want = append(want, strings.Split(fields.Field(i).Tag.Get("json"), ",")[0])
	}
	figs := doc["figures"].([]any)
	stages := map[string]map[float64]bool{}
	for i, f := range figs {
		m := f.(map[string]any)
		for _, k := range want {
			if _, ok := m[k]; !ok {
				t.Fatalf("figure %d lacks %q: %v", i, k, m)
			}
		}
		if stages[m["stage"].(string)] == nil {
			stages[m["stage"].(string)] = map[float64]bool{}
		}
		stages[m["stage"].(string)][m["size"].(float64)] = true
	}
	for _, f := range rep.Figures {
		if !(f.Median > 0) || f.Median < f.Min || f.Median > f.Max || f.Repeats != 1 {
			t.Errorf("figure %+v: median outside its range, or not positive", f)
		}
		if f.Stage == "end-to-end" && (f.BoundBy == "" || f.Limit <= 0) {
			t.Errorf("end-to-end figure without its bound: %+v", f)
		}
	}
	for _, st := range []string{"memory-copy", "host-copy"} {
		if !stages[st][0] {
			t.Errorf("no %s figure", st)
		}
	}
	for _, st := range []string{"compute", "readback", "disk-write", "storage", "end-to-end"} {
		for _, n := range []float64{32, 48} {
			if !stages[st][n] {
				t.Errorf("no %s figure for size %v", st, n)
			}
		}
	}
	f, err := os.Open(cs)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != len(figs)+1 {
		t.Errorf("CSV: %d rows (%v), want %d", len(rows), err, len(figs)+1)
	}
	if png := decodePNG(t, pl); png.Bounds().Dx() < 600 {
		t.Errorf("plot of %v", png.Bounds())
	}
	if left, _ := os.ReadDir(dir); len(left) != 3 {
		t.Errorf("bench left files behind: %v", left)
	}
	// The saved tuning drives run's --kernel/--workgroup auto.
	best := rep.Fastest()
	if len(best) != 2 {
		t.Fatalf("best per size: %+v", best)
	}
	out := filepath.Join(dir, "tuned.h5")
	if code, _, stderr := runMain("run", "-q", "--engine", "gpu", "-r", "48", "-c", "48", "-n", "1", "-e", "2", "-o", out, "--tuning", tuning); code != exitOK {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	r, err := h5.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	kernel, _ := r.String("kernel")
	wg, _ := r.String("workgroup")
	if kernel != best[1].Kernel || wg != best[1].Workgroup {
		t.Errorf("a 48² run chose %s %s; bench measured %s %s fastest at 48²", kernel, wg, best[1].Kernel, best[1].Workgroup)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--sizes", "0"}, "--sizes 0"},
		{[]string{"--workgroups", "3x999"}, "--workgroups 3x999"},
		{[]string{"--kernels", "fast"}, "--kernels fast"},
		{[]string{"--compression", "12"}, "--compression 12"},
		{[]string{"--dir", "/nonexistent"}, "--dir /nonexistent"},
		{[]string{"--repeats", "0"}, "at least 1"},
	} {
		code, _, stderr := runMain(append([]string{"bench"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

// TestBenchStopsWithWhatItMeasured interrupts bench midway: it finishes
// the measurement in progress, prints the table and writes the files of
// what it measured, and exits 130 saying so; run's message about images
// in flight is not its own.
func TestBenchStopsWithWhatItMeasured(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "b.json")
	cmd := command("bench", "--engines", "cpu", "--threads", "1", "--sizes", "32,48,64,96,128,160,192,256",
		"--images", "4", "-e", "2", "--repeats", "1", "--save-tuning=false", "--dir", dir, "--json", js)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	testutil.WaitUntil(t, "bench reaches its second grid", func() bool { return strings.Contains(stderr.String(), "grid=48²") })
	cmd.Process.Signal(os.Interrupt)
	code := waitExit(t, cmd, &stderr)
	var rep bench.Report
	raw, _ := os.ReadFile(js)
	jerr := json.Unmarshal(raw, &rep)
	if code != 130 || jerr != nil || len(rep.Figures) < 3 || !strings.Contains(stdout.String(), "compute") ||
		!strings.Contains(stderr.String(), "stopped by SIGINT: bench: the table and files hold the") ||
		strings.Contains(stderr.String(), "images in flight") || strings.Contains(stdout.String(), "256²") {
		t.Errorf("exit %d, %d figures in the JSON (%v)\nstdout:\n%s\nstderr:\n%s", code, len(rep.Figures), jerr, stdout.String(), stderr.String())
	}
}

// TestBenchTableIsNarrow: each measurement is one row (a compute row
// carries its bandwidth), and no line is wider than a 132-column terminal.
func TestBenchTableIsNarrow(t *testing.T) {
	code, stdout, stderr := runMain("bench", "--quick", "--engines", "gpu,cpu", "--repeats", "2", "--dir", t.TempDir())
	requireGL(t, stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows, compute := map[string]int{}, 0
	for _, line := range strings.Split(stdout, "\n") {
		if n := len([]rune(line)); n > 132 {
			t.Errorf("a line of %d characters: %q", n, line)
		}
		if !strings.HasPrefix(line, " ") { // a section's heading
			clear(rows)
		}
		if f := strings.Fields(line); len(f) > 5 && f[0] == "compute" {
			compute++
			key := strings.Join(f[:5], " ")
			if rows[key]++; rows[key] > 1 {
				t.Errorf("%q appears twice in a section", key)
			}
		}
	}
	if compute == 0 {
		t.Errorf("no compute rows in\n%s", stdout)
	}
}

// TestBenchAutoSkipsASoftwareGPU: --engines auto measures the GPU where
// run's --engine auto would use it, and says why it does not elsewhere.
func TestBenchAutoSkipsASoftwareGPU(t *testing.T) {
	c, err := gpu.NewHeadless(gpu.Options{})
	hardware := err == nil && !c.Info().Software()
	if err == nil {
		c.Release()
	}
	code, stdout, stderr := runMain("bench", "--quick", "--sizes", "32", "--dir", t.TempDir())
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if gpuRows := strings.Contains(stdout, "compute     gpu"); gpuRows != hardware ||
		(!hardware && !strings.Contains(stderr, "the CPU engine only")) {
		t.Errorf("hardware GPU %v, GPU rows %v; stderr:\n%s", hardware, gpuRows, stderr)
	}
}
