// Package window shows the simulation live in a GLFW window whose OpenGL
// 4.3 core context also runs the compute shaders: the field is drawn
// straight from the simulation's storage buffer through a colormap, with no
// readback. It is the only importer of go-gl/glfw (which links X11); build
// the command with -tags nowindow to leave it out.
//
// Input callbacks only record what was asked (see Actions); the driver
// applies it between frames, so no callback makes GL or simulator calls.
package window

import (
	"errors"
	"fmt"
	"image"
	"math"
	"os"

	"github.com/go-gl/gl/v4.3-core/gl"
	"github.com/go-gl/glfw/v3.3/glfw"

	"grayscott/colormap"
	"grayscott/gpu"
	"grayscott/shaders"
)

// ErrNoDisplay is returned by Open where there is no display to open a window on.
var ErrNoDisplay = errors.New("window: no display (DISPLAY and WAYLAND_DISPLAY are unset); run without --window, or under xvfb-run")

// Options shape a window.
type Options struct {
	Title    string
	Colormap string     // colormap.Default when empty
	VRange   [2]float32 // values of V mapped onto the colormap ({0, 0.5} when zero)
	URange   [2]float32 // values of U mapped onto the colormap ({0, 1} when zero)
	VSync    bool       // swap at the display's refresh rate
	Debug    bool       // a debug GL context
}

// Actions are what the user asked for since the last Poll.
type Actions struct {
	Quit        bool
	Reset       bool
	NextPreset  bool
	Screenshot  bool         // s: save the next drawn frame
	StepsFactor float64      // multiply the steps per draw by this (+ doubles, − halves); 1: unchanged
	Paints      [][2]float32 // grid positions (row, col) painted with the left button
}

// Window is an open window and its GL context.
type Window struct {
	ctx        *gpu.Context
	win        *glfw.Window
	rows, cols int
	opts       Options

	prog, vao, lut uint32
	hostU, hostV   uint32 // buffers for fields computed on the CPU (Upload); 0 until used
	loc            struct{ rows, cols, viewport, lo, hi, lut, origin, rowStride, cellStride int32 }

	paused  bool
	showU   bool
	cmapIdx int
	cmaps   []string

	pending  Actions
	painting bool
	cursor   [2]float64
}

// Open opens a window sized for a rows×cols grid (each cell an integer
// number of pixels when the grid is small enough) and makes a GL 4.3 core
// context in it. The context's thread owns the window and handles its events.
func Open(rows, cols int, opts Options) (*Window, error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		// go-gl/glfw's Init only logs this, and the next call panics.
		return nil, ErrNoDisplay
	}
	if opts.Colormap == "" {
		opts.Colormap = colormap.Default
	}
	if opts.VRange == ([2]float32{}) {
		opts.VRange = [2]float32{0, 0.5}
	}
	if opts.URange == ([2]float32{}) {
		opts.URange = [2]float32{0, 1}
	}
	w := &Window{rows: rows, cols: cols, opts: opts, cmaps: colormap.Names(), pending: Actions{StepsFactor: 1}}
	for i, n := range w.cmaps {
		if n == opts.Colormap {
			w.cmapIdx = i
		}
	}
	if _, err := colormap.Lookup(opts.Colormap); err != nil {
		return nil, err
	}
	width, height := initialSize(rows, cols)
	ctx, err := gpu.NewContext(func() (string, func(), error) {
		if err := glfw.Init(); err != nil {
			return "", nil, fmt.Errorf("window: GLFW: %w", err)
		}
		glfw.WindowHint(glfw.ContextVersionMajor, 4)
		glfw.WindowHint(glfw.ContextVersionMinor, 3)
		glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
		glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
		glfw.WindowHint(glfw.Resizable, glfw.True)
		if opts.Debug {
			glfw.WindowHint(glfw.OpenGLDebugContext, glfw.True)
		}
		win, err := glfw.CreateWindow(width, height, opts.Title, nil, nil)
		if err != nil {
			glfw.Terminate()
			return "", nil, fmt.Errorf("window: opening a %d×%d window with GL 4.3 core: %w", width, height, err)
		}
		win.MakeContextCurrent()
		if opts.VSync {
			glfw.SwapInterval(1)
		} else {
			glfw.SwapInterval(0)
		}
		win.SetKeyCallback(func(_ *glfw.Window, key glfw.Key, _ int, action glfw.Action, _ glfw.ModifierKey) {
			w.Key(key, action)
		})
		win.SetMouseButtonCallback(func(_ *glfw.Window, b glfw.MouseButton, action glfw.Action, _ glfw.ModifierKey) {
			w.MouseButton(b, action)
		})
		win.SetCursorPosCallback(func(_ *glfw.Window, x, y float64) { w.CursorPos(x, y) })
		w.win = win
		return "glfw window", func() { win.Destroy(); glfw.Terminate() }, nil
	}, glfw.GetProcAddress, opts.Debug)
	if err != nil {
		return nil, err
	}
	w.ctx = ctx
	if err := ctx.Call(w.build); err != nil {
		ctx.Release()
		return nil, err
	}
	return w, nil
}

// initialSize gives each cell the largest integer number of pixels that
// keeps the window within 1024×768, or shrinks a large grid to fit 1280×800.
func initialSize(rows, cols int) (int, int) {
	if s := min(1024/cols, 768/rows); s >= 1 {
		return cols * s, rows * s
	}
	f := math.Min(1280/float64(cols), 800/float64(rows))
	return max(1, int(float64(cols)*f)), max(1, int(float64(rows)*f))
}

// build compiles the view program and makes the colormap texture. GL thread.
func (w *Window) build() error {
	vs, err := shaders.Source(shaders.ViewVert)
	if err != nil {
		return err
	}
	fs, err := shaders.Source(shaders.ViewFrag)
	if err != nil {
		return err
	}
	if w.prog, err = gpu.CompileProgram(gpu.Stage{Type: gl.VERTEX_SHADER, Name: shaders.ViewVert, Source: vs},
		gpu.Stage{Type: gl.FRAGMENT_SHADER, Name: shaders.ViewFrag, Source: fs}); err != nil {
		return err
	}
	for _, u := range []struct {
		dst  *int32
		name string
	}{{&w.loc.rows, "rows"}, {&w.loc.cols, "cols"}, {&w.loc.viewport, "viewport"}, {&w.loc.lo, "lo"}, {&w.loc.hi, "hi"}, {&w.loc.lut, "lut"},
		{&w.loc.origin, "origin"}, {&w.loc.rowStride, "row_stride"}, {&w.loc.cellStride, "cell_stride"}} {
		*u.dst = gl.GetUniformLocation(w.prog, gl.Str(u.name+"\x00"))
	}
	gl.GenVertexArrays(1, &w.vao) // core profile draws need one, even without attributes
	gl.GenTextures(1, &w.lut)
	gl.BindTexture(gl.TEXTURE_1D, w.lut)
	gl.TexParameteri(gl.TEXTURE_1D, gl.TEXTURE_MIN_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_1D, gl.TEXTURE_MAG_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_1D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
	return w.loadColormap()
}

// loadColormap uploads the current colormap into the 1D texture. GL thread.
func (w *Window) loadColormap() error {
	m, err := colormap.Lookup(w.cmaps[w.cmapIdx])
	if err != nil {
		return err
	}
	var texels [256 * 4]uint8
	for i, c := range m.Table() {
		copy(texels[4*i:], []uint8{c[0], c[1], c[2], 255})
	}
	gl.BindTexture(gl.TEXTURE_1D, w.lut)
	gl.TexImage1D(gl.TEXTURE_1D, 0, gl.RGBA8, 256, 0, gl.RGBA, gl.UNSIGNED_BYTE, gl.Ptr(&texels[0]))
	if e := gl.GetError(); e != gl.NO_ERROR {
		return fmt.Errorf("window: uploading colormap %s: GL error 0x%X", m.Name(), e)
	}
	return nil
}

// Context returns the window's GL context, on which the simulator must be made.
func (w *Window) Context() *gpu.Context { return w.ctx }

// Paused reports whether space paused the simulation.
func (w *Window) Paused() bool { return w.paused }

// Colormap returns the name of the colormap shown.
func (w *Window) Colormap() string { return w.cmaps[w.cmapIdx] }

// Key handles a key as GLFW reports it (tests call it to inject keys).
func (w *Window) Key(key glfw.Key, action glfw.Action) {
	if action != glfw.Press && action != glfw.Repeat {
		return
	}
	switch key {
	case glfw.KeySpace:
		if action == glfw.Press {
			w.paused = !w.paused
		}
	case glfw.KeyEscape, glfw.KeyQ:
		w.pending.Quit = true
	case glfw.KeyEqual, glfw.KeyKPAdd: // '+' shares its key with '='
		w.pending.StepsFactor *= 2
	case glfw.KeyMinus, glfw.KeyKPSubtract:
		w.pending.StepsFactor /= 2
	case glfw.KeyR:
		w.pending.Reset = true
	case glfw.KeyP:
		w.pending.NextPreset = true
	case glfw.KeyC:
		w.cmapIdx = (w.cmapIdx + 1) % len(w.cmaps)
	case glfw.KeyS:
		w.pending.Screenshot = true
	case glfw.KeyU:
		w.showU = !w.showU
	}
}

// MouseButton handles a mouse button: the left one paints while held.
func (w *Window) MouseButton(b glfw.MouseButton, action glfw.Action) {
	if b != glfw.MouseButtonLeft {
		return
	}
	w.painting = action == glfw.Press
	if w.painting {
		w.paintAt(w.cursor[0], w.cursor[1])
	}
}

// CursorPos handles the cursor moving to (x, y) in window coordinates.
func (w *Window) CursorPos(x, y float64) {
	w.cursor = [2]float64{x, y}
	if w.painting {
		w.paintAt(x, y)
	}
}

// paintAt records a paint at window position (x, y), if it is on the grid.
func (w *Window) paintAt(x, y float64) {
	ww, wh := w.windowSize()
	vx, vy, vw, vh := fit(ww, wh, w.rows, w.cols)
	col := (x - float64(vx)) / float64(vw) * float64(w.cols)
	row := (y - float64(vy)) / float64(vh) * float64(w.rows) // window y runs down, as rows do
	if col >= 0 && row >= 0 && col < float64(w.cols) && row < float64(w.rows) {
		w.pending.Paints = append(w.pending.Paints, [2]float32{float32(row), float32(col)})
	}
}

func (w *Window) windowSize() (int, int) {
	var ww, wh int
	if w.win != nil {
		ww, wh = w.win.GetSize()
	}
	return ww, wh
}

// fit letterboxes a rows×cols grid in a width×height area, keeping its
// aspect ratio: the drawn rectangle's origin (from the top left) and size.
func fit(width, height, rows, cols int) (x, y, w, h int) {
	s := math.Min(float64(width)/float64(cols), float64(height)/float64(rows))
	w, h = max(1, int(s*float64(cols))), max(1, int(s*float64(rows)))
	return (width - w) / 2, (height - h) / 2, w, h
}

// Poll handles the window's events and returns what was asked since the
// last Poll. Closing the window asks to quit.
func (w *Window) Poll() Actions {
	w.ctx.Call(func() error {
		glfw.PollEvents()
		if w.win.ShouldClose() {
			w.pending.Quit = true
		}
		return nil
	})
	return w.TakeActions()
}

// TakeActions returns and clears the actions recorded so far (Poll calls
// it; tests call it after injecting input).
func (w *Window) TakeActions() Actions {
	a := w.pending
	w.pending = Actions{StepsFactor: 1}
	return a
}

// SetTitle sets the window's title.
func (w *Window) SetTitle(title string) {
	w.ctx.Call(func() error { w.win.SetTitle(title); return nil })
}

// Fields say where Draw reads U and V: the GPU simulator's own buffer
// (*gpu.Simulator), or the window's copy of fields computed on the CPU
// (Upload). CurrentField is called on the GL thread.
type Fields interface {
	CurrentField(u bool) gpu.FieldView
}

// ShowsU reports whether U is shown (after the u key) rather than V.
func (w *Window) ShowsU() bool { return w.showU }

// hostFields are the window's own buffers, filled by Upload: plain
// rows×cols arrays.
type hostFields struct{ u, v, cols uint32 }

func (h hostFields) CurrentField(u bool) gpu.FieldView {
	b := h.v
	if u {
		b = h.u
	}
	return gpu.FieldView{Buffer: b, RowStride: int(h.cols), CellStride: 1}
}

// Upload copies fields computed on the CPU (rows·cols floats, row-major)
// into the window's own buffers and returns them for Draw: u or v may be
// nil when that field is not shown. The slices are not retained.
func (w *Window) Upload(u, v []float32) (Fields, error) {
	n := w.rows * w.cols
	if (u != nil && len(u) != n) || (v != nil && len(v) != n) {
		return nil, fmt.Errorf("window: uploading %d and %d floats to a %d×%d view", len(u), len(v), w.rows, w.cols)
	}
	err := w.ctx.Call(func() error {
		if w.hostU == 0 {
			for _, b := range []*uint32{&w.hostU, &w.hostV} {
				gl.GenBuffers(1, b)
				gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, *b)
				gl.BufferData(gl.SHADER_STORAGE_BUFFER, 4*n, nil, gl.STREAM_DRAW)
			}
		}
		for _, f := range []struct {
			buf  uint32
			data []float32
		}{{w.hostU, u}, {w.hostV, v}} {
			if f.data != nil {
				gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, f.buf)
				gl.BufferSubData(gl.SHADER_STORAGE_BUFFER, 0, 4*n, gl.Ptr(&f.data[0]))
			}
		}
		gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
		if e := gl.GetError(); e != gl.NO_ERROR {
			return fmt.Errorf("window: uploading the fields: GL error 0x%X", e)
		}
		return nil
	})
	return hostFields{w.hostU, w.hostV, uint32(w.cols)}, err
}

// Draw shows the current V of f (or U, after the u key) and, when shot is
// true, returns the drawn frame as an image. The colormap follows the c key.
func (w *Window) Draw(f Fields, shot bool) (*image.RGBA, error) {
	var img *image.RGBA
	err := w.ctx.Call(func() error {
		if w.cmaps[w.cmapIdx] != w.opts.Colormap {
			w.opts.Colormap = w.cmaps[w.cmapIdx]
			if err := w.loadColormap(); err != nil {
				return err
			}
		}
		fbw, fbh := w.win.GetFramebufferSize()
		field, rng := f.CurrentField(w.showU), w.opts.VRange
		if w.showU {
			rng = w.opts.URange
		}
		// Compute-shader writes must be visible to the fragment shader.
		gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
		gl.Viewport(0, 0, int32(fbw), int32(fbh))
		gl.ClearColor(0, 0, 0, 1)
		gl.Clear(gl.COLOR_BUFFER_BIT)
		x, y, vw, vh := fit(fbw, fbh, w.rows, w.cols)
		gl.UseProgram(w.prog)
		gl.Uniform1i(w.loc.rows, int32(w.rows))
		gl.Uniform1i(w.loc.cols, int32(w.cols))
		gl.Uniform1i(w.loc.origin, int32(field.Origin))
		gl.Uniform1i(w.loc.rowStride, int32(field.RowStride))
		gl.Uniform1i(w.loc.cellStride, int32(field.CellStride))
		// GL's y runs up: the letterbox's bottom edge.
		gl.Uniform4f(w.loc.viewport, float32(x), float32(fbh-y-vh), float32(vw), float32(vh))
		gl.Uniform1f(w.loc.lo, rng[0])
		gl.Uniform1f(w.loc.hi, rng[1])
		gl.ActiveTexture(gl.TEXTURE0)
		gl.BindTexture(gl.TEXTURE_1D, w.lut)
		gl.Uniform1i(w.loc.lut, 0)
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, 0, field.Buffer)
		gl.BindVertexArray(w.vao)
		gl.DrawArrays(gl.TRIANGLES, 0, 3)
		if shot {
			img = readPixels(fbw, fbh)
		}
		w.win.SwapBuffers()
		if e := gl.GetError(); e != gl.NO_ERROR {
			return fmt.Errorf("window: drawing: GL error 0x%X", e)
		}
		return nil
	})
	return img, err
}

// readPixels reads the back buffer, top row first. GL thread.
func readPixels(width, height int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	gl.PixelStorei(gl.PACK_ALIGNMENT, 1)
	gl.ReadBuffer(gl.BACK)
	gl.ReadPixels(0, 0, int32(width), int32(height), gl.RGBA, gl.UNSIGNED_BYTE, gl.Ptr(&img.Pix[0]))
	// GL's rows run bottom-up; images run top-down.
	row := make([]byte, img.Stride)
	for y := range height / 2 {
		a, b := img.Pix[y*img.Stride:(y+1)*img.Stride], img.Pix[(height-1-y)*img.Stride:(height-y)*img.Stride]
		copy(row, a)
		copy(a, b)
		copy(b, row)
	}
	return img
}

// Close releases the GL objects, the window and the context. Objects made
// on the context (the simulator) must be released first.
func (w *Window) Close() {
	if w.ctx == nil {
		return
	}
	w.ctx.Call(func() error {
		gl.DeleteProgram(w.prog)
		gl.DeleteVertexArrays(1, &w.vao)
		gl.DeleteTextures(1, &w.lut)
		if w.hostU != 0 {
			gl.DeleteBuffers(1, &w.hostU)
			gl.DeleteBuffers(1, &w.hostV)
		}
		return nil
	})
	w.ctx.Release()
	w.ctx = nil
}
