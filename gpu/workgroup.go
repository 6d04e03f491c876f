package gpu

import "fmt"

// WorkGroup is a compute work-group size in cells (X along columns, Y along rows).
type WorkGroup struct{ X, Y int }

// DefaultWorkGroup is 16×16, the course's choice.
var DefaultWorkGroup = WorkGroup{16, 16}

// MaxInvocations is the work-group size every GL 4.3 device must support.
const MaxInvocations = 1024

// String returns the flag spelling, e.g. "16x16".
func (w WorkGroup) String() string { return fmt.Sprintf("%dx%d", w.X, w.Y) }

// groups returns how many work groups cover n cells.
func groups(n, size int) int { return (n + size - 1) / size }
