package sim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Kind is the type of a model parameter's value.
type Kind int

// Kinds of parameter values: Get returns an int, a float32 or a Boundary.
const (
	IntKind Kind = iota
	Float32Kind
	BoundaryKind
)

// Field is one model parameter: the Params field, the command-line flag
// that sets it (the course's spelling) and the root attribute that records
// it in a file. Fields drives the flags of grayscott run, the attributes
// written and read back by storage, the checks of a resume and grayscott
// info, so that a new parameter is added in one place.
type Field struct {
	Flag  string // long flag, without dashes (e.g. "nbrow")
	Short string // one-letter shorthand, or ""
	Attr  string // root attribute name in the file
	Usage string // one line for --help
	Kind  Kind
	// Get returns the value: an int, a float32 or a Boundary (see Kind).
	Get func(p *Params) any
	// Set stores v, of the type Get returns.
	Set func(p *Params, v any)
}

// Parse parses s as the field's value (an integer, a float32 or a
// boundary's name) and stores it in p. It does not validate the value
// against the model (Params.Validate does).
func (f Field) Parse(p *Params, s string) error {
	switch f.Kind {
	case IntKind:
		v, err := strconv.Atoi(s)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("too large")
		}
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		f.Set(p, v)
	case Float32Kind:
		v, err := strconv.ParseFloat(s, 32)
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("out of float32's range (%g to %g in magnitude)", math.SmallestNonzeroFloat32, math.MaxFloat32)
		}
		if err != nil {
			return fmt.Errorf("want a number")
		}
		f.Set(p, float32(v))
	case BoundaryKind:
		b, err := ParseBoundary(s)
		if err != nil {
			return fmt.Errorf("want zero, periodic or neumann")
		}
		f.Set(p, b)
	}
	return nil
}

// Format returns the field's value in p as Parse reads it back.
func (f Field) Format(p *Params) string {
	switch v := f.Get(p).(type) {
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case Boundary:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// Fields are the model's parameters, in the order of the course's flags.
var Fields = []Field{
	intField("nbrow", "r", "grid rows", func(p *Params) *int { return &p.Rows }),
	intField("nbcol", "c", "grid columns", func(p *Params) *int { return &p.Cols }),
	intField("nbimage", "n", "images to write (with --resume: the new total)", func(p *Params) *int { return &p.Images }),
	intField("nbextrastep", "e", "simulation steps between images", func(p *Params) *int { return &p.StepsPerImage }),
	floatField("feedrate", "f", "feed rate F", func(p *Params) *float32 { return &p.Feed }),
	floatField("killrate", "k", "kill rate k", func(p *Params) *float32 { return &p.Kill }),
	floatField("deltat", "t", "time step (stable while dt·max(du,dv) ≤ 0.5)", func(p *Params) *float32 { return &p.DeltaT }),
	floatField("du", "", "diffusion rate of U", func(p *Params) *float32 { return &p.DiffU }),
	floatField("dv", "", "diffusion rate of V", func(p *Params) *float32 { return &p.DiffV }),
	{Flag: "boundary", Attr: "boundary", Kind: BoundaryKind,
		Usage: "what the stencil reads outside the grid: zero, periodic or neumann",
		Get:   func(p *Params) any { return p.Boundary },
		Set:   func(p *Params, v any) { p.Boundary = v.(Boundary) }},
}

// LookupField returns the field set by the flag name (long, without dashes).
func LookupField(flag string) (Field, bool) {
	for _, f := range Fields {
		if f.Flag == flag {
			return f, true
		}
	}
	return Field{}, false
}

func intField(flag, short, usage string, ptr func(*Params) *int) Field {
	return Field{Flag: flag, Short: short, Attr: flag, Usage: usage, Kind: IntKind,
		Get: func(p *Params) any { return *ptr(p) },
		Set: func(p *Params, v any) { *ptr(p) = v.(int) }}
}

func floatField(flag, short, usage string, ptr func(*Params) *float32) Field {
	return Field{Flag: flag, Short: short, Attr: flag, Usage: usage, Kind: Float32Kind,
		Get: func(p *Params) any { return *ptr(p) },
		Set: func(p *Params, v any) { *ptr(p) = v.(float32) }}
}
