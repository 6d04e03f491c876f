package sim

import (
	"reflect"
	"testing"
)

// TestFieldsCoverParams: each field of Params is set by exactly one entry
// of Fields (so flags, attributes and resume checks miss none), and each
// value survives Format then Parse.
func TestFieldsCoverParams(t *testing.T) {
	base := Defaults()
	setBy := map[string]string{}
	for _, f := range Fields {
		p := base
		var v any
		switch f.Kind {
		case IntKind:
			v = f.Get(&p).(int) + 7
		case Float32Kind:
			v = f.Get(&p).(float32) + 0.25
		case BoundaryKind:
			v = Neumann
		}
		f.Set(&p, v)
		if f.Get(&p) != v {
			t.Errorf("%s: Set %v, Get %v", f.Flag, v, f.Get(&p))
		}
		changed := 0
		pv, bv := reflect.ValueOf(p), reflect.ValueOf(base)
		for i := range pv.NumField() {
			if pv.Field(i).Interface() != bv.Field(i).Interface() {
				changed++
				name := pv.Type().Field(i).Name
				if other, ok := setBy[name]; ok {
					t.Errorf("Params.%s is set by both %s and %s", name, other, f.Flag)
				}
				setBy[name] = f.Flag
			}
		}
		if changed != 1 {
			t.Errorf("%s changes %d fields of Params, want 1", f.Flag, changed)
		}
		var back Params
		if err := f.Parse(&back, f.Format(&p)); err != nil || f.Get(&back) != f.Get(&p) {
			t.Errorf("%s: %q parses back to %v (%v), want %v", f.Flag, f.Format(&p), f.Get(&back), err, f.Get(&p))
		}
		if f.Attr == "" || f.Usage == "" {
			t.Errorf("%s: no attribute or usage", f.Flag)
		}
		if got, ok := LookupField(f.Flag); !ok || got.Attr != f.Attr {
			t.Errorf("LookupField(%q) = %+v, %v", f.Flag, got, ok)
		}
	}
	if n := reflect.TypeOf(Params{}).NumField(); len(setBy) != n {
		t.Errorf("Fields set %d of the %d fields of Params: %v", len(setBy), n, setBy)
	}
	for _, bad := range []struct{ flag, value string }{{"nbrow", "1.5"}, {"feedrate", "x"}, {"boundary", "mirror"}} {
		f, _ := LookupField(bad.flag)
		var p Params
		if err := f.Parse(&p, bad.value); err == nil {
			t.Errorf("%s %q parsed", bad.flag, bad.value)
		}
	}
}
