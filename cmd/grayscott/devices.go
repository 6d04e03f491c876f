package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"grayscott/engine"
	"grayscott/internal/runflags"
)

// devicesCommand lists what grayscott can compute on here: the EGL devices
// in the order --egl-platform tries them, the context each route makes,
// the engine --engine auto picks, and the CPU engine's kernel.
func devicesCommand(args []string, stdout io.Writer) error {
	fs := pflag.NewFlagSet("devices", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var p string
	platform := &p
	runflags.PlatformFlag(fs, platform)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: grayscott devices [--egl-platform auto|device|surfaceless]\n\n"+
				"Lists the EGL devices, the OpenGL context the route makes, the engine --engine auto\npicks and the CPU engine's kernel.\n\n"+fs.FlagUsages())
			return errHelp
		}
		return runflags.Explain("devices", fs, err)
	}
	if err := runflags.CheckPlatform(*platform); err != nil {
		return err
	}
	engine.Survey(stdout, *platform)
	return nil
}
