package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"grayscott/internal/runflags"
	"grayscott/storage/h5"
)

func xdmfCommand(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("xdmf", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: grayscott xdmf FILE.h5\n\nWrites FILE.xmf next to FILE.h5 so that ParaView opens the images as a time series.\n")
			return errHelp
		}
		return runflags.Explain("xdmf", fs, err)
	}
	if fs.NArg() != 1 {
		return usagef("xdmf: want one FILE.h5 (got %d arguments)", fs.NArg())
	}
	if err := checkInput("xdmf", fs.Arg(0)); err != nil {
		return err
	}
	out, err := h5.WriteXDMF(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("xdmf: %w", err)
	}
	fmt.Fprintln(stderr, "wrote", out)
	if hint := recoverHint(fs.Arg(0)); hint != "" {
		fmt.Fprintln(stderr, "grayscott: "+hint)
	}
	return nil
}
