// The vectorized row kernel, included by kernel.c once per instruction set
// with NAME, ATTR, VBYTES and K defined (a C template).

#define CAT2(a, b) a##_##b
#define CAT(a, b) CAT2(a, b)
#define VEC CAT(vec, NAME)
#define VECD CAT(vecd, NAME)
#define VECU CAT(vecu, NAME)
#define VECI CAT(veci, NAME)
#define VW (VBYTES / 4)

// VEC is VW floats, VECD VW doubles; VECU is VEC at any float address.
typedef float VEC __attribute__((vector_size(VBYTES)));
typedef double VECD __attribute__((vector_size(2 * VBYTES)));
typedef float VECU __attribute__((vector_size(VBYTES), aligned(4), may_alias));
typedef unsigned VECI __attribute__((vector_size(VBYTES)));
#define LD(p) ((VEC)*(const VECU *)(p))
#define EACH for (int j = 0; j < k; j++)
#define WIDE(a) __builtin_convertvector((a), VECD)
#define NARROW(a) __builtin_convertvector((a), VEC)
// MUL multiplies vectors, MULK a vector by a float. In safe mode they
// multiply in double and round once to float: the same bits (the product
// of two floats is exact in double), but no operand or result is subnormal
// as a double, so no microcode assist (~150 cycles per instruction on
// Intel CPUs, measured; conversions between float and double take none).
#define MUL(a, b) (safe ? NARROW(WIDE(a) * WIDE(b)) : (a) * (b))
#define MULK(a, b) (safe ? NARROW(WIDE(a) * (double)(b)) : (a) * (b))
// TINY is all ones in the lanes of a that hold a nonzero number below 2^-34
// in magnitude (unsigned compare of the magnitude's bits, minus one so that
// zero wraps around to the top).
#define TINY(a) ((VECI)((((VECI)(a) & 0x7fffffffu) - 1u) < (GS_TINY_BITS - 1u)))

// block computes k ≤ K vectors of an output row from column c on: the
// operations of row_scalar. Each statement runs over the k vectors (and
// both species) before the next one: the stencil sums are dependency
// chains, and interleaving them keeps the out-of-order core fed. It
// returns TINY of its outputs.
INLINE ATTR VECI CAT(block, NAME)(const float *un, const float *uc, const float *us,
	const float *vn, const float *vc, const float *vs,
	float *ou, float *ov, int c, gs_rates r, const int k, const int safe, const int check)
{
	VEC u[K], v[K], lu[K], lv[K];
	EACH {
		u[j] = LD(uc + c + j * VW);
		v[j] = LD(vc + c + j * VW);
	}
	EACH {
		int o = c + j * VW - 1;
		lu[j] = MULK(LD(un + o) - u[j], 0.25f);
		lv[j] = MULK(LD(vn + o) - v[j], 0.25f);
	}
#define TERM(w, ru, rv, d) EACH { \
		int o = c + j * VW + (d); \
		lu[j] += MULK(LD(ru + o) - u[j], (w)); \
		lv[j] += MULK(LD(rv + o) - v[j], (w)); \
	}
	TERM(0.5f, un, vn, 0)
	TERM(0.25f, un, vn, 1)
	TERM(0.5f, uc, vc, -1)
	TERM(0.5f, uc, vc, 1)
	TERM(0.25f, us, vs, -1)
	TERM(0.5f, us, vs, 0)
	TERM(0.25f, us, vs, 1)
#undef TERM
	VECI t = {0};
	EACH {
		VEC uv2 = MUL(MUL(u[j], v[j]), v[j]);
		VEC u1 = u[j] + MULK(MULK(lu[j], r.du) - uv2 + MULK(1.0f - u[j], r.feed), r.dt);
		VEC v1 = v[j] + MULK(MULK(lv[j], r.dv) + uv2 - MULK(v[j], r.fk), r.dt);
		*(VECU *)(ou + c + j * VW) = u1;
		*(VECU *)(ov + c + j * VW) = v1;
		if (check)
			t |= TINY(u1) | TINY(v1);
	}
	return t;
}

// strip computes columns [c0, c1) of an output row: blocks of K vectors,
// then single vectors, then a last vector that ends at c1 (it recomputes a
// few columns, to the same bits). It returns TINY of what it wrote.
INLINE ATTR VECI CAT(strip, NAME)(const float *un, const float *uc, const float *us,
	const float *vn, const float *vc, const float *vs,
	float *ou, float *ov, int c0, int c1, gs_rates r, const int safe, const int check)
{
	VECI t = {0};
	int c = c0;
	for (; c + K * VW <= c1; c += K * VW)
		t |= CAT(block, NAME)(un, uc, us, vn, vc, vs, ou, ov, c, r, K, safe, check);
	for (; c + VW <= c1; c += VW)
		t |= CAT(block, NAME)(un, uc, us, vn, vc, vs, ou, ov, c, r, 1, safe, check);
	if (c < c1)
		t |= CAT(block, NAME)(un, uc, us, vn, vc, vs, ou, ov, c1 - VW, r, 1, safe, check);
	return t;
}

// row computes one output row, each chunk in the mode safe[c] gives. With
// check set, it goes chunk by chunk and sets tiny[c] to whether chunk c
// holds tiny numbers (or its left neighbour does, where the last vector
// overlaps it); without, it goes run by run of chunks in the same mode.
// (Each strip costs some: with 64-column chunks the kernel measured ~10%
// slower than with 256.) Rows narrower than a vector go column by column.
INLINE ATTR void CAT(row, NAME)(const float *un, const float *uc, const float *us,
	const float *vn, const float *vc, const float *vs, float *ou, float *ov,
	int cols, gs_rates r, const unsigned char *safe, unsigned char *tiny, const int check)
{
	if (cols < VW) {
		int t = row_scalar(un, uc, us, vn, vc, vs, ou, ov, 0, cols, r);
		if (check)
			tiny[0] = t;
		return;
	}
	int chunks = (cols + GS_CHUNK - 1) / GS_CHUNK;
	for (int k = 0, k1; k < chunks; k = k1) {
		for (k1 = k + 1; !check && k1 < chunks && safe[k1] == safe[k]; k1++)
			;
		int c0 = k * GS_CHUNK, c1 = k1 * GS_CHUNK < cols ? k1 * GS_CHUNK : cols;
		VECI t = safe[k] ? CAT(strip, NAME)(un, uc, us, vn, vc, vs, ou, ov, c0, c1, r, 1, check)
			: CAT(strip, NAME)(un, uc, us, vn, vc, vs, ou, ov, c0, c1, r, 0, check);
		if (check) {
			unsigned any = 0;
			for (int j = 0; j < VW; j++)
				any |= t[j];
			tiny[k] = any != 0;
		}
	}
}

ATTR static void CAT(pass, NAME)(wave *w, gs_rates r, int r0, int r1)
{
	pass(w, r, r0, r1, CAT(row, NAME));
}

#undef CAT2
#undef CAT
#undef VEC
#undef VECD
#undef VECU
#undef VECI
#undef TINY
#undef WIDE
#undef NARROW
#undef MUL
#undef MULK
#undef VW
#undef LD
#undef EACH
#undef NAME
#undef ATTR
#undef VBYTES
#undef K
