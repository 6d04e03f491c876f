package main

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"grayscott/cpu"
	"grayscott/engine"
	"grayscott/gpu"
	"grayscott/gpu/egl"
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
	devs, err := egl.Devices()
	fmt.Fprintln(stdout, "EGL devices, in the order the device platform tries them:")
	if err != nil {
		fmt.Fprintf(stdout, "  none listed: %v\n", err)
	}
	for _, d := range devs {
		kind := "hardware"
		if d.Software {
			kind = "software"
		}
		drm := ""
		if d.DRMFile != "" {
			drm = ", " + d.DRMFile
		}
		fmt.Fprintf(stdout, "  device %d: %s%s; EGL %s %s\n", d.Index, kind, drm, d.Vendor, d.Version)
	}
	auto := "cpu"
	c, err := gpu.NewHeadless(gpu.Options{Platform: *platform})
	if err != nil {
		fmt.Fprintf(stdout, "OpenGL 4.3 context (--egl-platform %s): none: %s\n", *platform, engine.FirstLine(err.Error()))
	} else {
		info := c.Info()
		c.Release()
		fmt.Fprintf(stdout, "OpenGL 4.3 context (--egl-platform %s): %s: %s; %s; GLSL %s\n", *platform, info.Platform,
			info.Renderer, info.Version, info.GLSLVersion)
		if info.Software() {
			fmt.Fprintln(stdout, "  a software rasterizer: --engine auto takes the CPU engine")
		} else {
			auto = "gpu"
		}
	}
	isas, ok := cpu.ISAs()
	var have []string
	for i, name := range isas {
		if ok[i] {
			have = append(have, name)
		}
	}
	fmt.Fprintf(stdout, "CPU: %s, %d cores, last-level cache %d MiB; CPU engine kernels: %s\n",
		cpu.Model(), runtime.NumCPU(), cpu.LastLevelCache()>>20, strings.Join(have, ", "))
	fmt.Fprintf(stdout, "--engine auto: %s\n", auto)
	return nil
}
