// The Gray-Scott step of grayscott.comp (CELLS 1) with the work group's
// cells and their one-cell rim staged in shared memory: each field value
// is read from global memory once per work group instead of up to nine
// times. The host prepends the version and WG_X, WG_Y, BOUNDARY; the
// layout is field.glsl's, the arithmetic react.glsl's.

layout(local_size_x = WG_X, local_size_y = WG_Y) in;

layout(std430, binding = 0) restrict readonly buffer In { vec2 f_in[]; };
layout(std430, binding = 1) restrict writeonly buffer Out { vec2 f_out[]; };

uniform int rows;
uniform int cols;
uniform float feed;
uniform float kill;
uniform float dt;
uniform float du;
uniform float dv;

#define FIELD f_out
#include "field.glsl"
#include "react.glsl"

shared vec2 tile[WG_Y + 2][WG_X + 2];

void main() {
    int r0 = int(gl_WorkGroupID.y) * WG_Y - 1;
    int c0 = int(gl_WorkGroupID.x) * WG_X - 1;
    // Every invocation loads a share of the (WG_Y+2)×(WG_X+2) tile; the
    // halo makes rows −1 and `rows`, columns −1 and `cols` readable.
    for (int i = int(gl_LocalInvocationIndex); i < (WG_X + 2) * (WG_Y + 2); i += WG_X * WG_Y) {
        int ty = i / (WG_X + 2);
        int tx = i % (WG_X + 2);
        int r = min(r0 + ty, rows);
        int c = min(c0 + tx, cols);
        tile[ty][tx] = f_in[at(r, c)];
    }
    barrier();
    int tx = int(gl_LocalInvocationID.x) + 1;
    int ty = int(gl_LocalInvocationID.y) + 1;
    int r = r0 + ty;
    int c = c0 + tx;
    if (r >= rows || c >= cols) {
        return;
    }
    put(r, c, react(tile[ty][tx], tile[ty - 1][tx - 1], tile[ty - 1][tx], tile[ty - 1][tx + 1],
        tile[ty][tx - 1], tile[ty][tx + 1], tile[ty + 1][tx - 1], tile[ty + 1][tx], tile[ty + 1][tx + 1]));
}
