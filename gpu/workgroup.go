package gpu

import (
	"fmt"
	"strconv"
	"strings"
)

// WorkGroup is a compute work-group size in cells (X along columns, Y along rows).
type WorkGroup struct{ X, Y int }

// DefaultWorkGroup is 16×16, the course's choice.
var DefaultWorkGroup = WorkGroup{16, 16}

// MaxInvocations is the work-group size every GL 4.3 device must support.
const MaxInvocations = 1024

// String returns the flag spelling, e.g. "16x16".
func (w WorkGroup) String() string { return fmt.Sprintf("%dx%d", w.X, w.Y) }

// ParseWorkGroup parses "XxY" (e.g. "16x16", "32x8"). Both sizes must be
// positive and their product at most MaxInvocations.
func ParseWorkGroup(s string) (WorkGroup, error) {
	xs, ys, ok := strings.Cut(strings.ToLower(s), "x")
	x, errX := strconv.Atoi(xs)
	y, errY := strconv.Atoi(ys)
	if !ok || errX != nil || errY != nil {
		return WorkGroup{}, fmt.Errorf("gpu: work group %q: want XxY, e.g. 16x16", s)
	}
	w := WorkGroup{x, y}
	if x <= 0 || y <= 0 || x*y > MaxInvocations {
		return WorkGroup{}, fmt.Errorf("gpu: work group %q: sizes must be positive with X·Y ≤ %d", s, MaxInvocations)
	}
	return w, nil
}

// groups returns how many work groups cover n cells.
func groups(n, size int) int { return (n + size - 1) / size }
