// Command grayscott simulates Gray-Scott reaction-diffusion with OpenGL
// compute shaders (or a vectorized CPU engine) and streams the images to
// HDF5. Each subcommand's behaviour lives in a package (pipeline, engine,
// bench, render, sweep, storage/h5); this command parses flags, calls
// them and prints. Run "grayscott help" for the subcommands and
// "grayscott CMD --help" for their flags.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"grayscott/internal/runflags"
	"grayscott/storage/h5"
	"grayscott/storage/h5/guard"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the run started and failed
	exitUsage   = 2 // bad input, found before any GPU work
)

// usageError is bad input: its message is printed on one line and the
// process exits with exitUsage.
type usageError = runflags.UsageError

var usagef = runflags.Usagef

// errHelp is returned after --help printed a command's usage: exit 0.
var errHelp = runflags.ErrHelp

// subcommand is one of the command's: its name, its arguments and what it does for
// the help, and the function that runs it.
type subcommand struct {
	name, args, what string
	run              func(args []string, stdout, stderr io.Writer) error
}

// commands is the command line's table, in the order the help lists it.
var commands = []subcommand{
	{"run", "[flags]", "simulate and write the images (grayscott run --help)", runCommand},
	{"bench", "[flags]", "measure every stage and its hardware limit (grayscott bench --help)", benchCommand},
	{"sweep", "DIR [flags]", "one run per point of a parameter sweep, locally or on Slurm (grayscott sweep --help)", sweepCommand},
	{"render", "FILE.h5 -o OUT", "images to PNG files, a GIF or an MP4 (grayscott render --help)", renderCommand},
	{"serve", "FILE.h5|DIR [--addr ADDR]", "a web page that shows a file or a sweep live (grayscott serve --help)", serveCommand},
	{"info", "FILE.h5 [--json]", "parameters, shape, state and provenance of a file",
		infoCommand},
	{"xdmf", "FILE.h5", "write FILE.xmf so that ParaView opens the time series", xdmfCommand},
	{"recover", "FILE.h5", "make a killed run's file open in every HDF5 reader (grayscott recover --help)", recoverCommand},
	{"devices", "", "list the GPUs (EGL devices), the context made and the engine chosen",
		func(args []string, stdout, _ io.Writer) error { return devicesCommand(args, stdout) }},
	{"version", "", "print the version", versionCommand},
}

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }

func topUsage() string {
	var b strings.Builder
	b.WriteString("grayscott simulates Gray-Scott reaction-diffusion on the GPU (OpenGL 4.3\ncompute shaders, headless through EGL) and streams V to an HDF5 file.\n\nUsage:\n")
	for _, c := range append(commands, subcommand{name: "help", what: "print this help"}) {
		fmt.Fprintf(&b, "  %-34s  %s\n", strings.TrimSpace("grayscott "+c.name+" "+c.args), c.what)
	}
	b.WriteString("\nWith no GPU, a vectorized multi-core CPU engine computes the same images.\n")
	return b.String()
}

// Main runs the command line args and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage())
		return exitUsage
	}
	name := args[0]
	if name == "--version" {
		name = "version"
	}
	if isHelp(name) {
		// "help run" is "run --help"; "help help" (or "--help --help") is
		// this help again, not a recursion.
		if len(args) > 1 && !isHelp(args[1]) {
			return Main([]string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, topUsage())
		return exitOK
	}
	if name == guard.Subcommand { // a run's guardian, not in the help
		return guard.Main(args[1:])
	}
	for _, c := range commands {
		if c.name == name {
			return report(c.run(args[1:], stdout, stderr), stderr)
		}
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return report(usagef("unknown command %q (want %s or help)", name, strings.Join(names, ", ")), stderr)
}

func isHelp(arg string) bool { return arg == "help" || arg == "-h" || arg == "--help" }

// report prints err on one line and maps it to an exit status.
func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "grayscott: "+strings.ReplaceAll(err.Error(), "\n", " "))
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	var stopped interface{ Signal() os.Signal }
	if errors.As(err, &stopped) {
		return exitCodeFor(stopped.Signal())
	}
	return exitFailure
}

func versionCommand(args []string, stdout, _ io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprintln(stdout, "Usage: grayscott version\n\nPrints the version: the module's, or the VCS revision of a development build.")
		return errHelp
	}
	if len(args) > 0 {
		return usagef("version: unexpected argument %q", args[0])
	}
	fmt.Fprintln(stdout, "grayscott", Version())
	return nil
}

// Version is the module version, or the VCS revision of a development build.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && rev != "" {
		return "devel-" + rev[:min(12, len(rev))] + dirty
	}
	if v == "" {
		return "(devel)"
	}
	return v
}

// recoverHint is one line saying what to run for a file left marked by
// a run killed together with its guardian (h5.Abandoned), or "" for any
// other file (healthy, being written, unreadable).
func recoverHint(path string) string {
	if a, err := h5.Abandoned(path); err == nil && a {
		return fmt.Sprintf("%s was left open by a killed run: h5py, h5dump and ParaView refuse it until: grayscott recover %s", path, path)
	}
	return ""
}

// checkInput refuses, as bad input, a file that cmd cannot read for what
// it is: missing, or not an HDF5 file at all (an XDMF sidecar given for its
// .h5, say). An HDF5 file that cannot be read (damaged, held) is the
// command's own failure, found when it opens it.
func checkInput(cmd, path string) error {
	if _, err := os.Stat(path); err != nil {
		return usagef("%s: %s: no such file", cmd, path)
	}
	if _, err := h5.WriterMark(path); errors.Is(err, h5.ErrNotHDF5) {
		hint := ""
		if strings.EqualFold(filepath.Ext(path), ".xmf") {
			hint = " (an XDMF sidecar: give the .h5 it describes)"
		}
		return usagef("%s: %s is not an HDF5 file%s", cmd, path, hint)
	}
	return nil
}

func fileExists(path string) bool { _, err := os.Stat(path); return err == nil }
