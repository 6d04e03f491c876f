package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"grayscott/colormap"
	"grayscott/internal/runflags"
	"grayscott/render"
	"grayscott/storage/h5"
)

const renderUsage = `Usage: grayscott render FILE.h5 -o OUT [flags]

Renders the images of /matrix through a colormap, one frame at a time:
  -o DIR        PNG files DIR/image_00000.png ... (the folder is created)
  -o NAME.png   one PNG (the last image unless --frames picks another)
  -o NAME.gif   an animated GIF (the colormap as palette, no dithering)
  -o NAME.mp4   an MP4 video (needs ffmpeg)
Works on files from the course's tools too (/matrix only).

With --follow, -o NAME.png is redrawn with the newest image while a run
writes FILE (readers see its images within --publish-every), replaced
atomically, until the run completes, stops or is killed. FILE may not
exist yet: follow waits for the run to create it.

Flags:
`

// renderArgs are render's flags, checked; the Follower holds the
// Renderer's settings and, for --follow, the interval.
type renderArgs struct {
	render.Follower
	in, out, frames, rng string
	format               render.Format
	follow, quiet        bool
}

func renderCommand(args []string, stdout, stderr io.Writer) error {
	a, err := parseRender(args, stdout)
	if err != nil {
		return err
	}
	if a.quiet {
		stderr = io.Discard
	}
	if hint := recoverHint(a.in); hint != "" {
		fmt.Fprintln(stderr, "grayscott: "+hint)
	}
	if a.follow {
		if _, err := os.Stat(a.in); err != nil {
			fmt.Fprintf(stderr, "%s: not there yet; waiting for a run to create it\n", a.in)
		}
		a.Drawn = func(i int) { fmt.Fprintf(stderr, "%s: image %d\n", a.out, i) }
		fd, err := a.Follow(context.Background(), a.in, a.out)
		if err != nil {
			return fmt.Errorf("render --follow: %w", err)
		}
		fmt.Fprintf(stderr, "%s: %s with %d images; %s shows image %d\n", a.in, fd.Status.Ended(), fd.Status.Images, a.out, fd.Shown)
		return nil
	}
	r, err := h5.Open(a.in)
	if err != nil {
		return fmt.Errorf("render: %w", err) // the file is there but cannot be read: not bad input
	}
	defer r.Close()
	n, _, _ := r.Shape()
	if n == 0 {
		return usagef("render: %s holds no images", a.in)
	}
	frames, err := a.format.Frames(a.frames, n)
	if err != nil {
		return usagef("--frames %s: %v", cmp.Or(a.frames, a.format.DefaultFrames()), err)
	}
	if a.Range, err = render.ParseRange(a.rng); err != nil { // after --frames, as it always was
		return usagef("--range %s: %v", a.rng, err)
	}
	if a.Range, err = a.RangeOf(r, frames); err != nil { // auto: a first pass over the images
		return err
	}
	if a.format == render.Folder { // made here, after the range's pass: a folder that cannot be made is bad input
		if err := os.MkdirAll(a.out, 0o755); err != nil {
			return usagef("--output %s: %v", a.out, err)
		}
	}
	if _, err := a.Render(r, frames, a.out); err != nil {
		return err
	}
	written := fmt.Sprintf("%d images", len(frames))
	if a.format == render.PNG {
		written = fmt.Sprintf("image %d", frames[0])
	}
	fmt.Fprintf(stderr, "wrote %s of %s to %s (%s, range %g..%g)\n", written, a.in, a.out, a.Colormap.Name(), a.Range.Lo, a.Range.Hi)
	return nil
}

// parseRender parses and checks render's flags: every usage error that
// needs no reading of the file.
func parseRender(args []string, stdout io.Writer) (*renderArgs, error) {
	fs := pflag.NewFlagSet("render", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	a := &renderArgs{}
	fs.StringVarP(&a.out, "output", "o", "", "output: a folder, NAME.png, NAME.gif or NAME.mp4")
	cmapName := fs.String("colormap", colormap.Default, "colormap: "+strings.Join(colormap.Names(), ", "))
	fs.StringVar(&a.rng, "range", "auto", "value range mapped to the colormap: auto (min and max of the selected images) or LO,HI")
	fs.StringVar(&a.frames, "frames", "", "images A:B:STEP (Python slice; negative from the end; default all, or the last for .png)")
	fs.IntVar(&a.Scale, "scale", 1, "enlarge each cell to N×N pixels")
	fs.BoolVar(&a.ColorBar, "colorbar", true, "add a colour bar with the range's values below each picture (--colorbar=false: the images alone)")
	fs.IntVar(&a.FPS, "fps", 25, "frames per second of MP4 and GIF (GIF: 50 at most)")
	fs.BoolVar(&a.follow, "follow", false, "keep redrawing -o NAME.png with the newest image while a run writes FILE; stop when it ends")
	fs.DurationVar(&a.Interval, "interval", time.Second, "with --follow: how often to look for a new image")
	fs.BoolVarP(&a.quiet, "quiet", "q", false, "print nothing but errors")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, renderUsage+fs.FlagUsages())
			return nil, errHelp
		}
		return nil, runflags.Explain("render", fs, err)
	}
	cmap, cmapErr := colormap.Lookup(*cmapName)
	format, outErr := render.CheckOutput(a.out)
	inErr := checkInput("render", fs.Arg(0))
	rng, rngErr := render.ParseRange(a.rng)
	switch {
	case fs.NArg() != 1:
		return nil, usagef("render: want one FILE.h5 (got %d arguments)", fs.NArg())
	case a.out == "":
		return nil, usagef("render: --output is required (a folder, NAME.png, NAME.gif or NAME.mp4)")
	case cmapErr != nil:
		return nil, usagef("--colormap %s: %v", *cmapName, cmapErr)
	case a.Scale < 1 || a.Scale > 64:
		return nil, usagef("--scale %d: want 1..64", a.Scale)
	case a.FPS < 1 || a.FPS > 100:
		return nil, usagef("--fps %d: want 1..100", a.FPS)
	case outErr != nil:
		return nil, usagef("--output %s: %v", a.out, outErr)
	case inErr != nil && (!a.follow || fileExists(fs.Arg(0))): // --follow waits for the file to appear
		return nil, inErr
	case !a.follow && fs.Changed("interval"):
		return nil, usagef("--interval goes with --follow")
	case !a.follow: // --range is checked once the frames are (renderCommand)
	case format != render.PNG || a.frames != "":
		return nil, usagef("render --follow: want -o NAME.png and no --frames (it draws the newest image)")
	case a.Interval <= 0:
		return nil, usagef("--interval %v: must be positive", a.Interval)
	case rngErr != nil:
		return nil, usagef("--range %s: %v", a.rng, rngErr)
	}
	a.in, a.Colormap, a.format, a.Range = fs.Arg(0), cmap, format, rng
	return a, nil
}
