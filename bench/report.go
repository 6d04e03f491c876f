package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the figures as an aligned table for a person.
func (rep *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "grayscott bench on %s (%s, %s), %d CPUs; %d images of %d steps, median of %d [min..max]\n\n",
		rep.Renderer, rep.GLVersion, rep.Platform, rep.CPUs, rep.Images, rep.Steps, rep.Repeats)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tsize\tconfig\tmedian\t[min..max]\tunit\timages/s\tof limit\tlimit / bound\ttiming")
	for _, f := range rep.Figures {
		var cfg []string
		if f.Kernel != "" {
			cfg = append(cfg, f.Kernel, f.Workgroup)
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
		if f.Size > 0 {
			size = fmt.Sprintf("%d²", f.Size)
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
	return tw.Flush()
}

// WriteCSV writes one row per figure, with a header.
func (rep *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"stage", "size", "kernel", "workgroup", "storage_buffer_len", "compression_level", "flush_every",
		"metric", "unit", "median", "min", "max", "repeats", "timing", "images_per_s", "limit", "limit_name",
		"fraction_of_limit", "bound_by", "gl_renderer"})
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	for _, x := range rep.Figures {
		cw.Write([]string{x.Stage, strconv.Itoa(x.Size), x.Kernel, x.Workgroup, strconv.Itoa(x.BufferLen),
			strconv.Itoa(x.Compression), strconv.Itoa(x.FlushEvery), x.Metric, x.Unit, g(x.Median), g(x.Min), g(x.Max),
			strconv.Itoa(x.Repeats), x.Timing, g(x.ImagesPerS), g(x.Limit), x.LimitName, g(x.OfLimit), x.BoundBy, rep.Renderer})
	}
	cw.Flush()
	return cw.Error()
}
