package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/pflag"

	"grayscott/storage/h5"
)

const recoverUsage = `Usage: grayscott recover FILE.h5

Makes the file of a run that was killed open in every HDF5 reader (h5py
without swmr=True, h5dump, ParaView): it clears the "open for writing" mark
that HDF5 leaves in the file until its writer closes it, as h5clear -s
does. Images, attributes and checkpoints are kept; grayscott run --resume
continues the file as before.

A run's guardian process does this by itself when the run dies; recover is
for the cases where the guardian died too (the machine went down, the whole
job or session was killed). A file still being written is refused and left
as it is. Exit status 0 when the file is healthy or was cleared, 1 when it
is being written or is not HDF5, 2 when it does not exist.
`

func recoverCommand(args []string, stdout, stderr io.Writer) error {
	flags := pflag.NewFlagSet("recover", pflag.ContinueOnError)
	flags.SetOutput(io.Discard)
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, recoverUsage)
			return errHelp
		}
		return usagef("recover: %v", err)
	}
	if flags.NArg() != 1 {
		return usagef("recover: want one FILE.h5 (got %d arguments)", flags.NArg())
	}
	path := flags.Arg(0)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return usagef("recover: %s: no such file", path)
	}
	res, err := h5.Recover(path)
	switch {
	case errors.Is(err, h5.ErrNotHDF5):
		return fmt.Errorf("recover: %s is not an HDF5 file; nothing changed", path)
	case errors.Is(err, h5.ErrInUse):
		return fmt.Errorf("recover: %s is being written by a running process (a grayscott run, or another HDF5 writer); nothing changed: it is readable everywhere once that process closes it", path)
	case err != nil:
		return fmt.Errorf("recover: %w", err)
	case !res.Cleared:
		fmt.Fprintf(stdout, "%s: no writer's mark (closed cleanly, or already recovered); nothing to do\n", path)
	default:
		fmt.Fprintf(stdout, "%s: cleared the mark its killed writer left: h5py, h5dump and ParaView open it now%s\n", path, resumeHint(path))
	}
	return nil
}

// resumeHint is "; continue ..." for a grayscott run's incomplete file, or "".
func resumeHint(path string) string {
	r, err := h5.Open(path)
	if err != nil {
		return ""
	}
	defer r.Close()
	if c, err := r.Int("completed"); err == nil && c == 0 {
		n, _, _ := r.Shape()
		return fmt.Sprintf(" (%d images; grayscott run --resume %s continues it)", n, path)
	}
	return ""
}
