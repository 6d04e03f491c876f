package engine

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"grayscott/cpu"
	"grayscott/gpu"
	"grayscott/gpu/egl"
)

// Survey writes what grayscott can compute on here (grayscott devices):
// the EGL devices in the order the device platform tries them, the GL
// context the route platform makes, the CPU and its engine's kernels, and
// the engine Auto picks. It makes (and releases) a GL context.
func Survey(w io.Writer, platform string) {
	devs, err := egl.Devices()
	fmt.Fprintln(w, "EGL devices, in the order the device platform tries them:")
	if err != nil {
		fmt.Fprintf(w, "  none listed: %v\n", err)
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
		fmt.Fprintf(w, "  device %d: %s%s; EGL %s %s\n", d.Index, kind, drm, d.Vendor, d.Version)
	}
	auto := "cpu"
	c, err := gpu.NewHeadless(gpu.Options{Platform: platform})
	if err != nil {
		fmt.Fprintf(w, "OpenGL 4.3 context (--egl-platform %s): none: %s\n", platform, FirstLine(err.Error()))
	} else {
		info := c.Info()
		c.Release()
		fmt.Fprintf(w, "OpenGL 4.3 context (--egl-platform %s): %s: %s; %s; GLSL %s\n", platform, info.Platform,
			info.Renderer, info.Version, info.GLSLVersion)
		if info.Software() {
			fmt.Fprintln(w, "  a software rasterizer: --engine auto takes the CPU engine")
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
	fmt.Fprintf(w, "CPU: %s, %d cores, last-level cache %d MiB; CPU engine kernels: %s\n",
		cpu.Model(), runtime.NumCPU(), cpu.LastLevelCache()>>20, strings.Join(have, ", "))
	fmt.Fprintf(w, "--engine auto: %s\n", auto)
}
