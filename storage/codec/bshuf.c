// One block of a bitshuffle chunk: mantissa rounding, bitshuffle's bit
// transpose for 4-byte elements and LZ4, each in plain C and with AVX2
// (chosen at run time; both give the same bytes). LZ4 is the system's
// liblz4, the library Debian's bitshuffle plugin links too: our
// LZ4_compress_default is the plugin's LZ4_compress, so with the same
// liblz4 our blocks are byte for byte the plugin's.

#include "bshuf.h"

#include <lz4.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CODEC_X86 1
#endif

int codec_has(int isa) {
	switch (isa) {
	case CODEC_SCALAR:
		return 1;
#ifdef CODEC_X86
	case CODEC_AVX2:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx2");
#endif
	}
	return 0;
}

// trans8x8 transposes the 8×8 bit matrix whose row r is byte r of x: bit c
// of byte r becomes bit r of byte c.
static inline uint64_t trans8x8(uint64_t x) {
	uint64_t t;
	t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
	x ^= t ^ (t << 7);
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
	x ^= t ^ (t << 14);
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
	x ^= t ^ (t << 28);
	return x;
}

// The scalar transposes handle 8-element groups [q0, n/8): the whole block,
// or what the vector loop leaves. Byte j of 8 elements is one 8×8 bit
// matrix, whose transposed rows are rows 8j..8j+7 of the output.
static void trans_scalar(const uint8_t *src, uint8_t *dst, size_t n, size_t q0) {
	size_t row = n / 8;
	for (size_t q = q0; q < row; q++) {
		const uint8_t *g = src + 32 * q;
		for (int j = 0; j < 4; j++) {
			uint64_t x = 0;
			for (int m = 0; m < 8; m++) x |= (uint64_t)g[4 * m + j] << (8 * m);
			x = trans8x8(x);
			for (int k = 0; k < 8; k++) dst[(8 * j + k) * row + q] = (uint8_t)(x >> (8 * k));
		}
	}
}

static void untrans_scalar(const uint8_t *src, uint8_t *dst, size_t n, size_t q0) {
	size_t row = n / 8;
	for (size_t q = q0; q < row; q++) {
		uint8_t *g = dst + 32 * q;
		for (int j = 0; j < 4; j++) {
			uint64_t x = 0;
			for (int k = 0; k < 8; k++) x |= (uint64_t)src[(8 * j + k) * row + q] << (8 * k);
			x = trans8x8(x);
			for (int m = 0; m < 8; m++) g[4 * m + j] = (uint8_t)(x >> (8 * m));
		}
	}
}

#ifdef CODEC_X86
// 32 elements per step: their bytes regrouped into one vector per byte of
// the element (in element order), then movemask takes the top bit of all
// 32 bytes at once, 4 bytes of one row; a shift brings up the next bit.
__attribute__((target("avx2"))) static void trans_avx2(const uint8_t *src, uint8_t *dst, size_t n) {
	size_t row = n / 8;
	const __m256i by_byte = _mm256_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
	                                         0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	size_t e;
	for (e = 0; e + 32 <= n; e += 32) {
		const __m128i *p = (const __m128i *)(src + 4 * e);
		// Vector v holds elements 4v..4v+3 in its low lane and 16+4v..19+4v
		// in its high lane, so that the transposes below leave elements
		// 0..15 in the low lane and 16..31 in the high one.
		__m256i s[4];
		for (int v = 0; v < 4; v++)
			s[v] = _mm256_shuffle_epi8(_mm256_setr_m128i(_mm_loadu_si128(p + v), _mm_loadu_si128(p + 4 + v)), by_byte);
		__m256i t0 = _mm256_unpacklo_epi32(s[0], s[1]), t1 = _mm256_unpackhi_epi32(s[0], s[1]);
		__m256i t2 = _mm256_unpacklo_epi32(s[2], s[3]), t3 = _mm256_unpackhi_epi32(s[2], s[3]);
		__m256i plane[4] = {_mm256_unpacklo_epi64(t0, t2), _mm256_unpackhi_epi64(t0, t2),
		                    _mm256_unpacklo_epi64(t1, t3), _mm256_unpackhi_epi64(t1, t3)};
		uint8_t *out = dst + e / 8;
		for (int j = 0; j < 4; j++) {
			__m256i v = plane[j];
			for (int k = 7; k >= 0; k--) {
				uint32_t bits = (uint32_t)_mm256_movemask_epi8(v);
				memcpy(out + (8 * j + k) * row, &bits, 4);
				v = _mm256_slli_epi16(v, 1);
			}
		}
	}
	trans_scalar(src, dst, n, e / 8);
}

// 16 groups of 8 elements per step: two 16×16 byte transposes (rows 0..15
// and 16..31) give each group its 32 row bytes in one vector; movemask on it
// yields the group's elements, the last first.
__attribute__((target("avx2"))) static void untrans_avx2(const uint8_t *src, uint8_t *dst, size_t n) {
	size_t row = n / 8;
	size_t q;
	for (q = 0; q + 16 <= row; q += 16) {
		__m128i half[2][16];
		for (int h = 0; h < 2; h++) {
			__m128i a[16], b[16];
			for (int r = 0; r < 16; r++) a[r] = _mm_loadu_si128((const __m128i *)(src + (16 * h + r) * row + q));
			// Each round of unpacks rotates the 8-bit (row, byte) index by
			// one; four make the transpose.
			for (int round = 0; round < 2; round++) {
				for (int r = 0; r < 8; r++) {
					b[2 * r] = _mm_unpacklo_epi8(a[r], a[r + 8]);
					b[2 * r + 1] = _mm_unpackhi_epi8(a[r], a[r + 8]);
				}
				for (int r = 0; r < 8; r++) {
					a[2 * r] = _mm_unpacklo_epi8(b[r], b[r + 8]);
					a[2 * r + 1] = _mm_unpackhi_epi8(b[r], b[r + 8]);
				}
			}
			for (int c = 0; c < 16; c++) half[h][c] = a[c];
		}
		for (int c = 0; c < 16; c++) {
			__m256i v = _mm256_setr_m128i(half[0][c], half[1][c]);
			uint8_t *out = dst + 32 * (q + c);
			for (int m = 7; m >= 0; m--) {
				uint32_t elem = (uint32_t)_mm256_movemask_epi8(v);
				memcpy(out + 4 * m, &elem, 4);
				v = _mm256_slli_epi16(v, 1);
			}
		}
	}
	untrans_scalar(src, dst, n, q);
}
#endif

void codec_transpose(int isa, const uint8_t *src, uint8_t *dst, size_t n) {
#ifdef CODEC_X86
	if (isa == CODEC_AVX2) {
		trans_avx2(src, dst, n);
		return;
	}
#endif
	trans_scalar(src, dst, n, 0);
}

void codec_untranspose(int isa, const uint8_t *src, uint8_t *dst, size_t n) {
#ifdef CODEC_X86
	if (isa == CODEC_AVX2) {
		untrans_avx2(src, dst, n);
		return;
	}
#endif
	untrans_scalar(src, dst, n, 0);
}

// Rounding float32 mantissas (codec.RoundMantissa says what and why).

enum { MANTISSA = 23 };
#define SIGN 0x80000000u
#define MAGNITUDE 0x7fffffffu
#define EXP_ALL 0x7f800000u // Inf; above it NaNs
#define MIN_NORMAL 0x00800000u

// round_at rounds mag to a multiple of 2^drop (drop ≥ 1), to nearest with
// ties to even.
static inline uint32_t round_at(uint32_t mag, int drop) {
	return (mag + ((1u << (drop - 1)) - 1) + ((mag >> drop) & 1)) & ~((1u << drop) - 1);
}

static uint32_t round_one(uint32_t b, int keep) {
	uint32_t mag = b & MAGNITUDE;
	if (mag >= EXP_ALL || mag == 0) return b;
	if (mag < MIN_NORMAL) {
		// A subnormal keeps keep bits after its leading one.
		int after = 31 - __builtin_clz(mag);
		return after <= keep ? b : round_at(mag, after - keep) | (b & SIGN);
	}
	int drop = MANTISSA - keep;
	mag = round_at(mag, drop);
	if (mag >= EXP_ALL) mag = (EXP_ALL - 1) & ~((1u << drop) - 1); // stay finite
	return mag | (b & SIGN);
}

static void round_scalar(const uint32_t *src, uint32_t *dst, size_t n, int keep) {
	for (size_t i = 0; i < n; i++) dst[i] = round_one(src[i], keep);
}

#ifdef CODEC_X86
// Normal numbers 8 at a time; zeros, Inf and NaN pass through a blend; a
// vector holding a subnormal goes to round_one.
__attribute__((target("avx2"))) static void round_avx2(const uint32_t *src, uint32_t *dst, size_t n, int keep) {
	int drop = MANTISSA - keep;
	const __m256i half = _mm256_set1_epi32((int)((1u << (drop - 1)) - 1)), one = _mm256_set1_epi32(1);
	const __m256i kept = _mm256_set1_epi32((int)~((1u << drop) - 1));
	const __m256i largest = _mm256_set1_epi32((int)((EXP_ALL - 1) & ~((1u << drop) - 1)));
	const __m256i magnitude = _mm256_set1_epi32((int)MAGNITUDE), below_normal = _mm256_set1_epi32((int)MIN_NORMAL - 1);
	const __m256i exp_all = _mm256_set1_epi32((int)EXP_ALL), zero = _mm256_setzero_si256();
	const __m128i shift = _mm_cvtsi32_si128(drop);
	size_t i;
	for (i = 0; i + 8 <= n; i += 8) {
		__m256i b = _mm256_loadu_si256((const __m256i *)(src + i));
		__m256i mag = _mm256_and_si256(b, magnitude);
		__m256i r = _mm256_add_epi32(_mm256_add_epi32(mag, half), _mm256_and_si256(_mm256_srl_epi32(mag, shift), one));
		r = _mm256_min_epu32(_mm256_and_si256(r, kept), largest);
		r = _mm256_or_si256(r, _mm256_andnot_si256(magnitude, b));
		// Magnitudes are below 2^31: signed compares are right.
		__m256i normal_or_more = _mm256_cmpgt_epi32(mag, below_normal);
		__m256i normal = _mm256_andnot_si256(_mm256_cmpgt_epi32(mag, _mm256_sub_epi32(exp_all, one)), normal_or_more);
		__m256i subnormal = _mm256_andnot_si256(normal_or_more, _mm256_cmpgt_epi32(mag, zero));
		if (_mm256_movemask_epi8(subnormal)) {
			round_scalar(src + i, dst + i, 8, keep);
			continue;
		}
		_mm256_storeu_si256((__m256i *)(dst + i), _mm256_blendv_epi8(b, r, normal));
	}
	round_scalar(src + i, dst + i, n - i, keep);
}
#endif

void codec_round(int isa, const uint32_t *src, uint32_t *dst, size_t n, int keep) {
	if (keep >= MANTISSA) {
		if (dst != src) memmove(dst, src, 4 * n);
		return;
	}
#ifdef CODEC_X86
	if (isa == CODEC_AVX2) {
		round_avx2(src, dst, n, keep);
		return;
	}
#endif
	round_scalar(src, dst, n, keep);
}

int codec_encode_block(int isa, const uint8_t *src, int n, int keep, uint8_t *rounded, uint8_t *scratch, uint8_t *dst, int cap) {
	if (keep < MANTISSA) {
		codec_round(isa, (const uint32_t *)src, (uint32_t *)rounded, (size_t)n, keep);
		src = rounded;
	}
	codec_transpose(isa, src, scratch, (size_t)n);
	return LZ4_compress_default((const char *)scratch, (char *)dst, 4 * n, cap);
}

int codec_decode_block(int isa, const uint8_t *src, int len, uint8_t *scratch, uint8_t *dst, int n) {
	// LZ4_decompress_safe never reads or writes outside the buffers it is
	// given, whatever src holds (the plugin uses the unchecked _fast).
	if (LZ4_decompress_safe((const char *)src, (char *)scratch, len, 4 * n) != 4 * n) return -1;
	codec_untranspose(isa, scratch, dst, (size_t)n);
	return 0;
}
