// Package plural writes counts as people read them: "1 image", "2 images".
package plural

import (
	"fmt"
	"strings"
)

// N returns n and noun, in the plural unless n is 1 ("1 thread", "0
// threads", "2 flushes"). Plurals are regular: +es after s, x, ch and sh,
// else +s, which every noun grayscott counts takes.
func N(n int, noun string) string { return fmt.Sprintf("%d %s", n, Word(n, noun)) }

// Word returns noun, in the plural unless n is 1.
func Word(n int, noun string) string {
	switch {
	case n == 1:
		return noun
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	}
	return noun + "s"
}
