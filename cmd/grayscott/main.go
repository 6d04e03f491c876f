// Command grayscott simulates Gray-Scott reaction-diffusion with OpenGL
// compute shaders and streams the images to HDF5.
//
// Usage:
//
//	grayscott run [flags]            simulate and write an HDF5 file
//	grayscott sweep DIR [flags]      one run per point of a parameter sweep
//	grayscott bench [flags]          measure each stage against its limit
//	grayscott render FILE.h5 -o OUT  images to PNG, GIF or MP4
//	grayscott info FILE.h5           describe a file
//	grayscott xdmf FILE.h5           write the ParaView sidecar
//	grayscott devices                list the GPUs and the engine chosen
//	grayscott version                print the version
//
// Run "grayscott CMD --help" for the flags.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"grayscott/cmd/grayscott/internal/runflags"
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

func main() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr)) }

const topUsage = `grayscott simulates Gray-Scott reaction-diffusion on the GPU (OpenGL 4.3
compute shaders, headless through EGL) and streams V to an HDF5 file.

Usage:
  grayscott run [flags]               simulate and write the images (grayscott run --help)
  grayscott bench [flags]             measure every stage and its hardware limit (grayscott bench --help)
  grayscott sweep DIR [flags]         one run per point of a parameter sweep, locally or on Slurm (grayscott sweep --help)
  grayscott render FILE.h5 -o OUT     images to PNG files, a GIF or an MP4 (grayscott render --help)
  grayscott info FILE.h5 [--json]     parameters, shape, state and provenance of a file
  grayscott xdmf FILE.h5              write FILE.xmf so that ParaView opens the time series
  grayscott recover FILE.h5           make a killed run's file open in every HDF5 reader (grayscott recover --help)
  grayscott devices                   list the GPUs (EGL devices), the context made and the engine chosen
  grayscott version                   print the version
  grayscott help                      print this help

With no GPU, a vectorized multi-core CPU engine computes the same images.
`

// Main runs the command line args and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "run":
		err = runCommand(args[1:], stdout, stderr)
	case "render":
		err = renderCommand(args[1:], stdout, stderr)
	case "bench":
		err = benchCommand(args[1:], stdout, stderr)
	case "info":
		err = infoCommand(args[1:], stdout)
	case "devices":
		err = devicesCommand(args[1:], stdout)
	case "xdmf":
		err = xdmfCommand(args[1:], stdout, stderr)
	case "sweep":
		err = sweepCommand(args[1:], stdout, stderr)
	case "recover":
		err = recoverCommand(args[1:], stdout, stderr)
	case guard.Subcommand: // a run's guardian (not in the help)
		return guard.Main(args[1:])
	case "version", "--version":
		fmt.Fprintln(stdout, "grayscott", Version())
	case "help", "-h", "--help":
		// "help run" is "run --help"; "help help" (or "--help --help") is
		// this help again, not a recursion.
		if len(args) > 1 && !isHelp(args[1]) {
			return Main([]string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, topUsage)
	default:
		err = usagef("unknown command %q (want run, sweep, bench, render, info, xdmf, devices, version or help)", args[0])
	}
	return report(err, stderr)
}

func isHelp(arg string) bool { return arg == "help" || arg == "-h" || arg == "--help" }

// report prints err on one line and maps it to an exit status.
func report(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errHelp) {
		return exitOK
	}
	fmt.Fprintln(stderr, "grayscott: "+strings.ReplaceAll(err.Error(), "\n", " "))
	var u *usageError
	if errors.As(err, &u) {
		return exitUsage
	}
	var ie *interruptedError
	if errors.As(err, &ie) {
		return exitCodeFor(ie.sig)
	}
	return exitFailure
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
