package sweep

import (
	"os"
	"reflect"
	"testing"
)

// TestParse: lists and ranges become axes (values worked out by hand),
// single values (spelled --flag value) and other flags stay common, in
// the order given.
func TestParse(t *testing.T) {
	axes, common, err := parseArgs([]string{"--feedrate", "0.01:0.07:4", "-k", "0.05,0.06", "-n", "5", "--du=0.2",
		"--boundary", "zero,periodic", "--engine", "cpu", "--nbrow", "10:40:4"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Axis{
		{"feedrate", []string{"0.01", "0.03", "0.05", "0.07"}},
		{"killrate", []string{"0.05", "0.06"}},
		{"boundary", []string{"zero", "periodic"}},
		{"nbrow", []string{"10", "20", "30", "40"}},
	}
	if !reflect.DeepEqual(axes, want) {
		t.Errorf("axes %v, want %v", axes, want)
	}
	if wantCommon := []string{"--nbimage", "5", "--du", "0.2", "--engine", "cpu"}; !reflect.DeepEqual(common, wantCommon) {
		t.Errorf("common %q, want %q", common, wantCommon)
	}
}

// TestPoints: the Cartesian product, first axis outermost, each point's
// flags and file name.
func TestPoints(t *testing.T) {
	m := newManifest([]Axis{{"feedrate", []string{"0.01", "0.02"}}, {"killrate", []string{"0.05", "0.06", "0.07"}}}, []string{"-n", "2"})
	if len(m.Points) != 6 {
		t.Fatalf("%d points, want 6", len(m.Points))
	}
	p := m.Points[4] // feedrate index 1, killrate index 1
	if !reflect.DeepEqual(p.Values, []string{"0.02", "0.06"}) || p.File != "p004_feedrate0.02_killrate0.06.h5" {
		t.Errorf("point 4: %+v", p)
	}
	if got, want := m.Args(4), []string{"-n", "2", "--feedrate", "0.02", "--killrate", "0.06"}; !reflect.DeepEqual(got, want) {
		t.Errorf("args %q, want %q", got, want)
	}
}

func TestParseRejects(t *testing.T) {
	for _, args := range [][]string{
		{"--feedrate", "0.01:0.07"}, {"--feedrate", "0.01:0.07:0"}, {"--feedrate", "a:0.07:3"},
		{"--feedrate", "0.01,,0.02"}, {"--feedrate", "0.01:0.02:1"}, {"--boundary", "0:1:2"},
		{"--feedrate", "0.01,0.02", "--feedrate", "0.03"}, {"--threads", "1,2", "-f", "0.01,0.02"},
		{"-o", "x.h5", "-f", "0.01,0.02"}, {"--nbimage", "1:2:3"}, {"stray"},
		{"--serve", ":8080", "-f", "0.01,0.02"}, {"--serve=:0", "-f", "0.01,0.02"},
	} {
		if _, _, err := parseArgs(args); err == nil {
			t.Errorf("parseArgs(%q) accepted", args)
		}
	}
}

// TestManifestRoundTrip: Save writes atomically (no temporary file left)
// and Load reads back the same sweep.
func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := newManifest([]Axis{{"dv", []string{"0.1", "0.2"}}}, []string{"-e", "3"})
	m.Jobs = []string{"42"}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) || !got.SameSweep(newManifest(m.Axes, m.Common)) {
		t.Errorf("loaded %+v, saved %+v", got, m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after Save, want only %s", len(entries), ManifestName)
	}
}

// TestSettings: the sweep's flags as Settings, those not given taken from
// how the sweep last ran with the same scheduler; Slurm's options are
// refused for a local sweep and dropped from one.
func TestSettings(t *testing.T) {
	last := &Manifest{Settings: &Settings{Scheduler: "slurm", Jobs: 4, CPUsPerTask: 2, Partition: "gpu", Time: "1:00:00"}}
	for _, c := range []struct {
		flags map[string]string
		want  Settings
	}{
		{nil, Settings{Scheduler: "slurm", Jobs: 4, CPUsPerTask: 2, Partition: "gpu", Time: "1:00:00"}},
		{map[string]string{"partition": "cpu", "jobs": "0"}, Settings{Scheduler: "slurm", CPUsPerTask: 2, Partition: "cpu", Time: "1:00:00"}},
		{map[string]string{"scheduler": "local"}, Settings{Scheduler: "local"}},
		{map[string]string{"scheduler": "local", "jobs": "3"}, Settings{Scheduler: "local", Jobs: 3}},
	} {
		s, err := ParseSettings(c.flags)
		if err != nil {
			t.Fatal(err)
		}
		if got := last.Resolve(s); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %+v, want %+v", c.flags, got, c.want)
		}
	}
	if got := (&Manifest{}).Resolve(Settings{}); !reflect.DeepEqual(got, Settings{Scheduler: "local"}) {
		t.Errorf("a new sweep runs %+v, want local", got)
	}
	for _, bad := range []map[string]string{{"scheduler": "pbs"}, {"jobs": "-1"}, {"cpus-per-task": "0"},
		{"scheduler": "local", "partition": "gpu"}, {"task": "1"}} {
		if _, err := ParseSettings(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
