package sim

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestDefaultsAreTheCourses(t *testing.T) {
	d := Defaults()
	want := Params{Rows: 1080, Cols: 1920, Images: 1000, StepsPerImage: 34, Feed: 0.014, Kill: 0.054,
		DeltaT: 1, DiffU: 0.1, DiffV: 0.05, Boundary: Zero}
	if d != want {
		t.Fatalf("Defaults() = %+v, want %+v", d, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

func TestValidate(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		mod  func(*Params)
		flag string
		want string
	}{
		{func(p *Params) { p.Rows = 0 }, "nbrow", "positive"},
		{func(p *Params) { p.Cols = -3 }, "nbcol", "positive"},
		{func(p *Params) { p.Images = 0 }, "nbimage", "positive"},
		{func(p *Params) { p.StepsPerImage = 0 }, "nbextrastep", "positive"},
		{func(p *Params) { p.Rows, p.Cols = 1<<16, 1<<16 }, "nbrow", "more than"},
		{func(p *Params) { p.Feed = nan }, "feedrate", "NaN"},
		{func(p *Params) { p.Kill = -1 }, "killrate", "negative"},
		{func(p *Params) { p.Feed = 5 }, "feedrate", "at most 1"},
		{func(p *Params) { p.Kill = 1.5 }, "killrate", "at most 1"},
		{func(p *Params) { p.DiffU = float32(math.Inf(1)) }, "du", "finite"},
		{func(p *Params) { p.DiffV = -0.1 }, "dv", "negative"},
		{func(p *Params) { p.DeltaT = 0 }, "deltat", "positive"},
		{func(p *Params) { p.DeltaT = nan }, "deltat", "NaN"},
		{func(p *Params) { p.DeltaT = 5.01 }, "deltat", "stability"},
		{func(p *Params) { p.DiffV = 0.6 }, "deltat", "stability"},
		{func(p *Params) { p.Boundary = 7 }, "boundary", "unknown"},
	}
	for _, c := range cases {
		p := Defaults()
		c.mod(&p)
		err := p.Validate()
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Flag != c.flag || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: error %v, want flag %s mentioning %q", p, err, c.flag, c.want)
		}
	}
	p := Defaults()
	p.DeltaT = 5 // exactly at the limit with Du = 0.1
	if err := p.Validate(); err != nil {
		t.Errorf("dt at the stability limit rejected: %v", err)
	}
}

func TestParseBoundary(t *testing.T) {
	for b := Zero; b <= Neumann; b++ {
		got, err := ParseBoundary(b.String())
		if err != nil || got != b {
			t.Errorf("ParseBoundary(%q) = %v, %v", b.String(), got, err)
		}
	}
	if _, err := ParseBoundary("reflect"); err == nil {
		t.Error("ParseBoundary accepted reflect")
	}
}

func TestInitialState(t *testing.T) {
	s := InitialState(1080, 1920)
	r0, r1, c0, c1 := SeedBounds(1080, 1920)
	if r0 != 468 || r1 != 536 || c0 != 840 || c1 != 960 {
		t.Fatalf("seed rows [%d,%d) cols [%d,%d), want [468,536) [840,960)", r0, r1, c0, c1)
	}
	var seeded int
	for r := range 1080 {
		for c := range 1920 {
			u, v := s.U[r*1920+c], s.V[r*1920+c]
			in := r >= r0 && r < r1 && c >= c0 && c < c1
			if in && (u != 0 || v != 1) || !in && (u != 1 || v != 0) {
				t.Fatalf("cell (%d,%d) = (%v,%v)", r, c, u, v)
			}
			if in {
				seeded++
			}
		}
	}
	if seeded != 68*120 {
		t.Errorf("%d seeded cells", seeded)
	}
	// Tiny grids clamp the seed rows at 0.
	if r0, r1, _, _ := SeedBounds(4, 4); r0 != 0 || r1 != 0 {
		t.Errorf("4×4 seed rows [%d,%d), want empty at 0", r0, r1)
	}
}

// With F = k = 0 the reaction moves mass from U to V and back, and periodic
// diffusion moves it around: U+V summed over the grid is conserved.
func TestReferenceConservesMassWithoutFeedAndKill(t *testing.T) {
	p := Defaults()
	p.Rows, p.Cols, p.Feed, p.Kill, p.Boundary = 32, 40, 0, 0, Periodic
	r := NewReference(p, InitialState(32, 40))
	total := func() float64 {
		var s float64
		for i := range r.State().U {
			s += float64(r.State().U[i]) + float64(r.State().V[i])
		}
		return s
	}
	before := total()
	r.Step(500)
	if after := total(); math.Abs(after-before) > 1e-2 {
		t.Errorf("U+V went from %v to %v", before, after)
	}
}

// A uniform state with u=1, v=0 is a fixed point under periodic and
// Neumann boundaries; under the zero boundary the border drains.
func TestReferenceFixedPointAndZeroBoundary(t *testing.T) {
	for _, b := range []Boundary{Periodic, Neumann, Zero} {
		p := Defaults()
		p.Rows, p.Cols, p.Boundary = 10, 12, b
		s := InitialState(10, 12)
		for i := range s.V {
			s.U[i], s.V[i] = 1, 0
		}
		r := NewReference(p, s)
		r.Step(10)
		corner := r.State().U[0]
		center := r.State().U[5*12+6]
		if b == Zero {
			if corner >= 1 {
				t.Errorf("zero boundary: corner U = %v, want it drained below 1", corner)
			}
		} else if corner != 1 || center != 1 {
			t.Errorf("%v: uniform state moved: corner %v center %v", b, corner, center)
		}
	}
}

func BenchmarkReference(b *testing.B) {
	p := Defaults()
	p.Rows, p.Cols = 256, 256
	r := NewReference(p, InitialState(256, 256))
	for b.Loop() {
		r.Step(1)
	}
	b.ReportMetric(float64(b.N)*256*256/b.Elapsed().Seconds(), "cells/s")
}

func TestPresets(t *testing.T) {
	p, err := LookupPreset("u-skate")
	if err != nil || p.Feed != 0.062 || p.Kill != 0.06093 {
		t.Errorf("u-skate = %+v, %v", p, err)
	}
	if _, err := LookupPreset("spirals"); err == nil {
		t.Error("unknown preset accepted")
	}
	for _, p := range Presets {
		q := Defaults()
		q.Feed, q.Kill = p.Feed, p.Kill
		if err := q.Validate(); err != nil {
			t.Errorf("preset %s invalid: %v", p.Name, err)
		}
	}
}
