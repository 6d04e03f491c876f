// Package shaders holds the GLSL sources, embedded into the binary. The gpu
// package compiles them; a test there compiles every one on the real driver.
package shaders

import (
	"embed"
	"fmt"
	"strings"
)

//go:embed *.comp *.vert *.frag
var files embed.FS

// Version is the GLSL version line every source is compiled with: GL 4.3
// core, the oldest with compute shaders and the newest llvmpipe and NVIDIA share.
const Version = "#version 430 core"

// File names of the shaders.
const (
	GrayScott = "grayscott.comp" // one Gray-Scott step (compute)
	// GrayScottTiled is GrayScott with a shared-memory tile per work group.
	GrayScottTiled = "grayscott_tiled.comp"
	Copy           = "copy.comp"  // a buffer copy: the memory bandwidth limit (compute)
	Paint          = "paint.comp" // paints a disc of seed state (compute)
	ViewVert       = "view.vert"  // full-viewport triangle (vertex)
	ViewFrag       = "view.frag"  // a field through a colormap (fragment)
)

// Source returns the named shader with the version line and one #define per
// entry of defines (in the order given) prepended. It fails only for a name
// that is not embedded.
func Source(name string, defines ...Define) (string, error) {
	body, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("shaders: %w", err)
	}
	var b strings.Builder
	b.WriteString(Version + "\n")
	for _, d := range defines {
		fmt.Fprintf(&b, "#define %s %s\n", d.Name, d.Value)
	}
	b.WriteString("#line 1\n")
	b.Write(body)
	return b.String(), nil
}

// Define is a preprocessor definition prepended to a source.
type Define struct{ Name, Value string }

// Names lists every embedded shader file.
func Names() []string {
	entries, _ := files.ReadDir(".")
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
