package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"grayscott/internal/testutil"
	"grayscott/storage/h5"
	"grayscott/storage/h5/h5test"
	"grayscott/sweep"
)

// runSweep runs "grayscott sweep args..." as a process (the runs it starts
// are processes too) with a deadline, and returns its exit status and
// output.
func runSweep(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return runSweepEnv(t, os.Environ(), args...)
}

// TestSweepEqualsSingleRuns: a local sweep of 2×2 points says what it will
// write, and gives the files that four single runs of the same flags give,
// bit for bit, then its summary and mosaic (checked in package sweep);
// running it again runs nothing.
func TestSweepEqualsSingleRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fk")
	common := []string{"-r", "24", "-c", "40", "-n", "3", "-e", "60", "--engine", "cpu", "--threads", "1"}
	code, out := runSweep(t, append([]string{dir, "--feedrate", "0.03,0.04", "--killrate", "0.055:0.06:2", "--jobs", "2"}, common...)...)
	if code != 0 {
		t.Fatalf("sweep: exit %d\n%s", code, out)
	}
	if want := "4 to run, 2 at a time; writes 4 points × 3 images of 24×40 (3.84 kB each) = 46.1 kB"; !strings.Contains(out, want) {
		t.Errorf("the sweep did not say %q first:\n%s", want, out)
	}
	points := []struct{ f, k string }{{"0.03", "0.055"}, {"0.03", "0.06"}, {"0.04", "0.055"}, {"0.04", "0.06"}}
	m, err := sweep.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Points) != 4 {
		t.Fatalf("%d points, want 4", len(m.Points))
	}
	for i, p := range points {
		path := filepath.Join(t.TempDir(), "single.h5")
		if code, _, stderr := runMain(append([]string{"run", "-q", "-o", path, "--feedrate", p.f, "--killrate", p.k}, common...)...); code != 0 {
			t.Fatalf("single run %d: exit %d: %s", i, code, stderr)
		}
		want := filepath.Join(dir, "p00"+string(rune('0'+i))+"_feedrate"+p.f+"_killrate"+p.k+".h5")
		testutil.SameImages(t, want, h5test.ReadImages(t, want), h5test.ReadImages(t, path))
	}
	for _, f := range []string{"summary.csv", "mosaic.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	code, out = runSweep(t, append([]string{dir, "--feedrate", "0.03,0.04", "--killrate", "0.055:0.06:2"}, common...)...)
	if code != 0 || !strings.Contains(out, "4 done, 0 to run") {
		t.Errorf("second sweep: exit %d\n%s", code, out)
	}
}

// stopArgs are the flags of a sweep slow enough to stop midway.
var stopSweepArgs = []string{"-r", "192", "-c", "192", "-n", "40", "-e", "400", "--engine", "cpu", "--threads", "1",
	"--flush-every", "1", "--killrate", "0.06,0.062"}

// stopSweep starts a local sweep in dir, one point at a time, sends it sig
// once its first point has a checkpoint, and returns its exit status and
// output.
func stopSweep(t *testing.T, dir string, sig os.Signal) (int, string) {
	t.Helper()
	cmd := command(append([]string{"sweep", dir, "--jobs", "1"}, stopSweepArgs...)...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForCheckpoint(t, filepath.Join(dir, "p000_killrate0.06.h5"), func() { cmd.Process.Kill(); t.Log(out.String()) })
	cmd.Process.Signal(sig)
	return waitExit(t, cmd, out), out.String()
}

// TestSweepFinishesWhatWasStopped stops a local sweep (SIGTERM) while its
// point runs: it exits as run does (143) saying how to go on; the point is
// interrupted with its images so far; running the sweep again resumes it
// from its checkpoint, and the file equals a run never stopped.
func TestSweepFinishesWhatWasStopped(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stopped")
	code, out := stopSweep(t, dir, syscall.SIGTERM)
	if code != 143 || !strings.Contains(out, "run the same command again") {
		t.Fatalf("a stopped sweep: exit %d, want 143 and how to go on\n%s", code, out)
	}
	first := filepath.Join(dir, "p000_killrate0.06.h5")
	if st := h5test.Status(t, first); st.Completed || st.Images >= 40 {
		t.Fatalf("after the stop: %+v (the run ended before the signal: make it longer)\n%s", st, out)
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
	wantLikeUnstopped(t, first)
}

// TestSweepCtrlCExitsLikeRun: SIGINT stops a local sweep with run's exit
// status, 130.
func TestSweepCtrlCExitsLikeRun(t *testing.T) {
	code, out := stopSweep(t, filepath.Join(t.TempDir(), "ctrl-c"), os.Interrupt)
	if code != 130 || !strings.Contains(out, "run the same command again") {
		t.Fatalf("exit %d, want 130 and how to go on\n%s", code, out)
	}
}

// waitForCheckpoint waits until the file at path has a checkpoint of 2
// images or more; after 90 s it calls giveUp and fails.
func waitForCheckpoint(t *testing.T, path string, giveUp func()) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); checkpointImages(path) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			giveUp()
			t.Fatalf("no checkpoint in %s within 90 s", path)
		}
	}
}

// wantLikeUnstopped fails unless the file at path (point killrate 0.06 of
// stopSweepArgs) equals a run never stopped, bit for bit.
func wantLikeUnstopped(t *testing.T, path string) {
	t.Helper()
	whole := filepath.Join(t.TempDir(), "whole.h5")
	if code, _, stderr := runMain(append(append([]string{"run", "-q", "-o", whole}, stopSweepArgs[:12]...), "--killrate", "0.06")...); code != 0 {
		t.Fatalf("single run: %s", stderr)
	}
	testutil.SameImages(t, "stopped then resumed point", h5test.ReadImages(t, path), h5test.ReadImages(t, whole))
}

// checkpointImages returns the images a file's checkpoint covers (0 when
// it has none or cannot be read).
func checkpointImages(path string) int {
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	st, err := h5.ReadStatus(path)
	if err != nil || st.Checkpoint == nil {
		return 0
	}
	return st.Checkpoint.Images
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
		{"serve given", []string{"--feedrate", "0.01,0.02", "--serve", ":0"}, "sweep: --serve is not a sweep flag: its points would share one address; grayscott serve DIR shows the sweep live"},
		{"whole numbers", []string{"--nbrow", "10:20:4"}, "not a whole number"},
		{"a value twice", []string{"--killrate", "0.05,0.05"}, "appears twice"},
		{"slurm flag, local sweep", []string{"--killrate", "0.05,0.06", "--scheduler", "local", "--partition", "gpu"}, "is for --scheduler slurm"},
		{"wait on a local sweep", []string{"--killrate", "0.05,0.06", "--wait"}, "give --scheduler slurm"},
		{"a misspelt flag", []string{"--feedrat", "0.1"}, "sweep: unknown flag: --feedrat (did you mean --feedrate?)"},
		{"a misspelt flag beside a list", []string{"--feedrat", "0.1", "--killrate", "0.05,0.06"}, "sweep: unknown flag: --feedrat (did you mean --feedrate?)"},
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
	// The folder first: a flag in its place is named, not taken for a missing folder.
	for _, args := range [][]string{{"--hlp"}, {"--feedrate", "0.01,0.02", "d"}} {
		if code, out := runSweep(t, args...); code != 2 || !strings.Contains(out, "sweep: the folder comes first, got "+args[0]) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("sweep %v: exit %d, output %q; want exit 2 and one line naming %s", args, code, out, args[0])
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
	cmd.Env = append(slices.Clip(env), "GRAYSCOTT_BE_MAIN=1") // env is shared by parallel tests
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
	// --wait says how far the job is, a line each time that changes.
	if progress := regexp.MustCompile(`(?m)^sweep .*: (\d) of 4 points done, (\d) running, (\d) queued$`).FindAllString(out, -1); len(progress) < 2 ||
		!strings.HasSuffix(progress[len(progress)-1], "4 of 4 points done, 0 running, 0 queued") ||
		len(slices.Compact(slices.Clone(progress))) != len(progress) {
		t.Errorf("--wait's progress: %q\n%s", progress, out)
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

// TestSweepFolderNamesOnSlurm: sweeps in folders of names a shell or
// sbatch would take apart run on the dev cluster, each point equal to its
// local twin, each task's own log in logs/.
func TestSweepFolderNamesOnSlurm(t *testing.T) {
	env := requireSlurm(t)
	base := t.TempDir()
	flags := []string{"--killrate", "0.055,0.06", "-r", "16", "-c", "20", "-n", "2", "-e", "20", "--engine", "cpu", "--threads", "1"}
	local := filepath.Join(base, "local")
	if code, out := runSweep(t, append([]string{local}, flags...)...); code != 0 {
		t.Fatalf("local sweep: exit %d\n%s", code, out)
	}
	for _, name := range []string{"a b", "it's", "100%", "-x", "héllo", `back\slash`} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(base, name)
			code, out := runSweepEnv(t, env, append([]string{dir, "--scheduler", "slurm", "--wait"}, flags...)...)
			if code != 0 || !strings.Contains(out, "every point done") {
				t.Fatalf("exit %d\n%s", code, out)
			}
			for _, f := range []string{"p000_killrate0.055.h5", "p001_killrate0.06.h5"} {
				testutil.SameImages(t, f, h5test.ReadImages(t, filepath.Join(dir, f)), h5test.ReadImages(t, filepath.Join(local, f)))
			}
			entries, _ := os.ReadDir(filepath.Join(dir, "logs"))
			if n := len(slices.DeleteFunc(entries, func(e os.DirEntry) bool { return !strings.HasPrefix(e.Name(), "slurm-") })); n != 2 {
				t.Errorf("%d task logs in logs/, want 2", n)
			}
		})
	}
}

// TestSweepCancelledTaskFails cancels a sweep's job (scancel) while a task
// runs its point: --status shows the point failed; submitting the sweep
// again resumes it from its checkpoint and finishes it, equal to a run
// never cancelled.
func TestSweepCancelledTaskFails(t *testing.T) {
	env := requireSlurm(t)
	dir := filepath.Join(t.TempDir(), "cancelled")
	code, out := runSweepEnv(t, env, append([]string{dir, "--scheduler", "slurm"}, stopSweepArgs...)...)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s", code, out)
	}
	// While its tasks are queued or running, the sweep is not run twice.
	if code, out := runSweepEnv(t, env, dir); code == 0 || !strings.Contains(out, "still queued or running") {
		t.Errorf("a second submission while the first runs: exit %d\n%s", code, out)
	}
	first := filepath.Join(dir, "p000_killrate0.06.h5")
	waitForCheckpoint(t, first, func() { runSweepEnv(t, env, dir, "--cancel") })
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
	if st := h5test.Status(t, first); st.Completed || st.Images >= 40 {
		t.Fatalf("point 0 finished before the cancel (%d images): make it longer", st.Images)
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
	wantLikeUnstopped(t, first)
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
