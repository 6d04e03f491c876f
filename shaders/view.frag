// Colours one field straight from the simulation's storage buffer through a
// 256-entry colormap: no readback. The mapping matches colormap.Index in Go:
// t = (value − lo)/(hi − lo), entry floor(256·t) clamped to 0..255, NaN → 0.
// Row 0 of the grid is drawn at the top.

layout(std430, binding = 0) readonly buffer Field { float field[]; };

uniform int rows;
uniform int cols;
// Cell (r, c) is field[origin + r·row_stride + c·cell_stride]: the GPU
// simulator's padded, interleaved fields, or a plain copy.
uniform int origin;
uniform int row_stride;
uniform int cell_stride;
uniform vec4 viewport;   // x, y, width, height of the drawn grid, in pixels
uniform float lo;
uniform float hi;
uniform sampler1D lut;

out vec4 color;

void main() {
    vec2 p = (gl_FragCoord.xy - viewport.xy) / viewport.zw;
    if (p.x < 0.0 || p.y < 0.0 || p.x >= 1.0 || p.y >= 1.0) {
        color = vec4(0.0, 0.0, 0.0, 1.0);
        return;
    }
    int col = min(int(p.x * float(cols)), cols - 1);
    int row = min(int((1.0 - p.y) * float(rows)), rows - 1);
    float t = (field[origin + row * row_stride + col * cell_stride] - lo) / (hi - lo);
    int idx = 0;
    if (t > 0.0) {
        idx = t >= 1.0 ? 255 : min(int(floor(t * 256.0)), 255);
    }
    color = vec4(texelFetch(lut, idx, 0).rgb, 1.0);
}
