// Package shaders holds the GLSL sources, embedded into the binary. The gpu
// package compiles them; a test there compiles every one on the real driver.
package shaders

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.comp *.vert *.frag *.glsl
var files embed.FS

// Version is the GLSL version line every source is compiled with: GL 4.3
// core, the oldest with compute shaders and the newest llvmpipe and NVIDIA share.
const Version = "#version 430 core"

// File names of the shaders.
const (
	GrayScott = "grayscott.comp" // one Gray-Scott step, CELLS cells per invocation (compute)
	// GrayScottTiled is GrayScott with a shared-memory tile per work group.
	GrayScottTiled = "grayscott_tiled.comp"
	Copy           = "copy.comp"  // a buffer copy: the memory bandwidth limit (compute)
	Paint          = "paint.comp" // paints a disc of seed state (compute)
	Pack           = "pack.comp"  // packs V (and U) for a readback (compute)
	ViewVert       = "view.vert"  // full-viewport triangle (vertex)
	ViewFrag       = "view.frag"  // a field through a colormap (fragment)
)

// Source returns the named shader with the version line and one #define per
// entry of defines (in the order given) prepended, and each line
// `#include "file.glsl"` replaced by that embedded file (GLSL itself has no
// includes). It fails only for a name that is not embedded.
func Source(name string, defines ...Define) (string, error) {
	var b strings.Builder
	b.WriteString(Version + "\n")
	for _, d := range defines {
		fmt.Fprintf(&b, "#define %s %s\n", d.Name, d.Value)
	}
	if err := include(&b, name, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

// include writes file name into b, its includes expanded, with #line
// directives so that compile errors name lines of the file they are in:
// file number 0 is the shader, n > 0 the n-th include of depth n.
func include(b *strings.Builder, name string, depth int) error {
	body, err := files.ReadFile(name)
	if err != nil {
		return fmt.Errorf("shaders: %w", err)
	}
	if depth > 4 {
		return fmt.Errorf("shaders: includes nested too deep at %s", name)
	}
	fmt.Fprintf(b, "#line 1 %d\n", depth)
	for i, line := range strings.SplitAfter(string(body), "\n") {
		inc, ok := strings.CutPrefix(strings.TrimSpace(line), "#include ")
		if !ok {
			b.WriteString(line)
			continue
		}
		if err := include(b, strings.Trim(inc, `"`), depth+1); err != nil {
			return err
		}
		fmt.Fprintf(b, "\n#line %d %d\n", i+2, depth)
	}
	return nil
}

// Define is a preprocessor definition prepended to a source.
type Define struct{ Name, Value string }

// Names lists every embedded shader file (not the included .glsl parts).
func Names() []string {
	entries, _ := files.ReadDir(".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".glsl") {
			names = append(names, e.Name())
		}
	}
	return names
}
