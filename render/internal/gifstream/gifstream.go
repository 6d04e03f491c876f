// Package gifstream writes an animated GIF one frame at a time, so that an
// animation of any length is encoded without holding its frames in memory
// (image/gif's EncodeAll needs them all). Every frame shares one global
// 256-colour palette; nothing is dithered.
package gifstream

import (
	"bufio"
	"compress/lzw"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// Writer encodes frames of a fixed size. It is not safe for concurrent use.
type Writer struct {
	w             *bufio.Writer
	width, height int
	delay         int // hundredths of a second per frame
	frames        int
	err           error
}

// NewWriter writes the GIF header with palette p (at most 256 colours) for
// frames of width×height, shown delay hundredths of a second each, looping
// forever.
func NewWriter(w io.Writer, width, height int, p color.Palette, delay int) (*Writer, error) {
	if width < 1 || height < 1 || width > 65535 || height > 65535 {
		return nil, fmt.Errorf("gifstream: frame size %d×%d outside 1..65535", width, height)
	}
	if len(p) == 0 || len(p) > 256 {
		return nil, fmt.Errorf("gifstream: palette of %d colours, want 1..256", len(p))
	}
	g := &Writer{w: bufio.NewWriter(w), width: width, height: height, delay: delay}
	b := g.w
	b.WriteString("GIF89a")
	le16(b, width)
	le16(b, height)
	b.WriteByte(0xF7) // global colour table of 256 entries, 8 bits per channel
	b.WriteByte(0)    // background colour index
	b.WriteByte(0)    // pixel aspect ratio
	for i := range 256 {
		var r, gr, bl uint32
		if i < len(p) {
			r, gr, bl, _ = p[i].RGBA()
		}
		b.Write([]byte{byte(r >> 8), byte(gr >> 8), byte(bl >> 8)})
	}
	// NETSCAPE2.0 application extension: loop forever.
	b.Write([]byte{0x21, 0xFF, 0x0B})
	b.WriteString("NETSCAPE2.0")
	b.Write([]byte{0x03, 0x01, 0x00, 0x00, 0x00})
	return g, nil
}

// WriteFrame appends one frame. Its pixels are indices into the palette
// given to NewWriter (its own palette is ignored).
func (g *Writer) WriteFrame(m *image.Paletted) error {
	if g.err != nil {
		return g.err
	}
	if m.Rect.Dx() != g.width || m.Rect.Dy() != g.height {
		return fmt.Errorf("gifstream: frame of %v, the animation is %d×%d", m.Rect, g.width, g.height)
	}
	b := g.w
	// Graphic control extension: the delay, no transparency.
	b.Write([]byte{0x21, 0xF9, 0x04, 0x00})
	le16(b, g.delay)
	b.Write([]byte{0x00, 0x00})
	// Image descriptor: the whole canvas, global palette, not interlaced.
	b.WriteByte(0x2C)
	le16(b, 0)
	le16(b, 0)
	le16(b, g.width)
	le16(b, g.height)
	b.WriteByte(0x00)
	b.WriteByte(8) // LZW minimum code size
	bw := &blockWriter{w: b}
	lw := lzw.NewWriter(bw, lzw.LSB, 8)
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		off := m.PixOffset(m.Rect.Min.X, y)
		if _, err := lw.Write(m.Pix[off : off+g.width]); err != nil {
			g.err = err
			return err
		}
	}
	if err := lw.Close(); err != nil {
		g.err = err
		return err
	}
	if err := bw.close(); err != nil {
		g.err = err
		return err
	}
	g.frames++
	return nil
}

// Frames returns how many frames have been written.
func (g *Writer) Frames() int { return g.frames }

// Close writes the trailer and flushes. It does not close the underlying writer.
func (g *Writer) Close() error {
	if g.err != nil {
		return g.err
	}
	if g.frames == 0 {
		return errors.New("gifstream: an animation needs at least one frame")
	}
	g.w.WriteByte(0x3B)
	return g.w.Flush()
}

func le16(b *bufio.Writer, v int) { b.Write([]byte{byte(v), byte(v >> 8)}) }

// blockWriter splits LZW output into GIF data sub-blocks of ≤ 255 bytes.
type blockWriter struct {
	w   *bufio.Writer
	buf [255]byte
	n   int
}

func (b *blockWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		c := copy(b.buf[b.n:], p)
		b.n += c
		p = p[c:]
		if b.n == len(b.buf) {
			if err := b.flush(); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

func (b *blockWriter) flush() error {
	if b.n == 0 {
		return nil
	}
	b.w.WriteByte(byte(b.n))
	_, err := b.w.Write(b.buf[:b.n])
	b.n = 0
	return err
}

// close flushes the last sub-block and writes the block terminator.
func (b *blockWriter) close() error {
	if err := b.flush(); err != nil {
		return err
	}
	return b.w.WriteByte(0)
}
