package h5

import (
	"fmt"
	"slices"
	"strings"

	"grayscott/sim"
	"grayscott/storage"
)

// Description is what a file holds, for a person (grayscott info) or a
// program (its JSON): the status, every root attribute, and the run
// command that makes the same images.
type Description struct {
	File             string  `json:"file"`
	Images           int     `json:"images"`
	Rows             int     `json:"rows"`
	Cols             int     `json:"cols"`
	RawBytes         int64   `json:"raw_bytes"`
	StoredBytes      int64   `json:"stored_bytes"`
	CompressionRatio float64 `json:"compression_ratio"`
	Completed        *bool   `json:"completed,omitempty"` // absent in files from other tools
	CheckpointStep   *int64  `json:"checkpoint_step,omitempty"`
	CheckpointImages *int    `json:"checkpoint_images,omitempty"`
	// Command is the grayscott run that makes the same images (from the
	// model's parameters, sim.Fields, and the compression level).
	Command    string         `json:"command,omitempty"`
	Attributes map[string]any `json:"attributes"`
	// Status is the file's status, as every command reads it.
	Status Status `json:"-"`
}

// Describe reads the description of the file at path.
func Describe(path string) (*Description, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	st, err := r.Status()
	if err != nil {
		return nil, err
	}
	d := &Description{File: path, Images: st.Images, Rows: st.Rows, Cols: st.Cols, RawBytes: st.RawBytes(),
		StoredBytes: st.StoredBytes, Attributes: map[string]any{}, Status: st}
	if d.StoredBytes > 0 {
		d.CompressionRatio = float64(d.RawBytes) / float64(d.StoredBytes)
	}
	attrs, err := r.Attrs()
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		d.Attributes[a.Name] = a.Value
	}
	if st.Run {
		d.Completed = &st.Completed
	}
	if c := st.Checkpoint; c != nil {
		d.CheckpointStep, d.CheckpointImages = &c.Step, &c.Images
	}
	if p, err := r.Params(); err == nil {
		preset, _ := d.Attributes["preset"].(string)
		d.Command = RunCommand(p, st.Compression, preset)
	}
	return d, nil
}

// RunCommand is the grayscott run command of the model's parameters p,
// with a file's compression and preset.
func RunCommand(p sim.Params, c storage.Compression, preset string) string {
	args := []string{"grayscott", "run"}
	for _, f := range sim.Fields {
		flag := "--" + f.Flag
		if f.Short != "" {
			flag = "-" + f.Short
		}
		args = append(args, flag, f.Format(&p))
	}
	if c = c.Normal(); c.Codec != storage.CodecNone {
		args = append(args, "--compression", c.String())
	}
	if !c.Lossless() {
		args = append(args, "--keep-bits", fmt.Sprint(c.KeepBits))
	}
	if preset != "" {
		args = append(args, "# --preset "+preset)
	}
	return strings.Join(args, " ")
}

// Section is a group of a description's lines: a name, then pairs of a
// label and a value, in a fixed order.
type Section struct {
	Name  string
	Lines [][2]string
}

// The attributes of each section, in the order they are listed; the model
// section takes sim.Fields' first. What no section names goes to "other".
var sectionAttrs = []struct {
	name  string
	attrs []string
}{
	{"model", []string{"preset", "initial_condition", "image_definition"}},
	{"run", []string{"frames_written", "flush_every", "created", "interactive_changes"}},
	{"storage", []string{"compression", "compression_level", "keep_bits", "max_relative_error", "hdf5_version"}},
	{"provenance", []string{"program", "program_version", "engine", "gl_renderer", "gl_vendor", "gl_version", "gl_platform",
		"kernel", "workgroup", "cpu_model", "cpu_isa", "threads"}},
}

// Sections lays the description out for reading: model, run, storage,
// provenance and other, each in a fixed order, an absent attribute shown
// as "-" where its section always lists it.
func (d *Description) Sections() []Section {
	st := d.Status
	var model []string
	for _, f := range sim.Fields {
		model = append(model, f.Attr)
	}
	state := "complete"
	switch {
	case !st.Run:
		state = "no grayscott attributes (a file from another tool)"
	case !st.Completed && st.StopReason != "":
		state = "incomplete: " + st.StopReason
	case !st.Completed && st.Writing:
		state = "incomplete: a run is writing it"
	case !st.Completed:
		state = "incomplete: its run was killed (no stop reason recorded)"
	}
	checkpoint := "-"
	switch c := st.Checkpoint; {
	case c == nil:
	case st.Completed:
		checkpoint = fmt.Sprintf("at image %d (step %d): grayscott run --resume %s -n N appends images up to N", c.Images-1, c.Step, d.File)
	default:
		checkpoint = fmt.Sprintf("at image %d (step %d): grayscott run --resume %s continues from there", c.Images-1, c.Step, d.File)
	}
	ratio := "no image yet"
	if d.StoredBytes > 0 {
		ratio = fmt.Sprintf("%.2f", d.CompressionRatio)
	}
	secs := []Section{
		{"model", nil},
		{"run", [][2]string{{"state", state}, {"checkpoint", checkpoint}, {"made by", or(d.Command, "-")}}},
		{"storage", [][2]string{{"/" + Dataset, fmt.Sprintf("%d images of %d×%d float32", d.Images, d.Rows, d.Cols)},
			{"codec", st.Codec()}, {"raw", fmt.Sprintf("%.1f MB", float64(d.RawBytes)/1e6)},
			{"stored", fmt.Sprintf("%.1f MB (ratio %s)", float64(d.StoredBytes)/1e6, ratio)}}},
		{"provenance", nil},
	}
	listed := map[string]bool{"completed": true, "stop_reason": true} // said by the state
	add := func(i int, names []string, always bool) {
		for _, n := range names {
			v, ok := d.Attributes[n]
			listed[n] = true
			if ok || (always && st.Run) {
				secs[i].Lines = append(secs[i].Lines, [2]string{n, or(fmt.Sprint(v), "-")})
			}
		}
	}
	add(0, model, true)
	for i, s := range sectionAttrs {
		add(i, s.attrs, s.name == "model")
	}
	var other []string
	for n := range d.Attributes {
		if !listed[n] {
			other = append(other, n)
		}
	}
	slices.Sort(other)
	secs = append(secs, Section{"other", nil})
	add(len(secs)-1, other, false)
	return slices.DeleteFunc(secs, func(s Section) bool { return len(s.Lines) == 0 })
}

func or(s, alt string) string {
	if s == "" || s == "<nil>" {
		return alt
	}
	return s
}
