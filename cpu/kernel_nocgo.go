//go:build !cgo

package cpu

// cVariants: without cgo only the pure-Go kernel exists.
func cVariants() []variant { return nil }
