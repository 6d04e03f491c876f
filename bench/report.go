package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"grayscott/internal/plural"
)

// WriteTable prints the figures as an aligned table for a person.
func (rep *Report) WriteTable(w io.Writer) error {
	gl := "no GPU engine"
	if rep.Renderer != "" {
		gl = fmt.Sprintf("%s (%s, %s)", rep.Renderer, rep.GLVersion, rep.Platform)
	}
	fmt.Fprintf(w, "grayscott bench on %s; %d CPUs (%s, last-level cache %d MiB); %d images of %d steps, median of %d [min..max]\n\n",
		gl, rep.CPUs, rep.CPUModel, rep.LLCBytes>>20, rep.Images, rep.Steps, rep.Repeats)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tsize\tconfig\tmedian\t[min..max]\tunit\timages/s\tof limit\tlimit / bound\ttiming")
	for _, f := range rep.Figures {
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
		if f.BufferLen >= 0 {
			cfg = append(cfg, "buf "+strconv.Itoa(f.BufferLen))
		}
		if f.Compression >= 0 {
			cfg = append(cfg, "deflate "+strconv.Itoa(f.Compression))
		}
		if f.FlushEvery >= 0 {
			cfg = append(cfg, "flush "+strconv.Itoa(f.FlushEvery))
		}
		size, ips, of, limit := "", "", "", f.LimitName
		if f.Rows > 0 {
			size = Grid{f.Rows, f.Cols}.String()
		}
		if f.ImagesPerS > 0 {
			ips = fmt.Sprintf("%.4g", f.ImagesPerS)
		}
		if f.OfLimit > 0 {
			of = fmt.Sprintf("%.0f%%", 100*f.OfLimit)
		}
		if f.BoundBy != "" {
			limit = "bound by " + f.BoundBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4g\t[%.4g..%.4g]\t%s\t%s\t%s\t%s\t%s\n", f.Stage, size, strings.Join(cfg, " "),
			f.Median, f.Min, f.Max, f.Unit, ips, of, limit, f.Timing)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// A reference, not always a bound: what reads as "above its limit" is
	// the reference being the wrong one for that case.
	_, err := fmt.Fprintln(w, "\nof limit: the figure over the reference beside it. Above 100 % means the reference does not bound that case:"+
		"\na grid in the last-level cache is not held to memory bandwidth, compressed storage writes fewer bytes than the raw"+
		"\ndisk write, and end to end may beat its slowest stage measured alone by noise.")
	return err
}

// WriteCSV writes one row per figure, with a header.
func (rep *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"stage", "engine", "size", "rows", "cols", "kernel", "workgroup", "threads", "cache", "storage_buffer_len", "compression_level", "flush_every",
		"metric", "unit", "median", "min", "max", "repeats", "timing", "images_per_s", "limit", "limit_name",
		"fraction_of_limit", "bound_by", "gl_renderer"})
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, x := range rep.Figures {
		cw.Write([]string{x.Stage, x.Engine, strconv.Itoa(x.Size), strconv.Itoa(x.Rows), strconv.Itoa(x.Cols), x.Kernel, x.Workgroup, strconv.Itoa(x.Threads), x.Cache, strconv.Itoa(x.BufferLen),
			strconv.Itoa(x.Compression), strconv.Itoa(x.FlushEvery), x.Metric, x.Unit, g(x.Median), g(x.Min), g(x.Max),
			strconv.Itoa(x.Repeats), x.Timing, g(x.ImagesPerS), g(x.Limit), x.LimitName, g(x.OfLimit), x.BoundBy, rep.Renderer})
	}
	cw.Flush()
	return cw.Error()
}
