// Package sim holds the Gray-Scott model: its parameters with the course's
// defaults, their validation, the initial state and a plain CPU reference
// stepper that serves as the oracle for the GPU code. It is pure Go.
package sim

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Boundary says what a stencil reads for cells outside the grid.
type Boundary int

const (
	// Zero reads 0 for both species outside the grid (the course's GPU version).
	Zero Boundary = iota
	// Periodic wraps around: the grid is a torus.
	Periodic
	// Neumann reads the nearest edge cell (zero flux through the border).
	Neumann
)

var boundaryNames = [...]string{Zero: "zero", Periodic: "periodic", Neumann: "neumann"}

// String returns the boundary's flag spelling.
func (b Boundary) String() string {
	if b < 0 || int(b) >= len(boundaryNames) {
		return fmt.Sprintf("Boundary(%d)", int(b))
	}
	return boundaryNames[b]
}

// ParseBoundary parses a boundary's flag spelling ("zero", "periodic", "neumann").
func ParseBoundary(s string) (Boundary, error) {
	for i, name := range boundaryNames {
		if s == name {
			return Boundary(i), nil
		}
	}
	return 0, fmt.Errorf("sim: unknown boundary %q (want one of %s)", s, strings.Join(boundaryNames[:], ", "))
}

// Params is one simulation's configuration. The zero value is not valid:
// start from Defaults.
type Params struct {
	Rows, Cols    int     // grid size in cells
	Images        int     // images (frames) written
	StepsPerImage int     // steps between images ("extra steps" in the course)
	Feed, Kill    float32 // F and k
	DeltaT        float32 // time step
	DiffU, DiffV  float32 // diffusion rates of U and V
	Boundary      Boundary
}

// Defaults returns the course's defaults: a 1080×1920 grid, 1000 images every
// 34 steps, F=0.014, k=0.054, dt=1, Du=0.1, Dv=0.05, zero boundary.
func Defaults() Params {
	return Params{
		Rows: 1080, Cols: 1920,
		Images: 1000, StepsPerImage: 34,
		Feed: 0.014, Kill: 0.054,
		DeltaT: 1, DiffU: 0.1, DiffV: 0.05,
		Boundary: Zero,
	}
}

// Cells returns Rows·Cols.
func (p Params) Cells() int { return p.Rows * p.Cols }

// StabilityLimit is the largest dt·max(Du,Dv) for which explicit Euler on
// the course's 3×3 stencil is stable: its most negative eigenvalue is −4, so
// |1 − 4·dt·D| ≤ 1 needs dt·D ≤ 1/2.
const StabilityLimit = 0.5

// MaxSteps bounds images × steps per image, so that step counts stay exact
// in every counter (and a run ends in the lifetime of its machine).
const MaxSteps = 1 << 53

// MaxRate bounds the feed and kill rates.
const MaxRate = 1.0

// MaxCells bounds a grid so that one float32 field fits a GL buffer whose
// size is a signed 32-bit byte count on some drivers.
const MaxCells = (1<<31 - 1) / 4

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid parameter")

// ParamError names the flag and the value that failed validation.
type ParamError struct {
	Flag   string // flag spelling without dashes, e.g. "nbrow"
	Value  string // the value as given
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("--%s %s: %s", e.Flag, e.Value, e.Reason)
}

func (e *ParamError) Unwrap() error { return ErrInvalid }

// Validate reports the first invalid parameter as a *ParamError naming the
// command-line flag that sets it.
func (p Params) Validate() error {
	positive := []struct {
		flag string
		v    int
	}{{"nbrow", p.Rows}, {"nbcol", p.Cols}, {"nbimage", p.Images}, {"nbextrastep", p.StepsPerImage}}
	for _, c := range positive {
		if c.v <= 0 {
			return &ParamError{c.flag, fmt.Sprint(c.v), "must be a positive integer"}
		}
	}
	if int64(p.Images)*int64(p.StepsPerImage) > MaxSteps {
		return &ParamError{"nbextrastep", fmt.Sprint(p.StepsPerImage), fmt.Sprintf("%d images of %d steps exceed %d steps in all", p.Images, p.StepsPerImage, int64(MaxSteps))}
	}
	if int64(p.Rows)*int64(p.Cols) > MaxCells {
		return &ParamError{"nbrow", fmt.Sprint(p.Rows), fmt.Sprintf("grid %d×%d has more than %d cells", p.Rows, p.Cols, MaxCells)}
	}
	rates := []struct {
		flag string
		v    float32
	}{{"feedrate", p.Feed}, {"killrate", p.Kill}, {"du", p.DiffU}, {"dv", p.DiffV}}
	for _, c := range rates {
		if bad := finiteNonNegative(c.v); bad != "" {
			return &ParamError{c.flag, fmt.Sprint(c.v), bad}
		}
	}
	// F and k are rates per unit time; beyond 1 the reaction term alone
	// overshoots and the field turns to NaN within a few steps.
	for _, c := range rates[:2] {
		if c.v > MaxRate {
			return &ParamError{c.flag, fmt.Sprint(c.v), fmt.Sprintf("must be at most %g (the course uses values near 0.01–0.1)", float32(MaxRate))}
		}
	}
	// The time step must move time forward: 0 and negative steps alike.
	if bad := finiteNonNegative(p.DeltaT); bad != "" || p.DeltaT == 0 {
		if bad == "" || bad == "must not be negative" {
			bad = "must be positive"
		}
		return &ParamError{"deltat", fmt.Sprint(p.DeltaT), bad}
	}
	// Compared in float32, the precision the rates are given in: dt=5 with
	// Du=0.1 sits exactly on the limit.
	if d := p.DeltaT * max(p.DiffU, p.DiffV); d > StabilityLimit {
		return &ParamError{"deltat", fmt.Sprint(p.DeltaT), fmt.Sprintf(
			"beyond the stencil's stability limit: dt·max(du,dv) = %g·%g = %.4g > %g (lower --deltat to ≤ %.4g, or --du/--dv)",
			p.DeltaT, max(p.DiffU, p.DiffV), d, StabilityLimit, StabilityLimit/max(p.DiffU, p.DiffV))}
	}
	if p.Boundary < Zero || p.Boundary > Neumann {
		return &ParamError{"boundary", p.Boundary.String(), "unknown boundary"}
	}
	return nil
}

func finiteNonNegative(v float32) string {
	switch f := float64(v); {
	case math.IsNaN(f):
		return "must be a number, not NaN"
	case math.IsInf(f, 0):
		return "must be finite"
	case f < 0:
		return "must not be negative"
	}
	return ""
}
