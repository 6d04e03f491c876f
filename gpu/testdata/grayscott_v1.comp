// The step shader as it was before the padded, interleaved layout (commit
// 2c6c345): four float buffers, a neighbour function with edge tests per
// neighbour, weights indexed in a loop. Kept only so BenchmarkShaderHistory
// can compare today's kernels with it in one run.

// One explicit Euler step of Gray-Scott on a rows×cols grid, one invocation
// per cell. The host prepends "#version 430 core" and the defines
// WG_X, WG_Y (work-group size) and BOUNDARY (0 zero, 1 periodic, 2 neumann).
// The operation order matches sim.Reference so results agree to ~1e-6.

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

// Index of (row, col) under the boundary rule, or -1 for "reads as zero".
int neighbour(int row, int col) {
    if (row >= 0 && row < rows && col >= 0 && col < cols) {
        return row * cols + col;
    }
#if BOUNDARY == 1
    row = (row + rows) % rows;
    col = (col + cols) % cols;
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
    int col = int(gl_GlobalInvocationID.x);
    int row = int(gl_GlobalInvocationID.y);
    // The dispatch rounds the grid up to whole work groups.
    if (row >= rows || col >= cols) {
        return;
    }
    int i = row * cols + col;
    float u = u_in[i];
    float v = v_in[i];
    float lap_u = 0.0;
    float lap_v = 0.0;
    for (int dr = -1; dr <= 1; dr++) {
        for (int dc = -1; dc <= 1; dc++) {
            float w = weights[(dr + 1) * 3 + (dc + 1)];
            int j = neighbour(row + dr, col + dc);
            float un = 0.0;
            float vn = 0.0;
            if (j >= 0) {
                un = u_in[j];
                vn = v_in[j];
            }
            lap_u += w * (un - u);
            lap_v += w * (vn - v);
        }
    }
    float uv2 = u * v * v;
    float du_dt = du * lap_u - uv2 + feed * (1.0 - u);
    float dv_dt = dv * lap_v + uv2 - (feed + kill) * v;
    u_out[i] = u + du_dt * dt;
    v_out[i] = v + dv_dt * dt;
}
