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
	axes, common, err := Parse([]string{"--feedrate", "0.01:0.07:4", "-k", "0.05,0.06", "-n", "5", "--du=0.2",
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
	m := New([]Axis{{"feedrate", []string{"0.01", "0.02"}}, {"killrate", []string{"0.05", "0.06", "0.07"}}}, []string{"-n", "2"})
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
		{"-o", "x.h5", "-f", "0.01,0.02"}, {"--nbimage", "1:2:3"}, {"-f", "0.01"}, {"stray"},
	} {
		if _, _, err := Parse(args); err == nil {
			t.Errorf("Parse(%q) accepted", args)
		}
	}
}

// TestManifestRoundTrip: Save writes atomically (no temporary file left)
// and Load reads back the same sweep.
func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := New([]Axis{{"dv", []string{"0.1", "0.2"}}}, []string{"-e", "3"})
	m.Jobs = []string{"42"}
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) || !got.SameSweep(New(m.Axes, m.Common)) {
		t.Errorf("loaded %+v, saved %+v", got, m)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries after Save, want only %s", len(entries), ManifestName)
	}
}
