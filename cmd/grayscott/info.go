package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"grayscott/sim"
	"grayscott/storage/h5"
)

// fileInfo is what "grayscott info" reports.
type fileInfo struct {
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
	attrOrder  []string
	status     h5.Status
}

func readInfo(path string) (*fileInfo, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, usagef("info: %s: no such file", path)
	}
	r, err := h5.Open(path)
	if err != nil {
		return nil, fmt.Errorf("info: %w", err) // there but unreadable (locked, damaged): not bad input
	}
	defer r.Close()
	st, err := r.Status()
	if err != nil {
		return nil, fmt.Errorf("info: %w", err)
	}
	fi := &fileInfo{File: path, Images: st.Images, Rows: st.Rows, Cols: st.Cols, RawBytes: st.RawBytes(),
		StoredBytes: st.StoredBytes, Attributes: map[string]any{}, status: st}
	if fi.StoredBytes > 0 {
		fi.CompressionRatio = float64(fi.RawBytes) / float64(fi.StoredBytes)
	}
	attrs, err := r.Attrs()
	if err != nil {
		return nil, err
	}
	for _, a := range attrs {
		fi.Attributes[a.Name] = a.Value
		fi.attrOrder = append(fi.attrOrder, a.Name)
	}
	if st.Run {
		fi.Completed = &st.Completed
	}
	if c := st.Checkpoint; c != nil {
		fi.CheckpointStep, fi.CheckpointImages = &c.Step, &c.Images
	}
	if p, err := r.Params(); err == nil {
		preset, _ := fi.Attributes["preset"].(string)
		fi.Command = runCommandLine(p, st.CompressionLevel, preset)
	}
	return fi, nil
}

// runCommandLine returns the grayscott run command of the model's
// parameters p, with the compression level and preset of the file.
func runCommandLine(p sim.Params, level int, preset string) string {
	args := []string{"grayscott", "run"}
	for _, f := range sim.Fields {
		flag := "--" + f.Flag
		if f.Short != "" {
			flag = "-" + f.Short
		}
		args = append(args, flag, f.Format(&p))
	}
	if level > 0 {
		args = append(args, "--compression-level", fmt.Sprint(level))
	}
	if preset != "" {
		args = append(args, "# --preset "+preset)
	}
	return strings.Join(args, " ")
}

func infoCommand(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("info", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: grayscott info FILE.h5 [--json]\n\nPrints a file's shape, parameters, completion state, compression ratio and provenance.\n\n"+fs.FlagUsages())
			return errHelp
		}
		return usagef("info: %v", err)
	}
	if fs.NArg() != 1 {
		return usagef("info: want one FILE.h5 (got %d arguments)", fs.NArg())
	}
	fi, err := readInfo(fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(fi)
	}
	ratio := "no image yet"
	if fi.StoredBytes > 0 {
		ratio = fmt.Sprintf("ratio %.2f", fi.CompressionRatio)
	}
	fmt.Fprintf(stdout, "%s\n  /matrix: %d images of %d×%d float32, %.1f MB raw, %.1f MB stored (%s)\n",
		fi.File, fi.Images, fi.Rows, fi.Cols, float64(fi.RawBytes)/1e6, float64(fi.StoredBytes)/1e6, ratio)
	st := fi.status
	switch {
	case !st.Run:
		fmt.Fprintln(stdout, "  no grayscott attributes (a file from another tool)")
	case st.Completed:
		fmt.Fprintln(stdout, "  complete")
	default:
		fmt.Fprintf(stdout, "  incomplete: %s\n", cmp.Or(st.StopReason, "no stop reason recorded: the run was killed, or is still running"))
	}
	if hint := recoverHint(fi.File); hint != "" {
		fmt.Fprintln(stdout, "  "+hint)
	}
	switch c := st.Checkpoint; {
	case c == nil:
	case st.Completed:
		fmt.Fprintf(stdout, "  checkpoint after image %d (step %d): grayscott run --resume %s -n N appends images up to N\n",
			c.Images, c.Step, fi.File)
	default:
		fmt.Fprintf(stdout, "  checkpoint after image %d (step %d): resume with grayscott run --resume %s\n",
			c.Images, c.Step, fi.File)
	}
	if fi.Command != "" {
		fmt.Fprintf(stdout, "  made by: %s\n", fi.Command)
	}
	// The model's parameters first, in the order of the flags; then the rest.
	var model []string
	for _, f := range sim.Fields {
		if _, ok := fi.Attributes[f.Attr]; ok {
			model = append(model, f.Attr)
		}
	}
	rest := slices.DeleteFunc(slices.Clone(fi.attrOrder), func(n string) bool { return slices.Contains(model, n) })
	for _, name := range append(model, rest...) {
		fmt.Fprintf(stdout, "  %-18s %v\n", name, fi.Attributes[name])
	}
	return nil
}
