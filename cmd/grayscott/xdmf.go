package main

import (
	"encoding/xml"
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

// writeXDMF writes an XDMF description of the images in h5file next to it,
// so that ParaView (and other XDMF readers) open the run as a time series;
// it returns the sidecar's path. Image i's time is (i+1)·steps·dt when those
// are known, else i.
//
// Each image is a grid of rows×cols points (point-centred V) of unit
// spacing in the XY plane, drawn the way grayscott render draws it: column
// c at x = c, row r at y = rows-1-r, so row 0 is the top row. XDMF lists
// a CoRectMesh's dimensions, origin and spacing slowest axis first (Z Y X):
// a 3DCoRectMesh of 1×rows×cols points with origin (0, rows-1, 0) and
// spacing (1, -1, 1). A 2DCoRectMesh would put the image in the YZ plane
// in ParaView's legacy XDMF reader.
//
// V of image i is /matrix[i], which ParaView's two XDMF libraries only
// agree on in one form (checked by scripts/test-paraview.sh):
//   - Xdmf3 (ParaView's default readers, Xdmf3ReaderS/T) cannot read an
//     ItemType="HyperSlab" item as an attribute ("Skipping unrecognized
//     array type [None]"); it reads the hyperslab from the item's own text,
//     FILE:/matrix|START:STRIDE:COUNT:DATASPACE, and ignores child items.
//   - Xdmf2 (the legacy XDMFReader) takes the XDMF 1 spelling
//     Type="HyperSlab" (Xdmf3 only looks at ItemType) and reads the slab
//     from the two child items, start/stride/count and the whole dataset;
//     it ignores the item's text.
//
// Both need the slab's dimensions as 1×rows×cols, the rank of /matrix.
func writeXDMF(h5file string) (string, error) {
	base := filepath.Base(h5file)
	if strings.ContainsAny(base, ":|") {
		// XDMF readers split FILE:/DATASET at ':' and Xdmf3 splits its
		// hyperslab text at '|'.
		return "", fmt.Errorf("xdmf: %s: XDMF readers cannot refer to a file whose name holds ':' or '|'", base)
	}
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
	var ref strings.Builder
	if err := xml.EscapeText(&ref, []byte(base+":/"+h5.Dataset)); err != nil {
		return "", fmt.Errorf("xdmf: %w", err)
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" ?>
<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>
<!-- Written by grayscott. V of image i is /matrix[i]: the text of each V item is
     the hyperslab for Xdmf3 readers, its two child items the same hyperslab for
     Xdmf2 readers. Row 0 is at the top (largest y). -->
<Xdmf Version="2.0">
 <Domain>
  <Grid Name="grayscott" GridType="Collection" CollectionType="Temporal">
`)
	for i := range n {
		t := float64(i)
		if steps > 0 {
			t = float64(i+1) * float64(steps) * float64(dt)
		}
		fmt.Fprintf(&b, `   <Grid Name="image_%d" GridType="Uniform">
    <Time Value="%g"/>
    <Topology TopologyType="3DCoRectMesh" Dimensions="1 %d %d"/>
    <Geometry GeometryType="ORIGIN_DXDYDZ">
     <DataItem Dimensions="3" NumberType="Float" Precision="4" Format="XML">0 %d 0</DataItem>
     <DataItem Dimensions="3" NumberType="Float" Precision="4" Format="XML">1 -1 1</DataItem>
    </Geometry>
    <Attribute Name="V" AttributeType="Scalar" Center="Node">
     <DataItem Type="HyperSlab" Dimensions="1 %d %d" NumberType="Float" Precision="4" Format="HDF">%s|%d 0 0:1 1 1:1 %d %d:%d %d %d
      <DataItem Dimensions="3 3" NumberType="Int" Format="XML">%d 0 0 1 1 1 1 %d %d</DataItem>
      <DataItem Dimensions="%d %d %d" NumberType="Float" Precision="4" Format="HDF">%s</DataItem>
     </DataItem>
    </Attribute>
   </Grid>
`, i, t, rows, cols, rows-1,
			rows, cols, ref.String(), i, rows, cols, n, rows, cols,
			i, rows, cols,
			n, rows, cols, ref.String())
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
	if hint := recoverHint(fs.Arg(0)); hint != "" {
		fmt.Fprintln(stderr, "grayscott: "+hint)
	}
	return nil
}
