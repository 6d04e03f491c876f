package cpu

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Model returns the processor's name from /proc/cpuinfo, or the
// architecture where there is none.
func Model() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

// LastLevelCache returns the size in bytes of the CPU's largest cache, as
// sysfs reports it, or 0 where it cannot be told. A grid whose fields
// (16 bytes per cell: U and V, read and written) fit in it is not bound by
// memory bandwidth.
func LastLevelCache() int64 {
	var best int64
	dirs, _ := filepath.Glob("/sys/devices/system/cpu/cpu0/cache/index*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "size"))
		if err != nil {
			continue
		}
		v := strings.TrimSpace(string(b))
		mult := int64(1)
		switch {
		case strings.HasSuffix(v, "K"):
			mult, v = 1<<10, strings.TrimSuffix(v, "K")
		case strings.HasSuffix(v, "M"):
			mult, v = 1<<20, strings.TrimSuffix(v, "M")
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			best = max(best, n*mult)
		}
	}
	return best
}
