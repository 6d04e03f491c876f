package gpu

import "grayscott/gpu/gpuconf"

// WorkGroup is a compute work-group size in cells (X along columns, Y along rows).
type WorkGroup = gpuconf.WorkGroup

// DefaultWorkGroup is 16×16, the course's choice.
var DefaultWorkGroup = gpuconf.DefaultWorkGroup

// MaxInvocations is the work-group size every GL 4.3 device must support.
const MaxInvocations = gpuconf.MaxInvocations

// groups returns how many work groups cover n cells.
func groups(n, size int) int { return (n + size - 1) / size }
