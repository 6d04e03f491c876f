// Package egl makes a headless OpenGL 4.3 core context through EGL. It is
// the only cgo file that talks to libEGL.
//
// Platforms are tried in order: the EGL device platform on each hardware
// device, then on software devices (Mesa's llvmpipe), then Mesa's
// surfaceless platform. The first that yields a context wins; when none
// does, the error lists every attempt and why it failed.
package egl

/*
#cgo LDFLAGS: -lEGL
#include <stdlib.h>
#include <string.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif
#ifndef EGL_CONTEXT_OPENGL_DEBUG
#define EGL_CONTEXT_OPENGL_DEBUG 0x31B0
#endif

static PFNEGLQUERYDEVICESEXTPROC gs_queryDevices;
static PFNEGLQUERYDEVICESTRINGEXTPROC gs_queryDeviceString;
static PFNEGLGETPLATFORMDISPLAYEXTPROC gs_getPlatformDisplay;

static void gs_load(void) {
	gs_queryDevices = (PFNEGLQUERYDEVICESEXTPROC)eglGetProcAddress("eglQueryDevicesEXT");
	gs_queryDeviceString = (PFNEGLQUERYDEVICESTRINGEXTPROC)eglGetProcAddress("eglQueryDeviceStringEXT");
	gs_getPlatformDisplay = (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
}

static int gs_hasDeviceAPI(void) { return gs_queryDevices != NULL && gs_getPlatformDisplay != NULL; }
static int gs_hasPlatformAPI(void) { return gs_getPlatformDisplay != NULL; }

static EGLint gs_queryDevices_(EGLint max, EGLDeviceEXT *devs) {
	EGLint n = 0;
	if (!gs_queryDevices(max, devs, &n)) return -1;
	return n;
}

static const char *gs_deviceString(EGLDeviceEXT dev, EGLint name) {
	if (gs_queryDeviceString == NULL) return NULL;
	return gs_queryDeviceString(dev, name);
}

static EGLDisplay gs_deviceDisplay(EGLDeviceEXT dev) {
	return gs_getPlatformDisplay(EGL_PLATFORM_DEVICE_EXT, dev, NULL);
}

static EGLDisplay gs_surfacelessDisplay(void) {
	return gs_getPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
}

typedef struct {
	EGLContext ctx;
	EGLint err;        // eglGetError() of the failing step, or EGL_SUCCESS
	const char *step;  // name of the failing step
} gs_result;

// gs_makeContext binds desktop GL and creates a 4.3 core context on an
// initialized display, without a config when the display allows it.
static gs_result gs_makeContext(EGLDisplay dpy, int noConfig, int debug) {
	gs_result r = {EGL_NO_CONTEXT, EGL_SUCCESS, NULL};
	if (!eglBindAPI(EGL_OPENGL_API)) {
		r.err = eglGetError(); r.step = "eglBindAPI(EGL_OPENGL_API)"; return r;
	}
	EGLConfig cfg = (EGLConfig)0;
	if (!noConfig) {
		EGLint want[] = {EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_NONE};
		EGLint n = 0;
		if (!eglChooseConfig(dpy, want, &cfg, 1, &n) || n < 1) {
			r.err = eglGetError(); r.step = "eglChooseConfig(PBUFFER, OPENGL)"; return r;
		}
	}
	EGLint attrs[] = {
		EGL_CONTEXT_MAJOR_VERSION, 4,
		EGL_CONTEXT_MINOR_VERSION, 3,
		EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
		EGL_CONTEXT_OPENGL_DEBUG, debug ? EGL_TRUE : EGL_FALSE,
		EGL_NONE,
	};
	r.ctx = eglCreateContext(dpy, cfg, EGL_NO_CONTEXT, attrs);
	if (r.ctx == EGL_NO_CONTEXT) {
		r.err = eglGetError(); r.step = "eglCreateContext(GL 4.3 core)"; return r;
	}
	if (!eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, r.ctx)) {
		r.err = eglGetError(); r.step = "eglMakeCurrent(surfaceless)";
		eglDestroyContext(dpy, r.ctx);
		r.ctx = EGL_NO_CONTEXT;
	}
	return r;
}

#ifndef EGL_DRM_DEVICE_FILE_EXT
#define EGL_DRM_DEVICE_FILE_EXT 0x3233
#endif
static const char *gs_deviceDRM(EGLDeviceEXT dev) { return gs_deviceString(dev, EGL_DRM_DEVICE_FILE_EXT); }

static void gs_release(EGLDisplay dpy, EGLContext ctx) {
	eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
	eglDestroyContext(dpy, ctx);
	eglReleaseThread();
}
*/
import "C"

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"grayscott/gpu/gpuconf"
)

// Context is a current EGL context with no surface.
type Context struct {
	dpy C.EGLDisplay
	ctx C.EGLContext
	// Platform says which route made the context, e.g. "device 0 (hardware)"
	// or "surfaceless".
	Platform string
}

// Options tune context creation.
type Options struct {
	// Debug asks for a debug context (for GL_KHR_debug messages).
	Debug bool
	// Platform restricts the routes tried: "" or "auto" tries all,
	// "device" only the device platform, "surfaceless" only Mesa's.
	Platform string
}

// ErrNoContext is wrapped by the error of New when no route worked.
var ErrNoContext = errors.New("egl: no OpenGL 4.3 context")

// New creates a GL 4.3 core context and makes it current on the calling
// OS thread, which the caller must have locked (runtime.LockOSThread) and
// must keep for every GL call and for Release.
func New(opts Options) (*Context, error) {
	C.gs_load()
	var tried []string
	fail := func(route, why string) { tried = append(tried, route+": "+why) }
	clientExts := C.eglQueryString(C.EGLDisplay(unsafe.Pointer(nil)), C.EGL_EXTENSIONS)
	exts := ""
	if clientExts != nil {
		exts = C.GoString(clientExts)
	}
	platform := opts.Platform
	if err := gpuconf.CheckPlatform(platform); err != nil {
		return nil, fmt.Errorf("egl: unknown platform %q (%v)", platform, err)
	}

	if platform != "surfaceless" {
		if !HasExtension(exts, "EGL_EXT_platform_device") || C.gs_hasDeviceAPI() == 0 {
			fail("device platform", "EGL_EXT_platform_device or eglQueryDevicesEXT not available")
		} else {
			var devs [16]C.EGLDeviceEXT
			n := int(C.gs_queryDevices_(C.EGLint(len(devs)), &devs[0]))
			if n < 0 {
				fail("device platform", "eglQueryDevicesEXT failed: "+errorName(C.eglGetError()))
			} else if n == 0 {
				fail("device platform", "no EGL devices")
			}
			// Hardware devices first, then software ones (Mesa's llvmpipe).
			for _, wantSoftware := range []bool{false, true} {
				for i := 0; i < max(n, 0); i++ {
					devExts := ""
					if s := C.gs_deviceString(devs[i], C.EGL_EXTENSIONS); s != nil {
						devExts = C.GoString(s)
					}
					if HasExtension(devExts, "EGL_MESA_device_software") != wantSoftware {
						continue
					}
					kind := "hardware"
					if wantSoftware {
						kind = "software"
					}
					route := fmt.Sprintf("device %d (%s)", i, kind)
					dpy := C.gs_deviceDisplay(devs[i])
					ctx, why := makeContext(dpy, opts)
					if ctx != nil {
						ctx.Platform = route
						return ctx, nil
					}
					fail(route, why)
				}
			}
		}
	}
	if platform != "device" {
		if !HasExtension(exts, "EGL_MESA_platform_surfaceless") || C.gs_hasPlatformAPI() == 0 {
			fail("surfaceless", "EGL_MESA_platform_surfaceless not available")
		} else {
			ctx, why := makeContext(C.gs_surfacelessDisplay(), opts)
			if ctx != nil {
				ctx.Platform = "surfaceless"
				return ctx, nil
			}
			fail("surfaceless", why)
		}
	}
	return nil, fmt.Errorf("%w; tried %s", ErrNoContext, strings.Join(tried, "; "))
}

func makeContext(dpy C.EGLDisplay, opts Options) (*Context, string) {
	if dpy == 0 { // cgo maps EGLDisplay to uintptr
		return nil, "eglGetPlatformDisplayEXT failed: " + errorName(C.eglGetError())
	}
	var major, minor C.EGLint
	if C.eglInitialize(dpy, &major, &minor) == 0 {
		return nil, "eglInitialize failed: " + errorName(C.eglGetError())
	}
	exts := C.GoString(C.eglQueryString(dpy, C.EGL_EXTENSIONS))
	if !HasExtension(exts, "EGL_KHR_surfaceless_context") {
		return nil, "EGL_KHR_surfaceless_context not supported"
	}
	noConfig := 0
	if HasExtension(exts, "EGL_KHR_no_config_context") {
		noConfig = 1
	}
	debug := 0
	if opts.Debug {
		debug = 1
	}
	r := C.gs_makeContext(dpy, C.int(noConfig), C.int(debug))
	if unsafe.Pointer(r.ctx) == nil {
		return nil, C.GoString(r.step) + " failed: " + errorName(r.err)
	}
	return &Context{dpy: dpy, ctx: r.ctx}, ""
}

// Release unbinds and destroys the context. It must run on the thread that
// called New. The display stays initialized: other contexts in the process
// may share it.
func (c *Context) Release() {
	if c == nil || unsafe.Pointer(c.ctx) == nil {
		return
	}
	C.gs_release(c.dpy, c.ctx)
	c.ctx = nil
}

// Device is one EGL device, as eglQueryDevicesEXT lists it.
type Device struct {
	Index    int
	Software bool   // EGL_MESA_device_software: Mesa's llvmpipe
	DRMFile  string // its DRM node (EGL_EXT_device_drm), or ""
	Vendor   string // EGL_VENDOR of its display, or why it did not initialize
	Version  string // EGL_VERSION of its display
	// Extensions are the device's own extensions.
	Extensions []string
}

// Devices lists the EGL devices in the order New tries them (hardware
// first). It needs EGL_EXT_device_enumeration; without it the list is
// empty and the error says why.
func Devices() ([]Device, error) {
	C.gs_load()
	if C.gs_hasDeviceAPI() == 0 {
		return nil, errors.New("egl: eglQueryDevicesEXT is not available (no EGL_EXT_device_enumeration)")
	}
	var devs [16]C.EGLDeviceEXT
	n := int(C.gs_queryDevices_(C.EGLint(len(devs)), &devs[0]))
	if n < 0 {
		return nil, errors.New("egl: eglQueryDevicesEXT failed: " + errorName(C.eglGetError()))
	}
	var out []Device
	for i := range n {
		d := Device{Index: i}
		if s := C.gs_deviceString(devs[i], C.EGL_EXTENSIONS); s != nil {
			d.Extensions = strings.Fields(C.GoString(s))
		}
		d.Software = HasExtension(strings.Join(d.Extensions, " "), "EGL_MESA_device_software")
		if HasExtension(strings.Join(d.Extensions, " "), "EGL_EXT_device_drm") {
			if s := C.gs_deviceDRM(devs[i]); s != nil {
				d.DRMFile = C.GoString(s)
			}
		}
		dpy := C.gs_deviceDisplay(devs[i])
		var major, minor C.EGLint
		if dpy == 0 || C.eglInitialize(dpy, &major, &minor) == 0 {
			d.Vendor = "(display did not initialize: " + errorName(C.eglGetError()) + ")"
		} else {
			d.Vendor = C.GoString(C.eglQueryString(dpy, C.EGL_VENDOR))
			d.Version = C.GoString(C.eglQueryString(dpy, C.EGL_VERSION))
		}
		out = append(out, d)
	}
	// New tries hardware devices first.
	slices.SortStableFunc(out, func(a, b Device) int {
		if a.Software == b.Software {
			return 0
		}
		if a.Software {
			return 1
		}
		return -1
	})
	return out, nil
}

// GetProcAddress returns the address of a GL or EGL function, or nil.
// It suits gl.InitWithProcAddrFunc.
func GetProcAddress(name string) unsafe.Pointer {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	return unsafe.Pointer(C.eglGetProcAddress(cname))
}

// HasExtension reports whether the space-separated list holds name as a
// whole word (EGL_EXT_device_drm is a prefix of another extension's name).
func HasExtension(list, name string) bool {
	for _, e := range strings.Fields(list) {
		if e == name {
			return true
		}
	}
	return false
}

func errorName(code C.EGLint) string {
	names := map[C.EGLint]string{
		C.EGL_SUCCESS: "EGL_SUCCESS", C.EGL_NOT_INITIALIZED: "EGL_NOT_INITIALIZED",
		C.EGL_BAD_ACCESS: "EGL_BAD_ACCESS", C.EGL_BAD_ALLOC: "EGL_BAD_ALLOC",
		C.EGL_BAD_ATTRIBUTE: "EGL_BAD_ATTRIBUTE", C.EGL_BAD_CONFIG: "EGL_BAD_CONFIG",
		C.EGL_BAD_CONTEXT: "EGL_BAD_CONTEXT", C.EGL_BAD_DISPLAY: "EGL_BAD_DISPLAY",
		C.EGL_BAD_MATCH: "EGL_BAD_MATCH", C.EGL_BAD_PARAMETER: "EGL_BAD_PARAMETER",
	}
	if n, ok := names[code]; ok {
		return fmt.Sprintf("%s (0x%X)", n, int(code))
	}
	return fmt.Sprintf("EGL error 0x%X", int(code))
}
