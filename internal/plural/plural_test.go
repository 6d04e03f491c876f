package plural

import "testing"

func TestN(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{0, "0 images"}, {1, "1 image"}, {2, "2 images"}, {-1, "-1 images"}} {
		if got := N(c.n, "image"); got != c.want {
			t.Errorf("N(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	for noun, want := range map[string]string{"flush": "flushes", "thread": "threads", "pass": "passes", "box": "boxes", "patch": "patches"} {
		if got := Word(2, noun); got != want {
			t.Errorf("Word(2, %q) = %q, want %q", noun, got, want)
		}
	}
}
