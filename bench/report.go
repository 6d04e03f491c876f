package bench

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"grayscott/internal/plural"
	"grayscott/storage"
	"grayscott/storage/codec"
)

// WriteTable prints the figures for a person: the limits first, then a
// section per grid size, one row per configuration measured (a compute
// row carries its effective bandwidth beside its cell-updates/s). A
// section has up to four blocks, each aligned on its own under its own
// heading: compute and readback, the codecs, disk and storage, end to end
// (whose median is in images/s: no column of its own for them).
func (rep *Report) WriteTable(w io.Writer) error {
	gl := "no GPU engine"
	if rep.Renderer != "" {
		gl = fmt.Sprintf("%s (%s, %s)", rep.Renderer, rep.GLVersion, rep.Platform)
	}
	fmt.Fprintf(w, "grayscott bench on %s\n%d CPUs (%s, last-level cache %d MiB); %s of %s; median of %s, ± the spread (max−min)/median\n",
		gl, rep.CPUs, rep.CPUModel, rep.LLCBytes>>20, plural.N(rep.Images, "image"), plural.N(rep.Steps, "step"), plural.N(rep.Repeats, "repeat"))
	if rep.Developed > 0 {
		fmt.Fprintf(w, "codec and storage images: V after %s (early) and %s (developed)\n",
			plural.N(rep.Early, "step"), plural.N(rep.Developed, "step"))
	}
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 2, 4, 2, ' ', 0)
	section, block := "", ""
	for i, f := range rep.Figures {
		if f.Stage == "compute" && f.Unit == "GB/s" {
			continue // printed with its cell-updates/s
		}
		s, bl := sectionOf(f), blockOf(f)
		if s != section {
			fmt.Fprintf(tw, "\n%s\n", s) // no tab: each section aligns on its own
		} else if bl != block {
			fmt.Fprintln(tw) // a blank line ends a block's columns
		}
		if s != section || bl != block {
			section, block = s, bl
			fmt.Fprintln(tw, blockHeadings[bl])
		}
		spread := ""
		if f.Repeats > 1 && f.Median != 0 {
			spread = fmt.Sprintf("±%.0f%%", 100*(f.Max-f.Min)/f.Median)
		}
		ips := ""
		if f.ImagesPerS > 0 && f.Unit != "images/s" {
			ips = num(f.ImagesPerS)
		}
		if bl == "end-to-end" {
			fmt.Fprintf(tw, "  %s\t%s\t%s %s\t%s\t%s\n", f.Stage, configOf(f), num(f.Median), f.Unit, spread, rep.limitOf(i))
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s %s\t%s\t%s\t%s\n", f.Stage, configOf(f), num(f.Median), f.Unit, spread, ips, rep.limitOf(i))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimRight(table.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	// A reference, not always a bound: what reads as "above its limit" is
	// the reference being the wrong one for that case.
	_, err := fmt.Fprintln(w, "\nA percentage is the figure over the reference named beside it; above 100 % the reference does not bound"+
		"\nthat case: a grid in the last-level cache is not held to memory bandwidth, compressed storage writes fewer"+
		"\nbytes than the raw disk write, and end to end, compared with the slower of its stages measured alone,"+
		"\nmay beat it by noise. \"N× none\" is a compressed row over the same row with the codec none."+
		"\nTimes are wall-clock, except GPU compute marked (gpu timer), timed by GL timer queries, and the codec rows:"+
		"\nthe CPU time of the one thread encoding, the capacity of one compression worker whatever else runs.")
	return err
}

// blockHeadings are the column headings of each block of a section.
var blockHeadings = map[string]string{
	"compute":    "  stage\tconfiguration\tmedian\tspread\timages/s\tagainst its reference",
	"codec":      "  stage\tcodec, image\tencode, one worker\tspread\timages/s\tratio (raw/stored), largest relative error",
	"storage":    "  stage\tconfiguration\tmedian\tspread\timages/s\tagainst its reference",
	"end-to-end": "  stage\tconfiguration\tmedian\tspread\tagainst its reference",
}

// blockOf is the block of its section a figure is listed in.
func blockOf(f Figure) string {
	switch f.Stage {
	case "codec":
		return "codec"
	case "disk-write", "storage":
		return "storage"
	case "end-to-end":
		return "end-to-end"
	}
	return "compute"
}

// num writes x in three significant digits, without an exponent from 100
// to a million.
func num(x float64) string {
	if a := math.Abs(x); a >= 100 && a < 1e6 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// sectionOf is the heading a figure is listed under: its grid, or the
// limits measured once.
func sectionOf(f Figure) string {
	if f.Rows == 0 {
		return "limits"
	}
	return Grid{f.Rows, f.Cols}.String()
}

// configOf says what was measured, in a few words.
func configOf(f Figure) string {
	var cfg []string
	if f.Engine != "" {
		cfg = append(cfg, f.Engine)
	}
	switch {
	case f.Threads > 0:
		cfg = append(cfg, f.Kernel, plural.N(f.Threads, "thread"))
	case f.Kernel != "":
		cfg = append(cfg, f.Kernel, f.Workgroup)
	}
	if f.Cache != "" {
		cfg = append(cfg, "("+f.Cache+")")
	}
	if f.Timing == "gpu-timer" {
		cfg = append(cfg, "(gpu timer)")
	}
	if f.BufferLen >= 0 {
		cfg = append(cfg, "buf "+strconv.Itoa(f.BufferLen))
	}
	if f.Codec != "" {
		cfg = append(cfg, f.Codec)
		if f.KeepBits > 0 && f.KeepBits < storage.LosslessBits {
			cfg = append(cfg, "keep "+strconv.Itoa(f.KeepBits))
		}
	}
	if f.Image != "" {
		cfg = append(cfg, f.Image)
	}
	if f.FlushEvery >= 0 {
		cfg = append(cfg, "flush "+strconv.Itoa(f.FlushEvery))
	}
	return strings.Join(cfg, " ")
}

// limitOf says how figure i compares with its reference: a compute row
// with its effective bandwidth (the next figure) against the limit.
func (rep *Report) limitOf(i int) string {
	f := rep.Figures[i]
	if f.Stage == "compute" && f.Engine == "gpu" && i+1 < len(rep.Figures) && rep.Figures[i+1].Unit == "GB/s" {
		bw := rep.Figures[i+1]
		return fmt.Sprintf("%.3g GB/s, %.0f%% of %s", bw.Median, 100*bw.OfLimit, bw.LimitName)
	}
	vsRaw := ""
	if f.VsRaw > 0 {
		vsRaw = fmt.Sprintf(", %.2f× none", f.VsRaw)
	}
	switch {
	case f.Stage == "codec":
		s := fmt.Sprintf("%.2f×", f.Ratio)
		if f.KeepBits < storage.LosslessBits {
			s += fmt.Sprintf(", %.2g (bound %.2g)", f.MaxRelError, codec.RelativeErrorBound(f.KeepBits))
		}
		return s
	case f.BoundBy != "":
		return fmt.Sprintf("%.0f%% of %s", 100*f.OfLimit, strings.Replace(f.BoundBy, " (compute + readback)", " compute+readback", 1)) + vsRaw
	case f.OfLimit > 0:
		return fmt.Sprintf("%.0f%% of %s", 100*f.OfLimit, strings.Replace(f.LimitName, " at 16 B per cell per step", " (16 B/cell/step)", 1)) + vsRaw
	}
	return ""
}

// WriteCSV writes one row per figure, with a header.
func (rep *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"stage", "engine", "size", "rows", "cols", "kernel", "workgroup", "threads", "cache", "storage_buffer_len",
		"codec", "keep_bits", "compression_level", "image", "image_steps", "ratio", "max_relative_error", "vs_raw", "flush_every",
		"metric", "unit", "median", "min", "max", "repeats", "timing", "images_per_s", "limit", "limit_name",
		"fraction_of_limit", "bound_by", "gl_renderer"})
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, x := range rep.Figures {
		cw.Write([]string{x.Stage, x.Engine, strconv.Itoa(x.Size), strconv.Itoa(x.Rows), strconv.Itoa(x.Cols), x.Kernel, x.Workgroup, strconv.Itoa(x.Threads), x.Cache, strconv.Itoa(x.BufferLen),
			x.Codec, strconv.Itoa(x.KeepBits), strconv.Itoa(x.Compression), x.Image, strconv.Itoa(x.ImageSteps), g(x.Ratio), g(x.MaxRelError), g(x.VsRaw),
			strconv.Itoa(x.FlushEvery), x.Metric, x.Unit, g(x.Median), g(x.Min), g(x.Max),
			strconv.Itoa(x.Repeats), x.Timing, g(x.ImagesPerS), g(x.Limit), x.LimitName, g(x.OfLimit), x.BoundBy, rep.Renderer})
	}
	cw.Flush()
	return cw.Error()
}
