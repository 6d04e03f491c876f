//go:build cgo

// The step kernel: a band of rows advanced by a few steps in one pass,
// vectorized over columns with gcc's vector extensions, one copy per
// instruction set. Fields are padded: element (r, c) of a field f is
// f[r*stride + c] for c in [-1, cols], where columns -1 and cols are a halo
// that the kernel refreshes after writing each row, so the column loop has
// no edge tests. Rows above and below the grid are chosen per boundary as
// row pointers (a zero row for Zero).
//
// Bit-exactness with sim.Reference: cgo compiles this file with -std=c11,
// which makes gcc's default -ffp-contract=off (no fused multiply-add); no
// -ffast-math, so gcc keeps every operation as written. kernel_cgo_test.go
// checks the object code for FMA instructions.

#include "kernel.h"

#define INLINE static inline __attribute__((always_inline))

// The sums below follow sim.Reference's order with two terms left out,
// which changes no result bit for finite inputs:
//   - the centre term 0*(x-x) is +0 for finite x, and a sum that starts at
//     +0 can never be -0 in round-to-nearest (a+b is -0 only if a and b are
//     both -0), so adding +0 leaves it unchanged;
//   - the initial "0 +": it turns a first term of -0 into +0, so without it
//     the Laplacian differs only when every term is -0, i.e. each neighbour
//     is -0 and the centre x is +0; the Laplacian is then a zero, du (dv) a
//     zero or the same non-zero value, and x' = +0 + zero = +0 either way.
// For non-finite x the reference's x' is NaN, and it is here too (the other
// terms hold x as well); NaN payloads are not promised. TestSignedZeros and
// TestNonFinite check both claims against sim.Reference.

// is_tiny says whether x is a nonzero number below 2^-34 in magnitude.
INLINE int is_tiny(float x)
{
	union { float f; unsigned u; } b = {x};
	return (b.u & 0x7fffffffu) - 1u < GS_TINY_BITS - 1u;
}

// row_scalar computes columns [c0, cols) of one output row from the rows
// north (n), centre (c) and south (s) of it, one column at a time, and
// returns whether they hold tiny numbers. (It has no safe mode: it serves
// rows narrower than a vector.)
INLINE int row_scalar(const float *un, const float *uc, const float *us,
	const float *vn, const float *vc, const float *vs,
	float *ou, float *ov, int c0, int cols, gs_rates r)
{
	int t = 0;
	for (int c = c0; c < cols; c++) {
		float u = uc[c], v = vc[c];
		float lu = 0.25f * (un[c - 1] - u), lv = 0.25f * (vn[c - 1] - v);
		lu += 0.5f * (un[c] - u);      lv += 0.5f * (vn[c] - v);
		lu += 0.25f * (un[c + 1] - u); lv += 0.25f * (vn[c + 1] - v);
		lu += 0.5f * (uc[c - 1] - u);  lv += 0.5f * (vc[c - 1] - v);
		lu += 0.5f * (uc[c + 1] - u);  lv += 0.5f * (vc[c + 1] - v);
		lu += 0.25f * (us[c - 1] - u); lv += 0.25f * (vs[c - 1] - v);
		lu += 0.5f * (us[c] - u);      lv += 0.5f * (vs[c] - v);
		lu += 0.25f * (us[c + 1] - u); lv += 0.25f * (vs[c + 1] - v);
		float uv2 = u * v * v;
		ou[c] = u + (r.du * lu - uv2 + r.feed * (1.0f - u)) * r.dt;
		ov[c] = v + (r.dv * lv + uv2 - r.fk * v) * r.dt;
		t |= is_tiny(ou[c]) | is_tiny(ov[c]);
	}
	return t;
}

// halo refreshes columns -1 and cols of one row.
INLINE void halo(float *f, int cols, int b)
{
	switch (b) {
	case GS_PERIODIC:
		f[-1] = f[cols - 1];
		f[cols] = f[0];
		break;
	case GS_NEUMANN:
		f[-1] = f[0];
		f[cols] = f[cols - 1];
		break;
	default:
		f[-1] = 0;
		f[cols] = 0;
	}
}

// wave holds the rows of a band's steps in flight. Steps fused into one
// pass (temporal blocking) run as a wavefront down the band: level l is
// the state after l of the pass's steps, level 0 the source fields, level
// `steps` the destination. Row i of level l is computed once rows i-1..i+1
// of level l-1 are, so only three rows of each intermediate level are live:
// they rotate in `ring`, a band's private scratch, while the source and
// destination rows stream through memory once per pass instead of once per
// step. Rows beyond the band are recomputed by each band that needs them
// (levels l < steps cover steps-l extra rows each side), so bands never
// wait for each other within a pass.
typedef struct {
	const float *su, *sv, *zero;
	float *du, *dv, *ring;
	const unsigned char *sf; // per chunk of the source rows: whether it holds tiny numbers
	unsigned char *df;       // the same for the destination rows
	unsigned char *any, *safe; // per chunk of the row being computed
	gs_shape s;
	int steps, chunks;
} wave;

enum { ZERO_ROW, SOURCE, DEST, RING };

// where says where row j of level l lives and sets *k to its index there,
// applying the boundary to rows outside the grid: for Periodic j is a row
// of the unrolled torus, distinct in the ring from j±rows.
INLINE int where(const wave *w, int l, int j, int *k)
{
	gs_shape s = w->s;
	if (s.boundary != GS_PERIODIC && (j < 0 || j >= s.rows)) {
		if (s.boundary == GS_ZERO)
			return ZERO_ROW;
		j = j < 0 ? 0 : s.rows - 1;
	}
	if (l == 0) {
		*k = j >= 0 && j < s.rows ? j : (j % s.rows + s.rows) % s.rows;
		return SOURCE;
	}
	*k = l == w->steps ? j : (j % 3 + 3) % 3;
	return l == w->steps ? DEST : RING;
}

// level returns row j of level l for species sp (0 = U, 1 = V).
INLINE float *level(const wave *w, int l, int sp, int j)
{
	int k = 0;
	switch (where(w, l, j, &k)) {
	case ZERO_ROW:
		return (float *)w->zero;
	case SOURCE:
		return (float *)(sp ? w->sv : w->su) + k * w->s.stride;
	case DEST:
		return (sp ? w->dv : w->du) + k * w->s.stride;
	}
	return w->ring + (((l - 1) * 2 + sp) * 3 + k) * w->s.stride;
}

// mark sets w->safe[c] for the chunks of row i of level d that may meet
// tiny numbers: those within d rows and one chunk (≥ d columns) of a source
// chunk that holds some. They spread one row and one column per step.
INLINE void mark(const wave *w, int i, int d)
{
	int n = w->chunks;
	for (int c = 0; c < n; c++)
		w->any[c] = 0;
	for (int j = i - d; j <= i + d; j++) {
		int k = 0;
		if (where(w, 0, j, &k) == SOURCE)
			for (int c = 0; c < n; c++)
				w->any[c] |= w->sf[k * n + c];
	}
	int wrap = w->s.boundary == GS_PERIODIC;
	for (int c = 0; c < n; c++)
		w->safe[c] = w->any[c] | (c > 0 ? w->any[c - 1] : wrap && w->any[n - 1]) |
			(c < n - 1 ? w->any[c + 1] : wrap && w->any[0]);
}

// rows computed at level l of a pass over [r0, r1): the band widened by
// steps-l rows each side, clipped to the grid unless the grid wraps.
INLINE void span(const wave *w, int l, int r0, int r1, int *lo, int *hi)
{
	*lo = r0 - (w->steps - l);
	*hi = r1 + (w->steps - l);
	if (w->s.boundary != GS_PERIODIC) {
		*lo = *lo < 0 ? 0 : *lo;
		*hi = *hi > w->s.rows ? w->s.rows : *hi;
	}
}

typedef void row_fn(const float *un, const float *uc, const float *us,
	const float *vn, const float *vc, const float *vs, float *ou, float *ov,
	int cols, gs_rates r, const unsigned char *safe, unsigned char *tiny, int check);

// pass advances rows [r0, r1) by w->steps steps with the row kernel row.
// A chunk of row i of level l takes row's safe mode when mark says so.
// Only the last level's rows are checked for tiny numbers, for the next
// pass, which saves the check's cost (~8%) on the others: numbers born
// within a pass where there were no tiny ones shrink by about 2^-6 per step
// at the course's rates, so in the four steps that defaultFuse fuses at
// most they stay above 2^-60, where no product of them is subnormal.
// (Longer passes may meet a few subnormal numbers in fast mode: slower,
// never different.)
INLINE void pass(wave *w, gs_rates r, int r0, int r1, row_fn row)
{
	int lo1, hi1;
	span(w, 1, r0, r1, &lo1, &hi1);
	for (int t = lo1; t < hi1 + w->steps - 1; t++)
		for (int l = 1; l <= w->steps; l++) {
			int i = t - (l - 1), lo, hi;
			span(w, l, r0, r1, &lo, &hi);
			if (i < lo || i >= hi)
				continue;
			float *ou = level(w, l, 0, i), *ov = level(w, l, 1, i);
			const float *un = level(w, l - 1, 0, i - 1), *uc = level(w, l - 1, 0, i),
				*us = level(w, l - 1, 0, i + 1), *vn = level(w, l - 1, 1, i - 1),
				*vc = level(w, l - 1, 1, i), *vs = level(w, l - 1, 1, i + 1);
			mark(w, i, l);
			if (l < w->steps)
				row(un, uc, us, vn, vc, vs, ou, ov, w->s.cols, r, w->safe, 0, 0);
			else
				row(un, uc, us, vn, vc, vs, ou, ov, w->s.cols, r, w->safe, w->df + (long)i * w->chunks, 1);
			halo(ou, w->s.cols, w->s.boundary);
			halo(ov, w->s.cols, w->s.boundary);
		}
}

// One copy of the vector code per instruction set, from kernel_body.h:
// NAME, ATTR (the target), VBYTES (vector size) and K (vectors per block).
#define NAME base
#define ATTR
#define VBYTES 16
#define K 2
#include "kernel_body.h"
#if defined(__x86_64__)
#define NAME avx2
#define ATTR __attribute__((target("avx2")))
#define VBYTES 32
#define K 2
#include "kernel_body.h"
#define NAME avx512
#define ATTR __attribute__((target("avx512f")))
#define VBYTES 64
#define K 2
#include "kernel_body.h"
#endif

int gs_has(int isa)
{
	switch (isa) {
	case GS_BASE:
		return 1;
#if defined(__x86_64__)
	case GS_AVX2:
		return __builtin_cpu_supports("avx2");
	case GS_AVX512:
		return __builtin_cpu_supports("avx512f");
#endif
	}
	return 0;
}

void gs_step(int isa, const float *su, const float *sv, float *du, float *dv,
	const float *zero, float *ring, const unsigned char *sflags, unsigned char *dflags,
	unsigned char *scratch, gs_shape s, gs_rates r, int r0, int r1, int steps)
{
	int chunks = (s.cols + GS_CHUNK - 1) / GS_CHUNK;
	wave w = {su, sv, zero, du, dv, ring, sflags, dflags, scratch, scratch + chunks, s, steps, chunks};
	switch (isa) {
#if defined(__x86_64__)
	case GS_AVX512:
		pass_avx512(&w, r, r0, r1);
		return;
	case GS_AVX2:
		pass_avx2(&w, r, r0, r1);
		return;
#endif
	default:
		pass_base(&w, r, r0, r1);
	}
}
