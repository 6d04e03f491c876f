// The Gray-Scott step of grayscott.comp with the work group's cells and a
// one-cell halo staged in shared memory: each field value is read from
// global memory once per work group instead of up to nine times. The
// arithmetic and its order are those of grayscott.comp, so results agree.
// The host prepends the version and WG_X, WG_Y, BOUNDARY.

layout(local_size_x = WG_X, local_size_y = WG_Y) in;

layout(std430, binding = 0) readonly buffer UIn { float u_in[]; };
layout(std430, binding = 1) readonly buffer VIn { float v_in[]; };
layout(std430, binding = 2) writeonly buffer UOut { float u_out[]; };
layout(std430, binding = 3) writeonly buffer VOut { float v_out[]; };

uniform int rows;
uniform int cols;
uniform float feed;
uniform float kill;
uniform float dt;
uniform float du;
uniform float dv;

const float weights[9] = float[9](0.25, 0.5, 0.25, 0.5, 0.0, 0.5, 0.25, 0.5, 0.25);

shared float tile_u[WG_Y + 2][WG_X + 2];
shared float tile_v[WG_Y + 2][WG_X + 2];

int neighbour(int row, int col) {
    if (row >= 0 && row < rows && col >= 0 && col < cols) {
        return row * cols + col;
    }
#if BOUNDARY == 1
    // The tile reaches up to a work group past the grid; GLSL leaves % of
    // negative numbers undefined, so shift to non-negative first.
    row = (row + rows * (1 + WG_Y / rows)) % rows;
    col = (col + cols * (1 + WG_X / cols)) % cols;
    return row * cols + col;
#elif BOUNDARY == 2
    row = clamp(row, 0, rows - 1);
    col = clamp(col, 0, cols - 1);
    return row * cols + col;
#else
    return -1;
#endif
}

void main() {
    int row0 = int(gl_WorkGroupID.y) * WG_Y - 1;
    int col0 = int(gl_WorkGroupID.x) * WG_X - 1;
    // Every invocation loads a share of the (WG_Y+2)×(WG_X+2) tile.
    for (int i = int(gl_LocalInvocationIndex); i < (WG_X + 2) * (WG_Y + 2); i += WG_X * WG_Y) {
        int ly = i / (WG_X + 2);
        int lx = i % (WG_X + 2);
        int j = neighbour(row0 + ly, col0 + lx);
        tile_u[ly][lx] = j >= 0 ? u_in[j] : 0.0;
        tile_v[ly][lx] = j >= 0 ? v_in[j] : 0.0;
    }
    barrier();
    int lx = int(gl_LocalInvocationID.x) + 1;
    int ly = int(gl_LocalInvocationID.y) + 1;
    int row = row0 + ly;
    int col = col0 + lx;
    if (row >= rows || col >= cols) {
        return;
    }
    float u = tile_u[ly][lx];
    float v = tile_v[ly][lx];
    float lap_u = 0.0;
    float lap_v = 0.0;
    for (int dr = -1; dr <= 1; dr++) {
        for (int dc = -1; dc <= 1; dc++) {
            float w = weights[(dr + 1) * 3 + (dc + 1)];
            lap_u += w * (tile_u[ly + dr][lx + dc] - u);
            lap_v += w * (tile_v[ly + dr][lx + dc] - v);
        }
    }
    float uv2 = u * v * v;
    float du_dt = du * lap_u - uv2 + feed * (1.0 - u);
    float dv_dt = dv * lap_v + uv2 - (feed + kill) * v;
    int i = row * cols + col;
    u_out[i] = u + du_dt * dt;
    v_out[i] = v + dv_dt * dt;
}
