package gpu

import (
	"fmt"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// program is a linked GL program object.
type program uint32

// Stage is one shader of a program: its GL type (gl.COMPUTE_SHADER,
// gl.VERTEX_SHADER, gl.FRAGMENT_SHADER), a name for errors, its source.
type Stage struct {
	Type   uint32
	Name   string
	Source string
}

// compileCompute compiles and links one compute shader. GL thread.
func compileCompute(name, src string) (program, error) {
	p, err := CompileProgram(Stage{gl.COMPUTE_SHADER, name, src})
	return program(p), err
}

// CompileProgram compiles the stages and links them into a program.
// Errors carry the driver's info log and the stage's name. It must run on
// the GL thread (inside Context.Call).
func CompileProgram(stages ...Stage) (uint32, error) {
	var shaders []uint32
	defer func() {
		for _, sh := range shaders {
			gl.DeleteShader(sh)
		}
	}()
	for _, st := range stages {
		sh := gl.CreateShader(st.Type)
		if sh == 0 {
			return 0, fmt.Errorf("gpu: glCreateShader failed for %s: GL error 0x%X", st.Name, gl.GetError())
		}
		shaders = append(shaders, sh)
		csrc, free := gl.Strs(st.Source + "\x00")
		length := int32(len(st.Source))
		gl.ShaderSource(sh, 1, csrc, &length)
		free()
		gl.CompileShader(sh)
		var ok int32
		gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
		if ok == gl.FALSE {
			return 0, fmt.Errorf("gpu: compiling %s: %s", st.Name, shaderLog(sh))
		}
	}
	p := gl.CreateProgram()
	for _, sh := range shaders {
		gl.AttachShader(p, sh)
	}
	gl.LinkProgram(p)
	for _, sh := range shaders {
		gl.DetachShader(p, sh)
	}
	var ok int32
	gl.GetProgramiv(p, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		log := programLog(p)
		gl.DeleteProgram(p)
		return 0, fmt.Errorf("gpu: linking %s: %s", stages[0].Name, log)
	}
	return p, nil
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
	return c.Call(func() error {
		p, err := compileCompute(name, src)
		if err == nil {
			p.release()
		}
		return err
	})
}
