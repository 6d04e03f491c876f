// Package gpu runs the Gray-Scott simulation with OpenGL 4.3 compute
// shaders. Every GL call happens on one goroutine locked to its OS thread,
// owned by a Context; exported methods hand their work to that thread and
// block until it is done, so they may be called from any goroutine.
package gpu

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"grayscott/gpu/egl"
)

// Info describes the GL implementation behind a Context. It is recorded in
// every output file.
type Info struct {
	Vendor, Renderer, Version, GLSLVersion string
	// Platform is how the context was made, e.g. "egl device 0 (hardware)".
	Platform string
}

// Software reports whether the GL implementation is a software rasterizer
// running on the CPU (Mesa's llvmpipe, softpipe or swrast, or an EGL device
// marked as software): correct, but far slower than the CPU engine.
func (i Info) Software() bool {
	r := strings.ToLower(i.Renderer)
	for _, name := range []string{"llvmpipe", "softpipe", "swrast", "swiftshader"} {
		if strings.Contains(r, name) {
			return true
		}
	}
	return strings.Contains(i.Platform, "(software)")
}

// Limits are the device limits that shape a dispatch.
type Limits struct {
	MaxWorkGroupInvocations int
	MaxWorkGroupSize        [2]int
	MaxWorkGroupCount       [2]int
	MaxSSBOSize             int64
	// BufferStorage says glBufferStorage is there (GL 4.4 or
	// ARB_buffer_storage): readback buffers can stay mapped.
	BufferStorage bool
}

// Context owns a GL context and the OS thread it is current on.
type Context struct {
	th     *thread
	info   Info
	limits Limits
	// release undoes what made the context; it runs on the GL thread.
	release func()
}

// Options tune headless context creation.
type Options struct {
	// Debug asks for a debug context and logs GL debug messages.
	Debug bool
	// Platform picks the EGL route: "" or "auto", "device", "surfaceless".
	Platform string
}

// ErrReleased is returned by methods called after Release.
var ErrReleased = errors.New("gpu: context released")

// NewHeadless makes an offscreen GL 4.3 core context through EGL (no
// window system needed) and starts its thread. When no route yields a
// context the error lists each platform tried and why it failed.
func NewHeadless(opts Options) (*Context, error) {
	var e *egl.Context
	return NewContext(func() (string, func(), error) {
		var err error
		if e, err = egl.New(egl.Options{Debug: opts.Debug, Platform: opts.Platform}); err != nil {
			return "", nil, fmt.Errorf("gpu: %w", err)
		}
		return "egl " + e.Platform, e.Release, nil
	}, egl.GetProcAddress, opts.Debug)
}

// NewContext starts a GL thread and runs makeCurrent on it: it must make a
// GL 4.3 core context current on the calling thread and return how it did
// (for Info.Platform) and a function that releases it, which runs on the
// same thread at Release. getProcAddress loads the GL functions. A window
// system's context (see gpu/window) is made this way.
func NewContext(makeCurrent func() (platform string, release func(), err error),
	getProcAddress func(string) unsafe.Pointer, debug bool) (*Context, error) {
	c := &Context{}
	th, err := newThread(func() error {
		platform, release, err := makeCurrent()
		if err != nil {
			return err
		}
		if err := c.initGL(platform, getProcAddress, debug); err != nil {
			release()
			return err
		}
		c.release = release
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.th = th
	slog.Debug("gpu: context", "renderer", c.info.Renderer, "version", c.info.Version, "platform", c.info.Platform)
	return c, nil
}

// initGL loads GL entry points for the current context and reads its
// strings and limits. It runs on the GL thread.
func (c *Context) initGL(platform string, getProcAddress func(string) unsafe.Pointer, debug bool) error {
	if err := gl.InitWithProcAddrFunc(getProcAddress); err != nil {
		return fmt.Errorf("gpu: loading GL functions: %w", err)
	}
	c.info = Info{
		Vendor:      glString(gl.VENDOR),
		Renderer:    glString(gl.RENDERER),
		Version:     glString(gl.VERSION),
		GLSLVersion: glString(gl.SHADING_LANGUAGE_VERSION),
		Platform:    platform,
	}
	var major, minor int32
	gl.GetIntegerv(gl.MAJOR_VERSION, &major)
	gl.GetIntegerv(gl.MINOR_VERSION, &minor)
	if major < 4 || (major == 4 && minor < 3) {
		return fmt.Errorf("gpu: OpenGL %d.%d from %q; compute shaders need 4.3", major, minor, c.info.Renderer)
	}
	var v int32
	gl.GetIntegerv(gl.MAX_COMPUTE_WORK_GROUP_INVOCATIONS, &v)
	c.limits.MaxWorkGroupInvocations = int(v)
	for i := range 2 {
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_SIZE, uint32(i), &v)
		c.limits.MaxWorkGroupSize[i] = int(v)
		gl.GetIntegeri_v(gl.MAX_COMPUTE_WORK_GROUP_COUNT, uint32(i), &v)
		c.limits.MaxWorkGroupCount[i] = int(v)
	}
	var ssbo int64
	gl.GetInteger64v(gl.MAX_SHADER_STORAGE_BLOCK_SIZE, &ssbo)
	c.limits.MaxSSBOSize = ssbo
	c.limits.BufferStorage = major > 4 || minor >= 4 || hasExtension("GL_ARB_buffer_storage")
	if debug {
		enableDebugOutput()
	}
	return nil
}

func hasExtension(name string) bool {
	var n int32
	gl.GetIntegerv(gl.NUM_EXTENSIONS, &n)
	for i := range uint32(n) {
		if gl.GoStr(gl.GetStringi(gl.EXTENSIONS, i)) == name {
			return true
		}
	}
	return false
}

func glString(name uint32) string {
	p := gl.GetString(name)
	if p == nil {
		return ""
	}
	return gl.GoStr(p)
}

// Info returns the GL strings and how the context was made.
func (c *Context) Info() Info { return c.info }

// Limits returns the device limits read at creation.
func (c *Context) Limits() Limits { return c.limits }

// Call runs f on the GL thread, blocks until f returns and returns f's
// error. f must not call methods of c or of objects made from it (they
// would deadlock). Calls from several goroutines are serialized. It
// returns ErrReleased after Release.
func (c *Context) Call(f func() error) error {
	if c.th == nil {
		return ErrReleased
	}
	var err error
	c.th.call(func() { err = f() })
	return err
}

// Release destroys the context and ends its thread. Objects made from the
// context must be released first. Release is idempotent; it must not run
// concurrently with other methods.
func (c *Context) Release() {
	if c.th == nil {
		return
	}
	c.th.stop(func() {
		if c.release != nil {
			c.release()
		}
	})
	c.th = nil
}

// enableDebugOutput logs the driver's debug messages through slog.
func enableDebugOutput() {
	gl.Enable(gl.DEBUG_OUTPUT_SYNCHRONOUS)
	gl.DebugMessageCallback(func(source, gltype, id, severity uint32, length int32, message string, userParam unsafe.Pointer) {
		slog.Debug("gl: "+message, "type", gltype, "id", id, "severity", severity)
	}, nil)
}
