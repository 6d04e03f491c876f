package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"grayscott/storage/h5"
)

// xdmfPath returns the sidecar's path: FILE.h5 -> FILE.xmf.
func xdmfPath(h5file string) string {
	return strings.TrimSuffix(h5file, filepath.Ext(h5file)) + ".xmf"
}

// writeXDMF writes an XDMF 2 description of the images in h5file next to it,
// so that ParaView and VisIt open the run as a time series. Each image is
// a hyperslab of /matrix on a rows×cols grid of unit spacing; its time is
// (i+1)·steps·dt when those are known, else i.
func writeXDMF(h5file string) (string, error) {
	r, err := h5.Open(h5file)
	if err != nil {
		return "", err
	}
	n, rows, cols := r.Shape()
	steps, _ := r.Int("nbextrastep")
	dt, derr := r.Float("deltat")
	r.Close()
	if derr != nil || steps <= 0 {
		steps, dt = 0, 0
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" ?>
<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>
<Xdmf Version="2.0">
 <Domain>
  <Grid Name="grayscott" GridType="Collection" CollectionType="Temporal">
`)
	ref := filepath.Base(h5file) + ":/" + h5.Dataset
	for i := range n {
		t := float64(i)
		if steps > 0 {
			t = float64(i+1) * float64(steps) * float64(dt)
		}
		fmt.Fprintf(&b, `   <Grid Name="image_%d" GridType="Uniform">
    <Time Value="%g"/>
    <Topology TopologyType="2DCoRectMesh" Dimensions="%d %d"/>
    <Geometry GeometryType="ORIGIN_DXDY">
     <DataItem Dimensions="2" NumberType="Float" Format="XML">0 0</DataItem>
     <DataItem Dimensions="2" NumberType="Float" Format="XML">1 1</DataItem>
    </Geometry>
    <Attribute Name="V" AttributeType="Scalar" Center="Node">
     <DataItem ItemType="HyperSlab" Dimensions="1 %d %d" Type="HyperSlab">
      <DataItem Dimensions="3 3" Format="XML">%d 0 0 1 1 1 1 %d %d</DataItem>
      <DataItem Dimensions="%d %d %d" NumberType="Float" Precision="4" Format="HDF">%s</DataItem>
     </DataItem>
    </Attribute>
   </Grid>
`, i, t, rows, cols, rows, cols, i, rows, cols, n, rows, cols, ref)
	}
	b.WriteString("  </Grid>\n </Domain>\n</Xdmf>\n")
	out := xdmfPath(h5file)
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("xdmf: %w", err)
	}
	return out, nil
}

func xdmfCommand(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("xdmf", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: grayscott xdmf FILE.h5\n\nWrites FILE.xmf next to FILE.h5 so that ParaView opens the images as a time series.\n")
			return errHelp
		}
		return usagef("xdmf: %v", err)
	}
	if fs.NArg() != 1 {
		return usagef("xdmf: want one FILE.h5 (got %d arguments)", fs.NArg())
	}
	if _, err := os.Stat(fs.Arg(0)); err != nil {
		return usagef("xdmf: %s: no such file", fs.Arg(0))
	}
	out, err := writeXDMF(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("xdmf: %w", err)
	}
	fmt.Fprintln(stderr, "wrote", out)
	return nil
}
