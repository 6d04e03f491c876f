package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"grayscott/internal/runflags"
	"grayscott/storage/h5"
)

func infoCommand(args []string, stdout, _ io.Writer) error {
	fs := pflag.NewFlagSet("info", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "print JSON (an object for one file, an array for several)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: grayscott info FILE.h5... [--json]\n\nPrints each file's model, run state, storage and provenance.\n\n"+fs.FlagUsages())
			return errHelp
		}
		return runflags.Explain("info", fs, err)
	}
	if fs.NArg() == 0 {
		return usagef("info: want one FILE.h5 or more")
	}
	for _, path := range fs.Args() {
		if err := checkInput("info", path); err != nil {
			return err
		}
	}
	var ds []*h5.Description
	var failed []error // files there but unreadable (locked, damaged): not bad input
	for _, path := range fs.Args() {
		d, err := h5.Describe(path)
		if err != nil {
			failed = append(failed, fmt.Errorf("info: %w", err))
			continue
		}
		ds = append(ds, d)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var v any = ds
		if len(ds) == 1 && fs.NArg() == 1 {
			v = ds[0]
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		for i, d := range ds {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			printDescription(stdout, d)
		}
	}
	return errors.Join(failed...) // after what could be read
}

// printDescription writes d's sections, their labels in one column.
func printDescription(w io.Writer, d *h5.Description) {
	fmt.Fprintln(w, d.File)
	if hint := recoverHint(d.File); hint != "" {
		fmt.Fprintln(w, "  "+hint)
	}
	secs := d.Sections()
	width := 0
	for _, s := range secs {
		for _, l := range s.Lines {
			width = max(width, len([]rune(l[0])))
		}
	}
	for _, s := range secs {
		fmt.Fprintf(w, "  %s\n", s.Name)
		for _, l := range s.Lines {
			fmt.Fprintf(w, "    %-*s  %s\n", width, l[0], l[1])
		}
	}
}
