// Paints a disc of the seed state (u=0, v=1) into the current fields: the
// preview window's left mouse button. The host prepends the version and
// WG_X, WG_Y, BOUNDARY; the dispatch covers the disc's bounding box from
// origin. Painted cells on an edge update the halo too (field.glsl).

layout(local_size_x = WG_X, local_size_y = WG_Y) in;

layout(std430, binding = 0) restrict buffer Fields { vec2 f[]; };

uniform int rows;
uniform int cols;
uniform ivec2 origin;   // (col, row) of the bounding box's first cell
uniform vec2 center;    // (col, row) of the disc's centre, in cells
uniform float radius;   // in cells

#define FIELD f
#include "field.glsl"

void main() {
    int col = origin.x + int(gl_GlobalInvocationID.x);
    int row = origin.y + int(gl_GlobalInvocationID.y);
    if (row < 0 || row >= rows || col < 0 || col >= cols) {
        return;
    }
    vec2 d = vec2(col, row) + 0.5 - center;
    if (dot(d, d) > radius * radius) {
        return;
    }
    put(row, col, vec2(0.0, 1.0));
}
