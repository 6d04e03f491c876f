package main

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"grayscott/cmd/grayscott/internal/sweep"
	"grayscott/colormap"
	"grayscott/internal/testutil"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
)

// runSweep runs "grayscott sweep args..." as a process (the runs it starts
// are processes too) with a deadline, and returns its exit status and
// output.
func runSweep(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runSweepEnv(t, os.Environ(), args...)
}

// TestSweepEqualsSingleRuns: a local sweep of 2×2 points gives the files
// that four single runs of the same flags give, bit for bit; its summary
// has a line per point and its mosaic shows each point's last image in its
// own tile (checked pixel by pixel against the single runs).
func TestSweepEqualsSingleRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fk")
	common := []string{"-r", "24", "-c", "40", "-n", "3", "-e", "60", "--engine", "cpu", "--threads", "1"}
	code, out := runSweep(t, append([]string{dir, "--feedrate", "0.03,0.04", "--killrate", "0.055:0.06:2", "--jobs", "2"}, common...)...)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, out)
	}
	points := []struct{ f, k string }{{"0.03", "0.055"}, {"0.03", "0.06"}, {"0.04", "0.055"}, {"0.04", "0.06"}}
	m, err := sweep.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != 4 {
		t.Fatalf("%d points, want 4", len(m.Points))
	}
	single := make([][][]float32, 4)
	for i, p := range points {
		path := filepath.Join(t.TempDir(), "single.h5")
		if code, _, stderr := runMain(append([]string{"run", "-q", "-o", path, "--feedrate", p.f, "--killrate", p.k}, common...)...); code != 0 {
			t.Fatalf("single run %d: exit %d: %s", i, code, stderr)
		}
		single[i] = h5test.ReadImages(t, path)
		want := filepath.Join(dir, "p00"+string(rune('0'+i))+"_feedrate"+p.f+"_killrate"+p.k+".h5")
		testutil.SameImages(t, want, h5test.ReadImages(t, want), single[i])
	}
	f, err := os.Open(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 5 || recs[0][1] != "feedrate" || recs[0][2] != "killrate" {
		t.Fatalf("summary.csv: %v %q", err, recs)
	}
	for i, rec := range recs[1:] {
		if rec[1] != points[i].f || rec[2] != points[i].k || rec[4] != "done" || rec[5] != "3" {
			t.Errorf("summary line %d: %q", i, rec)
		}
	}
	// The mosaic: 2×2 tiles, each showing its point's last image.
	mf, err := os.Open(filepath.Join(dir, "mosaic.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(mf)
	mf.Close()
	if err != nil {
		t.Fatal(err)
	}
	shape := gridShape{24, 40}
	g := newMosaicGeometry(m, []gridShape{shape, shape, shape, shape})
	if g.rows != 2 || g.cols != 2 || img.Bounds().Dx() != g.width || img.Bounds().Dy() != g.height {
		t.Fatalf("mosaic %v with %d×%d tiles, want 2×2 tiles in %d×%d", img.Bounds(), g.rows, g.cols, g.width, g.height)
	}
	var last [][]float32
	for i := range single {
		last = append(last, single[i][len(single[i])-1])
	}
	lo, hi := mosaicRange(last)
	cmap, _ := colormap.Lookup(colormap.Default)
	for i := range points {
		x0, y0 := g.tileAt(i)
		for _, px := range [][2]int{{0, 0}, {g.tileW / 2, g.tileH / 2}, {g.tileW - 1, g.tileH - 1}, {g.tileW / 3, 2 * g.tileH / 3}} {
			r, c := px[1]*24/g.tileH, px[0]*40/g.tileW
			want := cmap.Table()[colormap.Index(last[i][r*40+c], lo, hi)]
			cr, cg, cb, _ := img.At(x0+px[0], y0+px[1]).RGBA()
			if [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)} != want {
				t.Errorf("tile %d pixel %v (cell %d,%d): colour %d,%d,%d, want %v", i, px, r, c, cr>>8, cg>>8, cb>>8, want)
			}
		}
	}
	// Running it again does nothing: every point is done.
	code, out = runSweep(t, append([]string{dir, "--feedrate", "0.03,0.04", "--killrate", "0.055:0.06:2"}, common...)...)
	if code != 0 || !strings.Contains(out, "4 done, 0 to run") {
		t.Errorf("second sweep: exit %d\n%s", code, out)
	}
}

// TestSweepFinishesWhatWasStopped stops a local sweep (SIGTERM) while its
// point runs: the point is interrupted with its images so far; running the
// sweep again resumes it from its checkpoint, and the file equals a run
// never stopped.
func TestSweepFinishesWhatWasStopped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stopped")
	args := []string{"-r", "192", "-c", "192", "-n", "40", "-e", "400", "--engine", "cpu", "--threads", "1",
		"--flush-every", "1", "--killrate", "0.06,0.062"}
	cmd := command(append([]string{"sweep", dir, "--jobs", "1"}, args...)...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := filepath.Join(dir, "p000_killrate0.06.h5")
	deadline := time.Now().Add(60 * time.Second)
	for {
		if n, _ := checkpointImages(first); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint in %s within 60 s\n%s", first, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if code := waitExit(t, cmd, out); code == 0 {
		t.Fatalf("a stopped sweep exited 0\n%s", out.String())
	}
	n, completed, _, err := fileProgress(first)
	if err != nil || completed || n >= 40 {
		t.Fatalf("after the stop: %d images, completed %v, %v (the run ended before the signal: make it longer)\n%s", n, completed, err, out.String())
	}
	code, status := runSweep(t, dir, "--status")
	if code != 0 || !strings.Contains(status, "interrupted: 1") || !strings.Contains(status, "pending: 1") {
		t.Fatalf("status: exit %d\n%s", code, status)
	}
	code, out2 := runSweep(t, dir)
	if code != 0 {
		t.Fatalf("sweep again: exit %d\n%s", code, out2)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "logs", "p000_killrate0.06.log")); !strings.Contains(string(log), "--resume") {
		t.Errorf("the interrupted point was not resumed:\n%s", log)
	}
	whole := filepath.Join(t.TempDir(), "whole.h5")
	if code, _, stderr := runMain("run", "-q", "-o", whole, "-r", "192", "-c", "192", "-n", "40", "-e", "400", "--engine", "cpu",
		"--threads", "1", "--killrate", "0.06"); code != 0 {
		t.Fatalf("single run: %s", stderr)
	}
	testutil.SameImages(t, "resumed point", h5test.ReadImages(t, first), h5test.ReadImages(t, whole))
}

// checkpointImages returns the images a file's checkpoint covers.
func checkpointImages(path string) (int, error) {
	if _, err := os.Stat(path); err != nil {
		return 0, err
	}
	r, err := h5.Open(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	_, n, _ := r.Checkpoint()
	return n, nil
}

// TestSweepBadInput: one line, exit 2, nothing written.
func TestSweepBadInput(t *testing.T) {
	base := t.TempDir()
	taken := filepath.Join(base, "taken")
	if code, out := runSweep(t, taken, "--feedrate", "0.03,0.04", "-r", "8", "-c", "8", "-n", "1", "-e", "1", "--engine", "cpu"); code != 0 {
		t.Fatalf("setup sweep: %d\n%s", code, out)
	}
	manifest, _ := os.ReadFile(filepath.Join(taken, sweep.ManifestName))
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"empty range", []string{"--feedrate", "0.01:0.07:"}, "a range is start:stop:count"},
		{"count 0", []string{"--feedrate", "0.01:0.07:0"}, "count must be a whole number ≥ 1"},
		{"list on a non-model flag", []string{"--feedrate", "0.01,0.02", "--compression-level", "1,2"}, "only model flags take lists"},
		{"no list at all", []string{"--feedrate", "0.01"}, "no model flag holds a list"},
		{"bad value in a list", []string{"--feedrate", "0.01,abc"}, "point 1"},
		{"output given", []string{"--feedrate", "0.01,0.02", "-o", "x.h5"}, "the sweep names each point's file"},
		{"whole numbers", []string{"--nbrow", "10:20:4"}, "not a whole number"},
		{"a value twice", []string{"--killrate", "0.05,0.05"}, "appears twice"},
		{"slurm flag, local sweep", []string{"--killrate", "0.05,0.06", "--scheduler", "local", "--partition", "gpu"}, "is for --scheduler slurm"},
		{"wait on a local sweep", []string{"--killrate", "0.05,0.06", "--wait"}, "give --scheduler slurm"},
	}
	for _, c := range cases {
		dir := filepath.Join(base, strings.ReplaceAll(c.name, " ", "-"))
		code, out := runSweep(t, append([]string{dir}, c.args...)...)
		if code != 2 || !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%s: exit %d, output %q; want exit 2 and one line with %q", c.name, code, out, c.want)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: %s was created", c.name, dir)
		}
	}
	code, out := runSweep(t, taken, "--feedrate", "0.03,0.05", "-r", "8", "-c", "8", "-n", "1", "-e", "1", "--engine", "cpu")
	if code != 2 || !strings.Contains(out, "holds another sweep") {
		t.Errorf("another sweep in the folder: exit %d, %q", code, out)
	}
	if now, _ := os.ReadFile(filepath.Join(taken, sweep.ManifestName)); !bytes.Equal(now, manifest) {
		t.Errorf("the other sweep's manifest changed")
	}
}

// requireSlurm starts the dev cluster (scripts/slurm-dev.sh) and returns
// the environment its clients need; it skips where slurm-wlm is not
// installed (scripts/install-deps.sh --test installs it; CI has it).
func requireSlurm(t *testing.T) []string {
	t.Helper()
	script, _ := filepath.Abs("../../scripts/slurm-dev.sh")
	out, err := exec.Command(script, "start").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
		t.Skipf("no Slurm here: %s", strings.TrimSpace(string(out)))
	}
	if err != nil {
		t.Fatalf("slurm-dev.sh start: %v\n%s", err, out)
	}
	env := os.Environ()
	dir := os.Getenv("SLURM_DEV_DIR")
	if dir == "" {
		dir = "/tmp/grayscott-slurm"
	}
	if b, err := os.ReadFile(filepath.Join(dir, "env")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if kv, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
				env = append(env, kv)
			}
		}
	}
	return env
}

// runSweepEnv is runSweep in the environment env (the Slurm clients').
func runSweepEnv(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := command(append([]string{"sweep"}, args...)...)
	cmd.Env = append(env, "GRAYSCOTT_BE_MAIN=1")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return waitExit(t, cmd, out), out.String()
}

// TestSweepOnSlurm runs the same sweep locally and as a job array on the
// dev cluster (scripts/slurm-dev.sh): the files are equal bit for bit.
func TestSweepOnSlurm(t *testing.T) {
	env := requireSlurm(t)
	base := t.TempDir()
	flags := []string{"--feedrate", "0.03,0.04", "--killrate", "0.055,0.06", "-r", "24", "-c", "40", "-n", "3", "-e", "60",
		"--engine", "cpu", "--threads", "1"}
	local, cluster := filepath.Join(base, "local"), filepath.Join(base, "cluster")
	if code, out := runSweep(t, append([]string{local}, flags...)...); code != 0 {
		t.Fatalf("local sweep: exit %d\n%s", code, out)
	}
	code, out := runSweepEnv(t, env, append([]string{cluster, "--scheduler", "slurm", "--wait", "--jobs", "2"}, flags...)...)
	if code != 0 || !strings.Contains(out, "submitted Slurm job") || !strings.Contains(out, "every point done") {
		t.Fatalf("slurm sweep: exit %d\n%s", code, out)
	}
	m, err := sweep.Load(cluster)
	if err != nil || len(m.Jobs) != 1 {
		t.Fatalf("manifest: %v, jobs %v", err, m.Jobs)
	}
	for _, p := range m.Points {
		testutil.SameImages(t, p.File, h5test.ReadImages(t, filepath.Join(cluster, p.File)), h5test.ReadImages(t, filepath.Join(local, p.File)))
	}
	if _, err := os.Stat(filepath.Join(cluster, "mosaic.png")); err != nil {
		t.Errorf("no mosaic after the job: %v", err)
	}
}

// TestSweepCancelledTaskFails cancels a sweep's job (scancel) while a task
// runs its point: --status shows the point failed; submitting the sweep
// again resumes it from its checkpoint and finishes it, equal to a run
// never cancelled.
func TestSweepCancelledTaskFails(t *testing.T) {
	env := requireSlurm(t)
	dir := filepath.Join(t.TempDir(), "cancelled")
	model := []string{"-r", "192", "-c", "192", "-n", "40", "-e", "400", "--engine", "cpu", "--threads", "1"}
	code, out := runSweepEnv(t, env, append([]string{dir, "--scheduler", "slurm", "--killrate", "0.06,0.062", "--flush-every", "1"}, model...)...)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s", code, out)
	}
	// While its tasks are queued or running, the sweep is not run twice.
	if code, out := runSweepEnv(t, env, dir); code == 0 || !strings.Contains(out, "still queued or running") {
		t.Errorf("a second submission while the first runs: exit %d\n%s", code, out)
	}
	first := filepath.Join(dir, "p000_killrate0.06.h5")
	deadline := time.Now().Add(90 * time.Second)
	for {
		if n, _ := checkpointImages(first); n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			runSweepEnv(t, env, dir, "--cancel")
			t.Fatalf("no checkpoint in %s within 90 s", first)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, out := runSweepEnv(t, env, dir, "--cancel"); code != 0 {
		t.Fatalf("cancel: exit %d\n%s", code, out)
	}
	m, _ := sweep.Load(dir)
	for deadline := time.Now().Add(60 * time.Second); len(slurmQueueEnv(env, m.Jobs)) > 0; {
		if time.Now().After(deadline) {
			t.Fatal("the cancelled job is still in the queue after 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if n, completed, _, _ := fileProgress(first); completed || n >= 40 {
		t.Fatalf("point 0 finished before the cancel (%d images): make it longer", n)
	}
	code, status := runSweepEnv(t, env, dir, "--status")
	if code != 0 || !regexpFailed.MatchString(status) {
		t.Fatalf("status after scancel: exit %d, want point 0 failed\n%s", code, status)
	}
	// A bare "sweep DIR" submits it to Slurm again, as it ran last.
	code, out = runSweepEnv(t, env, dir, "--wait")
	if code != 0 || !strings.Contains(out, "submitted Slurm job") || !strings.Contains(out, "every point done") {
		t.Fatalf("submitting again: exit %d\n%s", code, out)
	}
	whole := filepath.Join(t.TempDir(), "whole.h5")
	if code, _, stderr := runMain(append([]string{"run", "-q", "-o", whole, "--killrate", "0.06"}, model...)...); code != 0 {
		t.Fatalf("single run: %s", stderr)
	}
	testutil.SameImages(t, "cancelled then resumed point", h5test.ReadImages(t, first), h5test.ReadImages(t, whole))
}

// regexpFailed matches --status listing point 0 under failed.
var regexpFailed = regexp.MustCompile(`(?m)^failed: \d+\n(  .*\n)*  0 \(killrate 0\.06\)[^\n]*cancelled`)

// slurmQueueEnv is slurmQueue with the dev cluster's environment.
func slurmQueueEnv(env []string, jobs []string) []string {
	cmd := exec.Command("squeue", "-h", "-r", "-j", strings.Join(jobs, ","), "-o", "%i %T")
	cmd.Env = env
	out, _ := cmd.Output()
	return strings.Fields(string(out))
}

// TestSweepOverGridSizes: points of different grids each get a tile of
// their own shape in the mosaic (checked against each point's file).
func TestSweepOverGridSizes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sizes")
	if code, out := runSweep(t, dir, "--nbrow", "12,30", "-c", "20", "-n", "1", "-e", "5", "--engine", "cpu"); code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, out)
	}
	m, err := sweep.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "mosaic.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	shapes := []gridShape{{12, 20}, {30, 20}}
	var last [][]float32
	for _, p := range m.Points {
		images := h5test.ReadImages(t, filepath.Join(dir, p.File))
		last = append(last, images[len(images)-1])
	}
	g := newMosaicGeometry(m, shapes)
	lo, hi := mosaicRange(last)
	cmap, _ := colormap.Lookup(colormap.Default)
	for i, s := range shapes {
		x0, y0 := g.tileAt(i)
		w, h := tileSize(s)
		for _, px := range [][2]int{{0, 0}, {w / 2, h / 2}, {w - 1, h - 1}} {
			r, c := cellAt(px[0], px[1], s)
			want := cmap.Table()[colormap.Index(last[i][r*s.cols+c], lo, hi)]
			cr, cg, cb, _ := img.At(x0+px[0], y0+px[1]).RGBA()
			if [3]uint8{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8)} != want {
				t.Errorf("tile %d (%d×%d) pixel %v: colour %d,%d,%d, want %v", i, s.rows, s.cols, px, cr>>8, cg>>8, cb>>8, want)
			}
		}
	}
}

// TestSweepOnTheGPUEngine: points run with --engine gpu (llvmpipe here);
// the sweep gives them no --threads, which the GPU engine refuses.
func TestSweepOnTheGPUEngine(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gpu")
	code, out := runSweep(t, dir, "--engine", "gpu", "--feedrate", "0.03,0.04", "-r", "16", "-c", "24", "-n", "1", "-e", "4", "--jobs", "1")
	requireGL(t, out)
	if code != 0 || !strings.Contains(out, "every point done") {
		t.Fatalf("sweep --engine gpu: exit %d\n%s", code, out)
	}
}
