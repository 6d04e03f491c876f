package sweep

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

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
