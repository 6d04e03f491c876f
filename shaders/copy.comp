// Copies a buffer of vec4s: the device's memory bandwidth, the limit the
// stencil is measured against (grayscott bench). 256 invocations per work
// group; the dispatch may be two-dimensional for large buffers.

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer Src { vec4 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { vec4 dst[]; };

uniform uint n;

void main() {
    uint i = gl_GlobalInvocationID.y * gl_NumWorkGroups.x * 256u + gl_GlobalInvocationID.x;
    if (i < n) {
        dst[i] = src[i];
    }
}
