//go:build cgo && (amd64 || arm64)

package cpu

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestNoFMA compiles kernel.c as cgo does (go env CC, cgo's default
// CGO_CFLAGS, then the #cgo CFLAGS of kernel_cgo.go), disassembles it and
// checks that its functions hold no fused multiply-add (which would round
// differently from sim.Reference) and, on x86-64, that each variant is
// vectorized at its width and has its safe mode. (The test binary itself
// is stripped of symbols.)
func TestNoFMA(t *testing.T) {
	objdump, err := exec.LookPath("objdump")
	if err != nil {
		t.Skip("objdump (binutils) is not installed")
	}
	cc, err := exec.Command("go", "env", "CC", "CGO_CFLAGS").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := strings.Split(strings.TrimSpace(string(cc)), "\n")
	src, err := os.ReadFile("kernel_cgo.go")
	if err != nil {
		t.Fatal(err)
	}
	flags := regexp.MustCompile(`(?m)^// #cgo CFLAGS: (.*)$`).FindSubmatch(src)
	if flags == nil {
		t.Fatal("no #cgo CFLAGS line in kernel_cgo.go")
	}
	obj := filepath.Join(t.TempDir(), "kernel.o")
	args := append(strings.Fields(env[1]), strings.Fields(string(flags[1]))...)
	args = append(args, "-c", "kernel.c", "-o", obj)
	if out, err := exec.Command(env[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", env[0], strings.Join(args, " "), err, out)
	}
	out, err := exec.Command(objdump, "-d", "--no-show-raw-insn", obj).Output()
	if err != nil {
		t.Fatalf("objdump: %v", err)
	}
	fma := regexp.MustCompile(`\bv?f(n?m(add|sub)|ml[as])\w*`)
	funcs := map[string]string{} // kernel.c's functions, by name without .isra etc.
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			funcs[name] += body.String()
		}
		name = ""
		body.Reset()
	}
	head := regexp.MustCompile(`^[0-9a-f]+ <((gs_|pass_)[a-z0-9_]+)(\.[a-z0-9.]+)?>:$`)
	for _, line := range strings.Split(string(out), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			flush()
			name = m[1]
			continue
		}
		if strings.HasSuffix(line, ">:") {
			flush()
		}
		if name != "" {
			body.WriteString(line + "\n")
		}
	}
	flush()
	if funcs["gs_step"] == "" {
		t.Fatal("gs_step not found in kernel.o's disassembly")
	}
	for fn, code := range funcs {
		if m := fma.FindString(code); m != "" {
			t.Errorf("%s contains %s: floating-point contraction is on", fn, m)
		}
	}
	if runtime.GOARCH != "amd64" {
		return
	}
	// Each variant's safe mode multiplies in double (gcc could narrow
	// (float)((double)a*(double)b) back to a float multiply: same bits,
	// but the assists it exists to avoid).
	for fn, reg := range map[string]string{"pass_avx512": "%zmm", "pass_avx2": "%ymm", "gs_step": "%xmm"} {
		code := funcs[fn]
		if !strings.Contains(code, reg) {
			t.Errorf("%s uses no %s register: not vectorized at its width", fn, reg)
		}
		if !strings.Contains(code, "mulpd") {
			t.Errorf("%s has no mulpd: its safe mode does not multiply in double", fn)
		}
	}
}
