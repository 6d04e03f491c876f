package sim

import (
	"fmt"
	"strings"
)

// Preset is a named (F, k) pair.
type Preset struct {
	Name       string
	Feed, Kill float32
}

// Presets are the parameter sets of pmneila's reaction-diffusion demo, in
// the order the preview window's p key cycles through them.
var Presets = []Preset{
	{"default", 0.037, 0.06},
	{"solitons", 0.03, 0.062},
	{"worms", 0.078, 0.061},
	{"mazes", 0.029, 0.057},
	{"moving-spots", 0.014, 0.054},
	{"u-skate", 0.062, 0.06093},
}

// LookupPreset returns the named preset.
func LookupPreset(name string) (Preset, error) {
	var names []string
	for _, p := range Presets {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Preset{}, fmt.Errorf("sim: unknown preset %q (want one of %s)", name, strings.Join(names, ", "))
}
