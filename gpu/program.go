package gpu

import (
	"fmt"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// program is a linked GL program object.
type program uint32

// compileCompute compiles and links one compute shader. Errors carry the
// driver's info log and the name given. It runs on the GL thread.
func compileCompute(name, src string) (program, error) {
	sh := gl.CreateShader(gl.COMPUTE_SHADER)
	if sh == 0 {
		return 0, fmt.Errorf("gpu: glCreateShader failed for %s: GL error 0x%X", name, gl.GetError())
	}
	defer gl.DeleteShader(sh)
	csrc, free := gl.Strs(src + "\x00")
	length := int32(len(src))
	gl.ShaderSource(sh, 1, csrc, &length)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == gl.FALSE {
		return 0, fmt.Errorf("gpu: compiling %s: %s", name, shaderLog(sh))
	}
	p := gl.CreateProgram()
	gl.AttachShader(p, sh)
	gl.LinkProgram(p)
	gl.DetachShader(p, sh)
	gl.GetProgramiv(p, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		log := programLog(p)
		gl.DeleteProgram(p)
		return 0, fmt.Errorf("gpu: linking %s: %s", name, log)
	}
	return program(p), nil
}

func shaderLog(sh uint32) string {
	var n int32
	gl.GetShaderiv(sh, gl.INFO_LOG_LENGTH, &n)
	if n <= 1 {
		return "(no info log)"
	}
	buf := make([]byte, n)
	gl.GetShaderInfoLog(sh, n, nil, &buf[0])
	return strings.TrimSpace(strings.TrimRight(string(buf), "\x00"))
}

func programLog(p uint32) string {
	var n int32
	gl.GetProgramiv(p, gl.INFO_LOG_LENGTH, &n)
	if n <= 1 {
		return "(no info log)"
	}
	buf := make([]byte, n)
	gl.GetProgramInfoLog(p, n, nil, &buf[0])
	return strings.TrimSpace(strings.TrimRight(string(buf), "\x00"))
}

// uniform returns a uniform's location; -1 (unused or optimized away) is
// tolerated by glProgramUniform.
func (p program) uniform(name string) int32 {
	return gl.GetUniformLocation(uint32(p), gl.Str(name+"\x00"))
}

func (p program) release() { gl.DeleteProgram(uint32(p)) }

// CompileShader compiles the named shader source with defines on the GL
// thread and releases it again: a check that a source builds on this driver.
func (c *Context) CompileShader(name, src string) error {
	var err error
	if cerr := c.Call(func() {
		var p program
		p, err = compileCompute(name, src)
		if err == nil {
			p.release()
		}
	}); cerr != nil {
		return cerr
	}
	return err
}
