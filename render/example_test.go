package render_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"grayscott/render"
)

// ramp is three 4×4 images in memory: image i holds i + cell/16. Any
// Images will do; an *h5.Reader is the usual one.
type ramp struct{}

func (ramp) Shape() (images, rows, cols int) { return 3, 4, 4 }

func (ramp) ReadFrame(i int, dst []float32) error {
	for c := range dst {
		dst[c] = float32(i) + float32(c)/16
	}
	return nil
}

// Render writes the images selected as the command line's --frames would,
// into a folder (the output's name picks the format), each cell 8×8
// pixels, over the range of those images.
func ExampleRenderer_Render() {
	dir, err := os.MkdirTemp("", "render-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "frames")
	frames, err := render.FormatOf(out).Frames("::2", 3)
	if err != nil {
		log.Fatal(err)
	}
	rd := render.Renderer{Scale: 8}
	rng, err := rd.Render(ramp{}, frames, out)
	if err != nil {
		log.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s of images %v, range %g..%g:\n", render.FormatOf(out), frames, rng.Lo, rng.Hi)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	// Output:
	// folder of images [0 2], range 0..2.9375:
	// image_00000.png
	// image_00002.png
}

func ExampleParseFrames() {
	for _, spec := range []string{":", "-1", "1::2", "-3:"} {
		frames, _ := render.ParseFrames(spec, 6)
		fmt.Println(spec, frames)
	}
	// Output:
	// : [0 1 2 3 4 5]
	// -1 [5]
	// 1::2 [1 3 5]
	// -3: [3 4 5]
}
