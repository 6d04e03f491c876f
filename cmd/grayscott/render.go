package main

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"grayscott/cmd/grayscott/internal/gifstream"
	"grayscott/colormap"
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
atomically, until the run completes or stops.

Flags:
`

// parseFrames parses a Python-style slice of image indices: "A:B:STEP", "A:B", "A:" or "A" (negative counts from
// the end) against n images.
func parseFrames(spec string, n int) ([]int, error) {
	parts := strings.Split(spec, ":")
	if len(parts) > 3 {
		return nil, fmt.Errorf("want A:B:STEP")
	}
	vals := []int{0, n, 1}
	for i, p := range parts {
		if p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", p)
		}
		vals[i] = v
	}
	if len(parts) == 1 { // a single index
		if parts[0] == "" {
			return nil, fmt.Errorf("empty")
		}
		vals[1] = vals[0] + 1
		if vals[0] == -1 {
			vals[1] = n
		}
	}
	norm := func(v int) int {
		if v < 0 {
			v += n
		}
		return min(max(v, 0), n)
	}
	start, stop, step := norm(vals[0]), norm(vals[1]), vals[2]
	if step <= 0 {
		return nil, fmt.Errorf("step %d: must be positive", step)
	}
	var idx []int
	for i := start; i < stop; i += step {
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("selects no image of %d", n)
	}
	return idx, nil
}

func renderCommand(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("render", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	out := fs.StringP("output", "o", "", "output: a folder, NAME.png, NAME.gif or NAME.mp4")
	cmapName := fs.String("colormap", colormap.Default, "colormap: "+strings.Join(colormap.Names(), ", "))
	rangeSpec := fs.String("range", "auto", "value range mapped to the colormap: auto (min and max of the selected images) or LO,HI")
	framesSpec := fs.String("frames", "", "images A:B:STEP (Python slice; negative from the end; default all, or the last for .png)")
	scale := fs.Int("scale", 1, "enlarge each cell to N×N pixels")
	fps := fs.Int("fps", 25, "frames per second of MP4 and GIF (GIF: 50 at most)")
	follow := fs.Bool("follow", false, "keep redrawing -o NAME.png with the newest image while a run writes FILE; stop when it ends")
	interval := fs.Duration("interval", time.Second, "with --follow: how often to look for a new image")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, renderUsage+fs.FlagUsages())
			return errHelp
		}
		return usagef("render: %v", err)
	}
	if fs.NArg() != 1 {
		return usagef("render: want one FILE.h5 (got %d arguments)", fs.NArg())
	}
	in := fs.Arg(0)
	if *out == "" {
		return usagef("render: --output is required (a folder, NAME.png, NAME.gif or NAME.mp4)")
	}
	cmap, err := colormap.Lookup(*cmapName)
	if err != nil {
		return usagef("--colormap %s: %v", *cmapName, err)
	}
	if *scale < 1 || *scale > 64 {
		return usagef("--scale %d: want 1..64", *scale)
	}
	if *fps < 1 || *fps > 100 {
		return usagef("--fps %d: want 1..100", *fps)
	}
	kind := strings.ToLower(filepath.Ext(*out))
	switch kind {
	case ".png", ".gif", ".mp4":
		if _, err := os.Stat(filepath.Dir(*out)); err != nil {
			return usagef("--output %s: folder %s does not exist", *out, filepath.Dir(*out))
		}
	default:
		if st, err := os.Stat(*out); kind != "" && (err != nil || !st.IsDir()) {
			return usagef("--output %s: want a folder, NAME.png, NAME.gif or NAME.mp4", *out)
		}
		kind = ""
	}
	if kind == ".mp4" {
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return usagef("--output %s: MP4 needs ffmpeg, which is not installed (Debian package ffmpeg); write PNGs or a GIF instead", *out)
		}
	}
	if _, err := os.Stat(in); err != nil {
		return usagef("render: %s: no such file", in)
	}
	if hint := recoverHint(in); hint != "" && !*quiet {
		fmt.Fprintln(stderr, "grayscott: "+hint)
	}
	if *follow {
		if kind != ".png" || *framesSpec != "" {
			return usagef("render --follow: want -o NAME.png and no --frames (it draws the newest image)")
		}
		if *interval <= 0 {
			return usagef("--interval %v: must be positive", *interval)
		}
		if _, err := lookupRange(*rangeSpec); err != nil {
			return err
		}
		fl := follower{in: in, out: *out, cmap: cmap, scale: *scale, rangeSpec: *rangeSpec, interval: *interval}
		if !*quiet {
			fl.log = stderr
		}
		return fl.run()
	} else if fs.Changed("interval") {
		return usagef("--interval goes with --follow")
	}
	r, err := h5.Open(in)
	if err != nil {
		return fmt.Errorf("render: %w", err) // the file is there but cannot be read: not bad input
	}
	defer r.Close()
	n, rows, cols := r.Shape()
	if n == 0 {
		return usagef("render: %s holds no images", in)
	}
	spec := *framesSpec
	if spec == "" {
		spec = ":"
		if kind == ".png" {
			spec = "-1"
		}
	}
	frames, err := parseFrames(spec, n)
	if err != nil {
		return usagef("--frames %s: %v", spec, err)
	}
	if kind == ".png" && len(frames) != 1 {
		return usagef("--frames %s: selects %d images; a .png output holds one (write to a folder for several)", spec, len(frames))
	}
	buf := make([]float32, rows*cols)
	lo, hi, err := valueRange(*rangeSpec, r, frames, buf)
	if err != nil {
		return err
	}
	w, h := cols**scale, rows**scale
	img := image.NewPaletted(image.Rect(0, 0, w, h), cmap.Palette())
	draw := func(i int) error {
		if err := r.ReadFrame(i, buf); err != nil {
			return err
		}
		paint(img, buf, rows, cols, *scale, lo, hi)
		return nil
	}
	var written string
	switch kind {
	case ".png":
		if err := draw(frames[0]); err != nil {
			return err
		}
		if err := writePNG(*out, img); err != nil {
			return err
		}
		written = fmt.Sprintf("image %d", frames[0])
	case ".gif":
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("render: %w", err)
		}
		// Browsers show delays under 2/100 s as 1/10 s: 50 frames/s at most.
		g, err := gifstream.NewWriter(f, w, h, cmap.Palette(), max(2, 100 / *fps))
		if err != nil {
			f.Close()
			return err
		}
		for _, i := range frames {
			if err := draw(i); err != nil {
				f.Close()
				return err
			}
			if err := g.WriteFrame(img); err != nil {
				f.Close()
				return fmt.Errorf("render: %s: %w", *out, err)
			}
		}
		if err := errors.Join(g.Close(), f.Close()); err != nil {
			return fmt.Errorf("render: %s: %w", *out, err)
		}
		written = fmt.Sprintf("%d images", len(frames))
	case ".mp4":
		if err := writeMP4(*out, frames, draw, img, *fps); err != nil {
			return err
		}
		written = fmt.Sprintf("%d images", len(frames))
	default:
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return usagef("--output %s: %v", *out, err)
		}
		digits := max(5, len(strconv.Itoa(n-1)))
		for _, i := range frames {
			if err := draw(i); err != nil {
				return err
			}
			if err := writePNG(filepath.Join(*out, fmt.Sprintf("image_%0*d.png", digits, i)), img); err != nil {
				return err
			}
		}
		written = fmt.Sprintf("%d images", len(frames))
	}
	if !*quiet {
		fmt.Fprintf(stderr, "wrote %s of %s to %s (%s, range %g..%g)\n", written, in, *out, cmap.Name(), lo, hi)
	}
	return nil
}

// valueRange returns the range mapped onto the colormap: given as LO,HI or,
// for auto, the min and max over the selected images (a first pass).
func valueRange(spec string, r *h5.Reader, frames []int, buf []float32) (float32, float32, error) {
	if spec != "auto" {
		lh, err := lookupRange(spec)
		return lh[0], lh[1], err
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, i := range frames {
		if err := r.ReadFrame(i, buf); err != nil {
			return 0, 0, err
		}
		for _, v := range buf {
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	}
	if !(hi > lo) { // a uniform field, or NaNs only
		if math.IsInf(float64(lo), 0) {
			lo = 0
		}
		hi = lo + 1
	}
	return lo, hi, nil
}

// lookupRange parses --range LO,HI; auto gives a zero pair.
func lookupRange(spec string) ([2]float32, error) {
	if spec == "auto" {
		return [2]float32{}, nil
	}
	los, his, ok := strings.Cut(spec, ",")
	lo, err1 := strconv.ParseFloat(strings.TrimSpace(los), 32)
	hi, err2 := strconv.ParseFloat(strings.TrimSpace(his), 32)
	if !ok || err1 != nil || err2 != nil || !(hi > lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return [2]float32{}, usagef("--range %s: want auto or LO,HI with LO < HI", spec)
	}
	return [2]float32{float32(lo), float32(hi)}, nil
}

// paint colours a rows×cols field into img, each cell scale×scale pixels.
func paint(img *image.Paletted, field []float32, rows, cols, scale int, lo, hi float32) {
	w := cols * scale
	for r := range rows {
		line := img.Pix[r*scale*img.Stride : r*scale*img.Stride+w]
		for c := range cols {
			idx := colormap.Index(field[r*cols+c], lo, hi)
			for k := range scale {
				line[c*scale+k] = idx
			}
		}
		for k := 1; k < scale; k++ {
			copy(img.Pix[(r*scale+k)*img.Stride:], line)
		}
	}
}

// writePNG encodes img to path (rendered images and window screenshots).
func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// writeMP4 pipes RGB frames to ffmpeg.
func writeMP4(path string, frames []int, draw func(int) error, img *image.Paletted, fps int) error {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cmd := exec.Command("ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", w, h), "-framerate", strconv.Itoa(fps), "-i", "-",
		"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", path)
	var ffErr strings.Builder
	cmd.Stderr = &ffErr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("render: starting ffmpeg: %w", err)
	}
	rgb := make([]byte, 3*w*h)
	var werr error
	for _, i := range frames {
		if werr = draw(i); werr != nil {
			break
		}
		for p, idx := range img.Pix[:w*h] {
			c := img.Palette[idx]
			r, g, b, _ := c.RGBA()
			rgb[3*p], rgb[3*p+1], rgb[3*p+2] = byte(r>>8), byte(g>>8), byte(b>>8)
		}
		if _, werr = stdin.Write(rgb); werr != nil {
			break
		}
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("render: ffmpeg failed: %v: %s", err, strings.TrimSpace(ffErr.String()))
	}
	return werr
}
