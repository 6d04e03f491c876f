// Package browser starts Debian's Chromium, headless, for the tests of the
// web pages, and drives it with chromedp. It is imported by tests only.
package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"grayscott/internal/testutil"
)

// Tab is a page in a headless Chromium that records the console's errors.
type Tab struct {
	tb  testing.TB
	ctx context.Context

	mu     sync.Mutex
	errors []string // guarded by mu
}

// Open starts a headless Chromium with a fresh profile, kept off the
// network beyond this machine, and returns a tab of it; both close when the
// test ends. It skips the test, saying why, where chromium is not
// installed or cannot start, except under GRAYSCOTT_REQUIRE_BROWSER=1 (as
// in make test, which installs it), where that fails the test.
func Open(tb testing.TB) *Tab {
	tb.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		unavailable(tb, "chromium is not installed (scripts/install-deps.sh --test installs Debian's chromium)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.UserDataDir(tb.TempDir()), chromedp.WindowSize(1280, 1024),
		chromedp.DisableGPU, chromedp.NoSandbox, // root in a container has no user namespaces
		// Without these, Chromium's own connections are refused by a closed
		// network, many at a time.
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true), chromedp.Flag("no-pings", true),
	}
	opts = append(chromedp.DefaultExecAllocatorOptions[:], opts...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t := &Tab{tb: tb, ctx: ctx}
	tb.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	console := chromedp.Console(ctx)
	if err := t.run(30*time.Second, chromedp.Navigate("about:blank")); err != nil {
		unavailable(tb, "chromium cannot start: "+err.Error())
	}
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == "error" || m.IsException() {
				t.mu.Lock()
				t.errors = append(t.errors, m.String())
				t.mu.Unlock()
			}
		}
	}()
	return t
}

func unavailable(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv("GRAYSCOTT_REQUIRE_BROWSER") == "1" {
		tb.Fatalf("%s, although GRAYSCOTT_REQUIRE_BROWSER=1", why)
	}
	tb.Skip(why)
}

func (t *Tab) run(d time.Duration, a chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(t.ctx, d)
	defer cancel()
	return chromedp.Do(ctx, a)
}

// Navigate loads url and waits for its load event.
func (t *Tab) Navigate(url string) {
	t.tb.Helper()
	if err := t.run(30*time.Second, chromedp.Navigate(url)); err != nil {
		t.tb.Fatalf("navigating to %s: %v", url, err)
	}
}

// Eval evaluates a JavaScript expression in the tab (awaiting a promise)
// and returns its value, failing the test on an error.
func Eval[T any](t *Tab, js string) T {
	t.tb.Helper()
	ctx, cancel := context.WithTimeout(t.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.tb.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// WaitUntil evaluates a JavaScript condition until it holds (failing the
// test if it has not within testutil.WaitUntil's patience).
func (t *Tab) WaitUntil(what, js string) {
	t.tb.Helper()
	testutil.WaitUntil(t.tb, what, func() bool {
		ok := Eval[bool](t, js)
		if !ok {
			time.Sleep(50 * time.Millisecond)
		}
		return ok
	})
}

// Errors returns the console's errors and the uncaught exceptions so far.
func (t *Tab) Errors() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.errors...)
}

// NoErrors fails the test if the console showed an error.
func (t *Tab) NoErrors() {
	t.tb.Helper()
	if errs := t.Errors(); len(errs) > 0 {
		t.tb.Errorf("the page's console showed errors:\n%s", strings.Join(errs, "\n"))
	}
}

// ImagePixels returns the pixels the page shows in the img element of id,
// at their natural size (drawn onto a canvas, read back as a PNG: what the
// browser decoded, whatever the element's size on the page), with the
// element's data attributes, read at the same moment.
func (t *Tab) ImagePixels(id string) (image.Image, map[string]string) {
	t.tb.Helper()
	v := Eval[struct {
		URL  string            `json:"url"`
		Data map[string]string `json:"data"`
	}](t, `(() => {
		const img = document.getElementById(`+"`"+id+"`"+`);
		const c = document.createElement('canvas');
		c.width = img.naturalWidth; c.height = img.naturalHeight;
		c.getContext('2d').drawImage(img, 0, 0);
		return {url: c.toDataURL('image/png'), data: Object.assign({}, img.dataset)};
	})()`)
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(v.URL, "data:image/png;base64,"))
	if err != nil {
		t.tb.Fatalf("the canvas of #%s: %v", id, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.tb.Fatalf("the canvas of #%s: %v", id, err)
	}
	return img, v.Data
}
