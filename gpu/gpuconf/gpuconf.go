// Package gpuconf names the GPU engine's choices as plain values: its step
// kernels, work-group sizes, readback slots and EGL routes, with their
// defaults and parsers. It is pure Go, so that flag parsers (fuzzed, built
// often) check these choices without linking OpenGL; package gpu and
// gpu/egl take their names and defaults from here.
package gpuconf

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The step kernels: each computes the same values, bit for bit, with a
// different share of cells per invocation (see package gpu).
const (
	KernelNaive  = "naive"
	KernelColumn = "column"
	KernelBlock  = "block"
	KernelTiled  = "tiled"
)

// Kernels lists the step kernels.
var Kernels = []string{KernelNaive, KernelColumn, KernelBlock, KernelTiled}

// DefaultKernel is the kernel used when none is measured fastest.
const DefaultKernel = KernelColumn

// DefaultReadbackSlots overlaps one readback with the next image's steps.
const DefaultReadbackSlots = 2

// MaxInvocations is the work-group size every GL 4.3 device must support.
const MaxInvocations = 1024

// WorkGroup is a compute work-group size in cells (X along columns, Y along rows).
type WorkGroup struct{ X, Y int }

// DefaultWorkGroup is 16×16, the course's choice.
var DefaultWorkGroup = WorkGroup{X: 16, Y: 16}

// String returns the flag spelling, e.g. "16x16".
func (w WorkGroup) String() string { return fmt.Sprintf("%dx%d", w.X, w.Y) }

// ParseWorkGroup parses "XxY" (e.g. "16x16", "32x8"): both sizes positive,
// their product at most MaxInvocations.
func ParseWorkGroup(s string) (WorkGroup, error) {
	xs, ys, ok := strings.Cut(strings.ToLower(s), "x")
	x, errX := strconv.Atoi(xs)
	y, errY := strconv.Atoi(ys)
	if !ok || errX != nil || errY != nil {
		return WorkGroup{}, errors.New("want XxY, e.g. 16x16")
	}
	if x <= 0 || y <= 0 || x*y > MaxInvocations {
		return WorkGroup{}, fmt.Errorf("want positive sizes with X·Y ≤ %d", MaxInvocations)
	}
	return WorkGroup{X: x, Y: y}, nil
}

// CheckKernel reports whether name is a step kernel.
func CheckKernel(name string) error {
	if !slices.Contains(Kernels, name) {
		return fmt.Errorf("want one of %s", strings.Join(Kernels, ", "))
	}
	return nil
}

// The EGL routes to a headless context: auto tries the device platform
// (a GPU), then Mesa's surfaceless one.
const (
	PlatformAuto        = "auto"
	PlatformDevice      = "device"
	PlatformSurfaceless = "surfaceless"
)

// Platforms lists the values of --egl-platform.
var Platforms = []string{PlatformAuto, PlatformDevice, PlatformSurfaceless}

// CheckPlatform reports whether name is an EGL route ("" means auto).
func CheckPlatform(name string) error {
	if name != "" && !slices.Contains(Platforms, name) {
		return fmt.Errorf("want %s", PlatformList())
	}
	return nil
}

// PlatformList is the routes in prose: "auto, device or surfaceless".
func PlatformList() string {
	return strings.Join(Platforms[:len(Platforms)-1], ", ") + " or " + Platforms[len(Platforms)-1]
}
