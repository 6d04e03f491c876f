// Packs the current fields into a readback buffer: V as rows×cols floats,
// row-major, then (with_u) U likewise. The readback ring copies an image
// this way, on the GPU, before the host reads it. The host prepends the
// version and BOUNDARY (for field.glsl; unused here).

layout(local_size_x = 16, local_size_y = 16) in;

layout(std430, binding = 0) restrict readonly buffer Fields { vec2 f[]; };
layout(std430, binding = 1) restrict writeonly buffer Out { float o[]; };

uniform int rows;
uniform int cols;
uniform bool with_u;

#include "field.glsl"

void main() {
    int c = int(gl_GlobalInvocationID.x);
    int r = int(gl_GlobalInvocationID.y);
    if (r >= rows || c >= cols) {
        return;
    }
    vec2 x = f[at(r, c)];
    int i = r * cols + c;
    o[i] = x.y;
    if (with_u) {
        o[rows * cols + i] = x.x;
    }
}
