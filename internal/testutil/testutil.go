// Package testutil holds what the tests of several packages share: a
// deadline so that nothing hangs, the GL requirement of CI, and a bitwise
// comparison of images. It is imported by tests only, and imports nothing
// of grayscott, so that any package's internal tests can use it.
package testutil

import (
	"math"
	"os"
	"runtime"
	"testing"
	"time"
)

// WithDeadline runs f and fails the test, with every goroutine's stack,
// when it has not returned within d, instead of hanging.
func WithDeadline(tb testing.TB, d time.Duration, f func()) {
	tb.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<16)
		tb.Fatalf("did not finish within %v; goroutines:\n%s", d, buf[:runtime.Stack(buf, true)])
	}
}

// WaitUntil polls cond (an observed state, not a time) until it holds,
// failing the test if it has not within 20 s.
func WaitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("%s: never happened", what)
		}
	}
}

// RequireGL skips the test when no GL context could be made (err, or
// why, the output of a command that needed one), except under
// GRAYSCOTT_REQUIRE_GL=1, as in CI, where Mesa's llvmpipe always gives
// one: there it fails.
func RequireGL(tb testing.TB, why any) {
	tb.Helper()
	if os.Getenv("GRAYSCOTT_REQUIRE_GL") == "1" {
		tb.Fatalf("no GL context although GRAYSCOTT_REQUIRE_GL=1: %v", why)
	}
	tb.Skipf("no GL context: %v", why)
}

// SameImages fails unless got holds exactly want, bit for bit (NaNs
// included).
func SameImages(tb testing.TB, what string, got, want [][]float32) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%s: %d images, want %d", what, len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			tb.Fatalf("%s: image %d has %d values, want %d", what, i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
				tb.Fatalf("%s: image %d cell %d = %v, want %v", what, i, j, got[i][j], want[i][j])
			}
		}
	}
}

// MissingReader skips a test whose outside reader (h5py, h5dump, the
// bitshuffle plugin, pvpython) is not installed, saying which and how to
// install it, except under GRAYSCOTT_REQUIRE_READERS=1, as in make test
// (whose install-deps.sh --test installs them): there it fails, so that a
// failed install cannot pass the real-reader checks as skipped.
func MissingReader(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if readersRequired() {
		tb.Fatalf("GRAYSCOTT_REQUIRE_READERS=1, but "+format, args...)
	}
	tb.Skipf(format, args...)
}

func readersRequired() bool { return os.Getenv("GRAYSCOTT_REQUIRE_READERS") == "1" }

// RequireDisplay skips where there is no X (or Wayland) display: make test
// runs the window tests under xvfb-run, and GRAYSCOTT_REQUIRE_DISPLAY=1,
// as there, makes its absence fail.
func RequireDisplay(tb testing.TB) {
	tb.Helper()
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		if os.Getenv("GRAYSCOTT_REQUIRE_DISPLAY") == "1" {
			tb.Fatal("no display although GRAYSCOTT_REQUIRE_DISPLAY=1")
		}
		tb.Skip("no X display here: make test runs the window tests under xvfb-run")
	}
}
