// The C step kernel's interface; see kernel.c.
#ifndef GRAYSCOTT_CPU_KERNEL_H
#define GRAYSCOTT_CPU_KERNEL_H

enum { GS_ZERO, GS_PERIODIC, GS_NEUMANN }; // == sim.Boundary

// Kernel variants; gs_has says which this CPU runs.
enum { GS_BASE, GS_AVX2, GS_AVX512 };

typedef struct {
	long stride;            // floats from one row to the next
	int rows, cols, boundary;
} gs_shape;

typedef struct {
	float du, dv, feed, fk, dt; // fk = F+k, rounded to float32 once
} gs_rates;

int gs_has(int isa);

// Chunks of GS_CHUNK columns near a nonzero number below 2^-34 in magnitude
// (GS_TINY_BITS: "tiny") are computed in a mode that subnormal numbers
// cannot slow down; see kernel.c.
#define GS_TINY_BITS 0x2e800000u
#define GS_CHUNK 256
#define GS_MAX_STEPS 16

// gs_step advances rows [r0, r1) by `steps` (≤ GS_MAX_STEPS) steps in one
// pass: from the source fields su, sv (read only) into du, dv. zero is a
// zeroed row; ring is the band's scratch of 6·(steps−1) rows. sflags[i*n+c]
// (n = chunks per row) says whether chunk c of source row i holds tiny
// numbers, in U or V; the pass sets dflags for the rows it writes. scratch
// is the band's, 2n bytes.
void gs_step(int isa, const float *su, const float *sv, float *du, float *dv,
	const float *zero, float *ring, const unsigned char *sflags, unsigned char *dflags,
	unsigned char *scratch, gs_shape s, gs_rates r, int r0, int r1, int steps);

#endif
