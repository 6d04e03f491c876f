// One explicit Euler step of Gray-Scott. Each invocation computes a block
// of CELLS_X × CELLS_Y cells (1×1: the naive kernel; 1×8: column; 4×8:
// block), going down the block row by row with the three rows of
// neighbours it needs in registers, so each field value is loaded about
// once per invocation instead of up to nine times. The host prepends
// "#version 430 core" and the defines WG_X, WG_Y (work-group size, in
// invocations), CELLS_X, CELLS_Y, HOIST (1: load every row first; 0: roll
// down, for comparisons) and BOUNDARY (0 zero, 1 periodic, 2 neumann);
// field.glsl says how the fields are laid out.
//
// The arithmetic is sim.Reference's, in its order, and precise (no fused
// multiply-add, no reordering), so every device gives the reference's
// float32 results. The centre term of the sum (weight 0) and the 0 the sum
// starts from are left out: adding +0 changes no value but -0, and a sum of
// -0 gives the same step as +0 (du·lap − uv² + F(1 − u) cannot end in −0).

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

void main() {
    int c0 = int(gl_GlobalInvocationID.x) * CELLS_X;
    int r0 = int(gl_GlobalInvocationID.y) * CELLS_Y;
    // The dispatch rounds the grid up to whole work groups.
    if (c0 >= cols || r0 >= rows) {
        return;
    }
#if HOIST
    // Every row the block reads, loaded before any is used: CELLS_Y + 2
    // independent loads per invocation in flight at once, which a GPU's
    // memory needs to reach its bandwidth (rolling down one row at a time
    // leaves one). Rows past the grid are clamped to the halo row.
    vec2 w[CELLS_Y + 2][CELLS_X + 2];
    for (int y = 0; y < CELLS_Y + 2; y++) {
        int i = at(min(r0 - 1 + y, rows), c0 - 1);
        for (int k = 0; k < CELLS_X + 2; k++) {
            w[y][k] = f_in[i + k];
        }
    }
    for (int y = 0; y < CELLS_Y; y++) {
        int r = r0 + y;
        if (r >= rows) {
            break;
        }
        for (int x = 0; x < CELLS_X; x++) {
            if (c0 + x < cols) {
                put(r, c0 + x, react(w[y + 1][x + 1], w[y][x], w[y][x + 1], w[y][x + 2], w[y + 1][x], w[y + 1][x + 2],
                                     w[y + 2][x], w[y + 2][x + 1], w[y + 2][x + 2]));
            }
        }
    }
#else
    // Three rows of CELLS_X + 2 cells, rolling down: above, the cells', below.
    vec2 a[CELLS_X + 2], b[CELLS_X + 2], d[CELLS_X + 2];
    int i = at(r0 - 1, c0 - 1);
    int s = cols + 2;
    for (int k = 0; k < CELLS_X + 2; k++) {
        a[k] = f_in[i + k];
        b[k] = f_in[i + s + k];
    }
    i += s;
    for (int y = 0; y < CELLS_Y; y++) {
        int r = r0 + y;
        if (r >= rows) {
            break;
        }
        i += s;
        for (int k = 0; k < CELLS_X + 2; k++) {
            d[k] = f_in[i + k];
        }
        for (int x = 0; x < CELLS_X; x++) {
            if (c0 + x < cols) {
                put(r, c0 + x, react(b[x + 1], a[x], a[x + 1], a[x + 2], b[x], b[x + 2], d[x], d[x + 1], d[x + 2]));
            }
        }
        for (int k = 0; k < CELLS_X + 2; k++) {
            a[k] = b[k];
            b[k] = d[k];
        }
    }
#endif
}
