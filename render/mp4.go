package render

import (
	"fmt"
	"image"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

func lookFFmpeg() (string, error) { return exec.LookPath("ffmpeg") }

// mp4Writer pipes RGB frames to ffmpeg, which encodes them as H.264 in
// yuv420p (padded to even sizes, which the format needs).
type mp4Writer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr strings.Builder // ffmpeg's messages, for the error
	w, h   int
	rgb    []byte
	done   bool  // ffmpeg has been waited for
	err    error // the outcome once done
}

func newMP4Writer(path string, w, h, fps int) (*mp4Writer, error) {
	m := &mp4Writer{w: w, h: h, rgb: make([]byte, 3*w*h)}
	m.cmd = exec.Command("ffmpeg", "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
		"-s", fmt.Sprintf("%dx%d", w, h), "-framerate", strconv.Itoa(fps), "-i", "-",
		"-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p", path)
	m.cmd.Stderr = &m.stderr
	var err error
	if m.stdin, err = m.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("render: starting ffmpeg: %w", err)
	}
	return m, nil
}

func (m *mp4Writer) WriteFrame(_ int, img *image.Paletted) error {
	if m.done {
		return m.err
	}
	if img.Rect.Dx() != m.w || img.Rect.Dy() != m.h {
		return fmt.Errorf("render: frame of %v, the video is %d×%d", img.Rect, m.w, m.h)
	}
	p := 0
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		off := img.PixOffset(img.Rect.Min.X, y)
		for _, idx := range img.Pix[off : off+m.w] {
			r, g, b, _ := img.Palette[idx].RGBA()
			m.rgb[p], m.rgb[p+1], m.rgb[p+2] = byte(r>>8), byte(g>>8), byte(b>>8)
			p += 3
		}
	}
	if _, err := m.stdin.Write(m.rgb); err != nil {
		// ffmpeg stopped reading: its own message says why.
		return m.finish(err)
	}
	return nil
}

func (m *mp4Writer) Close() error {
	if m.done {
		return m.err
	}
	return m.finish(nil)
}

// finish ends ffmpeg's input and waits for it; ffmpeg's failure wins over
// werr, the error that ended the input.
func (m *mp4Writer) finish(werr error) error {
	m.done = true
	m.stdin.Close()
	m.err = werr
	if err := m.cmd.Wait(); err != nil {
		m.err = fmt.Errorf("render: ffmpeg failed: %v: %s", err, strings.TrimSpace(m.stderr.String()))
	}
	return m.err
}
