// Bitshuffle blocks of float32s: mantissa rounding, the bit transpose and
// LZ4, one block per call. The chunk around the blocks (header, sizes,
// leftover) is Go's.
#include <stddef.h>
#include <stdint.h>

// Instruction sets of the loops here.
enum { CODEC_SCALAR = 0, CODEC_AVX2 = 1 };

// codec_has reports whether this CPU runs isa.
int codec_has(int isa);

// codec_transpose bit-transposes n float32s (n a multiple of 8) from src
// into dst: row b (n/8 bytes) holds bit b of every element, element i at
// bit i%8 of byte i/8. codec_untranspose is its inverse.
void codec_transpose(int isa, const uint8_t *src, uint8_t *dst, size_t n);
void codec_untranspose(int isa, const uint8_t *src, uint8_t *dst, size_t n);

// codec_round writes n float32s of src to dst rounded to keep mantissa
// bits (1..23), as codec.RoundMantissa documents. dst may be src.
void codec_round(int isa, const uint32_t *src, uint32_t *dst, size_t n, int keep);

// codec_encode_block rounds n float32s of src to keep mantissa bits into
// rounded (skipped for 23), bit-transposes them into scratch (4n bytes) and
// compresses them with LZ4 into dst (cap bytes). It returns the compressed
// size, 0 when dst is too small.
int codec_encode_block(int isa, const uint8_t *src, int n, int keep, uint8_t *rounded, uint8_t *scratch, uint8_t *dst, int cap);

// codec_decode_block decompresses the LZ4 block src (len bytes) into
// scratch and bit-untransposes it into dst, n float32s. It returns 0, or -1
// when src is not an LZ4 block of exactly 4n bytes.
int codec_decode_block(int isa, const uint8_t *src, int len, uint8_t *scratch, uint8_t *dst, int n);
