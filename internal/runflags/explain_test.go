package runflags

import (
	"errors"
	"io"
	"testing"
)

func TestExplainNamesTheNearestFlag(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"feedrat", "feedrate"}, {"nbimages", "nbimage"}, {"storage-bufer-len", "storage-buffer-len"},
		{"outptu", "output"}, {"xyz", ""}, {"kernl", "kernel"}, {"q", ""},
	} {
		_, err := Parse([]string{"--" + c.name, "1"}, io.Discard)
		var u *UsageError
		if !errors.As(err, &u) {
			t.Fatalf("--%s: %v, not a usage error", c.name, err)
		}
		want := "run: unknown flag: --" + c.name
		if c.want != "" {
			want += " (did you mean --" + c.want + "?)"
		}
		if u.Msg != want {
			t.Errorf("--%s: %q, want %q", c.name, u.Msg, want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"feedrat", "feedrate", 1}, {"ab", "ba", 2}} {
		if got := editDistance(c.a, c.b); got != c.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
	}
}
