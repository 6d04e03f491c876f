package sweep

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"grayscott/internal/runflags"
	"grayscott/sim"
)

// usagef reports bad input (runflags.UsageError: exit status 2).
var usagef = runflags.Usagef

// Axis is one swept model flag and its values, in the order given.
type Axis struct {
	Flag   string   `json:"flag"`
	Values []string `json:"values"`
}

// Point is one run of the sweep: a value for each axis.
type Point struct {
	Index  int      `json:"index"`
	Values []string `json:"values"` // one per axis, in the axes' order
	File   string   `json:"file"`   // relative to the sweep's folder
}

// Manifest describes a sweep; sweep.json holds it.
type Manifest struct {
	Version  int       `json:"version"`
	Axes     []Axis    `json:"axes"`
	Common   []string  `json:"common_flags"` // run flags given to every point
	Points   []Point   `json:"points"`
	Settings *Settings `json:"scheduler,omitempty"`  // as last run: a bare "grayscott sweep DIR" runs it so again
	Jobs     []string  `json:"slurm_jobs,omitempty"` // the batch jobs submitted, in order
}

// ManifestName is the manifest's file name in a sweep's folder.
const ManifestName = "sweep.json"

// notInSweeps are run flags a sweep sets itself, or that make no sense for
// many runs at once.
var notInSweeps = map[string]string{
	"output": "the sweep names each point's file", "o": "the sweep names each point's file",
	"resume": "the sweep resumes interrupted points itself", "force": "the sweep reruns what needs it itself",
	"window": "a sweep runs without a window", "screenshot": "a sweep runs without a window",
	"json": "the sweep writes summary.csv", "steps-per-draw": "a sweep runs without a window",
	"serve": "its points would share one address; grayscott serve DIR shows the sweep live",
}

// pathFlags take a file name, which may hold commas: never a list.
var pathFlags = map[string]bool{"tuning": true}

// parseArgs splits a run's flags into the swept axes (model flags given a
// comma list, or a range start:stop:count) and the flags common to every
// point. It checks the lists' syntax, not the values: Prepare validates the
// common flags and each point's with the run's own parser.
func parseArgs(args []string) (axes []Axis, common []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, nil, usagef("sweep: unexpected argument %q", a)
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if why, ok := notInSweeps[name]; ok {
			return nil, nil, usagef("sweep: %s is not a sweep flag: %s", strings.SplitN(a, "=", 2)[0], why)
		}
		field, isModel := lookupModelFlag(name, strings.HasPrefix(a, "--"))
		if !isModel {
			list := func(v string) bool { return strings.Contains(v, ",") && !pathFlags[name] }
			if hasValue && list(value) {
				return nil, nil, usagef("sweep: --%s %s: only model flags take lists (%s)", name, value, modelFlags())
			}
			common = append(common, a)
			// A non-boolean flag's value follows as the next argument.
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				if list(args[i+1]) {
					return nil, nil, usagef("sweep: %s %s: only model flags take lists (%s)", a, args[i+1], modelFlags())
				}
				common = append(common, args[i+1])
				i++
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return nil, nil, usagef("sweep: --%s needs a value", field.Flag)
			}
			value = args[i+1]
			i++
		}
		values, err := expand(field, value)
		if err != nil {
			return nil, nil, err
		}
		if slices.ContainsFunc(axes, func(x Axis) bool { return x.Flag == field.Flag }) ||
			slices.Contains(common, "--"+field.Flag) {
			return nil, nil, usagef("sweep: --%s given twice", field.Flag)
		}
		if len(values) == 1 {
			common = append(common, "--"+field.Flag, values[0])
			continue
		}
		axes = append(axes, Axis{Flag: field.Flag, Values: values})
	}
	return axes, common, nil
}

func lookupModelFlag(name string, long bool) (sim.Field, bool) {
	for _, f := range sim.Fields {
		if (long && f.Flag == name) || (!long && f.Short != "" && f.Short == name) {
			return f, true
		}
	}
	return sim.Field{}, false
}

func modelFlags() string {
	var names []string
	for _, f := range sim.Fields {
		names = append(names, "--"+f.Flag)
	}
	return strings.Join(names, ", ")
}

// expand reads a comma list or a range start:stop:count (count values from
// start to stop, both included).
func expand(f sim.Field, spec string) ([]string, error) {
	if spec == "" {
		return nil, usagef("sweep: --%s: empty value", f.Flag)
	}
	if strings.Contains(spec, ":") {
		parts := strings.Split(spec, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, usagef("sweep: --%s %s: a range is start:stop:count", f.Flag, spec)
		}
		if f.Kind == sim.BoundaryKind {
			return nil, usagef("sweep: --%s %s: boundaries take a list (zero,periodic,neumann), not a range", f.Flag, spec)
		}
		start, err1 := strconv.ParseFloat(parts[0], 64)
		stop, err2 := strconv.ParseFloat(parts[1], 64)
		count, err3 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil || math.IsNaN(start) || math.IsNaN(stop) || math.IsInf(start, 0) || math.IsInf(stop, 0) {
			return nil, usagef("sweep: --%s %s: start and stop must be numbers", f.Flag, spec)
		}
		if err3 != nil || count < 1 {
			return nil, usagef("sweep: --%s %s: the count must be a whole number ≥ 1", f.Flag, spec)
		}
		if count == 1 && start != stop {
			return nil, usagef("sweep: --%s %s: one value cannot span %s to %s", f.Flag, spec, parts[0], parts[1])
		}
		var out []string
		for i := range count {
			v := start
			if count > 1 {
				v = start + (stop-start)*float64(i)/float64(count-1)
			}
			if f.Kind == sim.IntKind {
				if v != math.Trunc(v) {
					return nil, usagef("sweep: --%s %s: value %g is not a whole number", f.Flag, spec, v)
				}
				out = append(out, strconv.FormatInt(int64(v), 10))
			} else {
				out = append(out, strconv.FormatFloat(float64(float32(v)), 'g', -1, 32))
			}
		}
		return dedupe(f, spec, out)
	}
	values := strings.Split(spec, ",")
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return nil, usagef("sweep: --%s %s: an empty value in the list", f.Flag, spec)
		}
	}
	return dedupe(f, spec, values)
}

func dedupe(f sim.Field, spec string, values []string) ([]string, error) {
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			return nil, usagef("sweep: --%s %s: %s appears twice", f.Flag, spec, v)
		}
		seen[v] = true
	}
	return values, nil
}

// points is the Cartesian product of the axes, the first axis outermost,
// with each point's file name.
func points(axes []Axis) []Point {
	n := 1
	for _, a := range axes {
		n *= len(a.Values)
	}
	points := make([]Point, n)
	for i := range points {
		values := make([]string, len(axes))
		rest := i
		for j := len(axes) - 1; j >= 0; j-- {
			values[j] = axes[j].Values[rest%len(axes[j].Values)]
			rest /= len(axes[j].Values)
		}
		points[i] = Point{Index: i, Values: values, File: fileName(i, axes, values)}
	}
	return points
}

// fileName names a point's file after its index and parameters, e.g.
// p003_feedrate0.02_killrate0.05.h5.
func fileName(i int, axes []Axis, values []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "p%03d", i)
	for j, a := range axes {
		b.WriteString("_" + a.Flag + strings.Map(func(r rune) rune {
			if r == '/' || r == ' ' {
				return '-'
			}
			return r
		}, values[j]))
	}
	return b.String() + ".h5"
}

// newManifest returns the manifest of a sweep over axes with the common
// flags.
func newManifest(axes []Axis, common []string) *Manifest {
	return &Manifest{Version: 1, Axes: axes, Common: common, Points: points(axes)}
}

// Args returns the run flags of point i: the common flags, then one flag
// per axis.
func (m *Manifest) Args(i int) []string {
	args := slices.Clone(m.Common)
	for j, a := range m.Axes {
		args = append(args, "--"+a.Flag, m.Points[i].Values[j])
	}
	return args
}

// SameSweep reports whether o describes the same sweep as m (its points
// and common flags); Slurm jobs do not count.
func (m *Manifest) SameSweep(o *Manifest) bool {
	a, _ := json.Marshal(Manifest{Axes: m.Axes, Common: m.Common})
	b, _ := json.Marshal(Manifest{Axes: o.Axes, Common: o.Common})
	return string(a) == string(b)
}

// Describe names point i by its values: "feedrate 0.03, killrate 0.06".
func (m *Manifest) Describe(i int) string {
	var parts []string
	for j, a := range m.Axes {
		parts = append(parts, a.Flag+" "+m.Points[i].Values[j])
	}
	return strings.Join(parts, ", ")
}

// DescribeAxes spells the axes as flags: "--feedrate 0.03,0.04 --killrate 0.06".
func (m *Manifest) DescribeAxes() string {
	var parts []string
	for _, a := range m.Axes {
		parts = append(parts, "--"+a.Flag+" "+strings.Join(a.Values, ","))
	}
	return strings.Join(parts, " ")
}

// Load reads dir's manifest; os.ErrNotExist when there is none.
func Load(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	if m.Version != 1 || len(m.Points) == 0 {
		return nil, fmt.Errorf("%s: not a grayscott sweep manifest (version %d, %d points)",
			filepath.Join(dir, ManifestName), m.Version, len(m.Points))
	}
	return &m, nil
}

// Save writes the manifest into dir atomically: readers see the old one
// or the new one, never a part.
func (m *Manifest) Save(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, ManifestName), append(b, '\n'))
}

// writeAtomic writes data to path through a temporary file in the same
// folder, synced, then renamed over path.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp's 0600 would stay after the rename
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
