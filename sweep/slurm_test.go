package sweep

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// oddNames are folder names a file system allows that a shell, sbatch's
// #SBATCH parser or its file-name patterns would take apart.
var oddNames = []string{"a b", "it's", "100%", "-x", "héllo", `back\slash`, "$(touch pwned)", "tab\there"}

// fakeCommand puts a program name first on PATH, for this test only: a
// shell script.
func fakeCommand(t *testing.T, name, script string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// TestSubmitPassesPathsAsArguments submits sweeps in folders of odd names
// through a fake sbatch that records its arguments: every option is on the
// command line, the folder and the program go only as the script's
// arguments (and --chdir), absolute, and the script holds no path.
func TestSubmitPassesPathsAsArguments(t *testing.T) {
	record := filepath.Join(t.TempDir(), "argv")
	fakeCommand(t, "sbatch", `for a in "$@"; do printf '%s\0' "$a"; done >"`+record+`"; echo 4242`)
	for _, name := range oddNames {
		dir := filepath.Join(t.TempDir(), name)
		sw, err := Prepare(dir, append([]string{"--killrate", "0.05,0.06"}, tiny...))
		if err != nil {
			t.Fatal(err)
		}
		s := &Slurm{Settings: Settings{Scheduler: "slurm", Jobs: 1, Partition: "debug", Account: "a b"}, Binary: "/opt/gray scott/grayscott"}
		job, err := s.Submit(context.Background(), sw, []int{0, 1})
		if err != nil || job != "4242" {
			t.Fatalf("%q: job %q, %v", name, job, err)
		}
		b, _ := os.ReadFile(record)
		argv := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		want := []string{"--parsable", "--job-name=grayscott-sweep", "--array=0,1%1", "--output=/dev/null", "--chdir=" + dir,
			"--cpus-per-task=1", "--partition=debug", "--account=a b", filepath.Join(dir, "sweep.sbatch"), "/opt/gray scott/grayscott", dir}
		if !reflect.DeepEqual(argv, want) {
			t.Errorf("%q: sbatch %q\nwant %q", name, argv, want)
		}
		script, _ := os.ReadFile(filepath.Join(dir, "sweep.sbatch"))
		if string(script) != slurmScript {
			t.Errorf("%q: the script differs from slurmScript:\n%s", name, script)
		}
	}
	if slices.ContainsFunc(strings.Split(slurmScript, "\n"), func(l string) bool { return strings.HasPrefix(l, "#SBATCH") }) {
		t.Error("the script carries #SBATCH lines")
	}
}

// TestSubmitFailures: sbatch's refusal and an answer that is no job id are
// errors saying what sbatch said.
func TestSubmitFailures(t *testing.T) {
	sw, _ := prepare(t, "--killrate", "0.05,0.06")
	for script, want := range map[string]string{
		"echo 'sbatch: error: invalid partition' >&2; exit 1": "invalid partition",
		"echo 'Submitted batch job'":                          "not a job id",
	} {
		fakeCommand(t, "sbatch", script)
		if _, err := (&Slurm{}).Submit(context.Background(), sw, []int{0}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("sbatch %q: %v, want %q", script, err, want)
		}
	}
	if job, ok := parseJobID("12;cluster\n"); !ok || job != "12" {
		t.Errorf("--parsable with a cluster: %q %v", job, ok)
	}
}

// TestQueue reads squeue's answer; a job squeue no longer knows has left
// the queue.
func TestQueue(t *testing.T) {
	fakeCommand(t, "squeue", `echo "12_0 RUNNING"; echo "12_3 PENDING"; echo "13 PENDING"`)
	q, err := (&Slurm{}).Queue(context.Background(), []string{"12"})
	want := Queue{Known: true, Tasks: map[int]Task{0: {Job: "12", ID: "12_0", State: "RUNNING"}, 3: {Job: "12", ID: "12_3", State: "PENDING", Waiting: true}}}
	if err != nil || !reflect.DeepEqual(q, want) {
		t.Errorf("queue %+v, %v\nwant %+v", q, err, want)
	}
	fakeCommand(t, "squeue", `echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1`)
	if q, err := (&Slurm{}).Queue(context.Background(), []string{"12"}); err != nil || !q.Known || len(q.Tasks) != 0 {
		t.Errorf("a job long gone: %+v, %v", q, err)
	}
	fakeCommand(t, "squeue", `echo "slurm_load_jobs error: Socket timed out" >&2; exit 1`)
	if _, err := (&Slurm{}).Queue(context.Background(), []string{"12"}); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("a busy controller: %v", err)
	}
}
