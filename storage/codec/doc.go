// Package codec encodes simulation frames (float32 images) into compressed
// chunks for storage, away from the file that stores them: the bitshuffle
// HDF5 plugin's chunk format with LZ4 (HDF5 filter 32008), and mantissa
// rounding that makes frames compress further within a stated error bound.
// It knows nothing of HDF5 or of the writer; storage/h5 declares the filter
// and writes the chunks, and readers decode them here without the plugin.
//
// # Chunk format
//
// A chunk is byte for byte what the bitshuffle plugin (0.3.5, element size
// 4, default block size, LZ4) writes, so any HDF5 reader with the plugin
// reads our files:
//
//   - 8 bytes, big-endian: the frame's size in bytes (4 per float32);
//   - 4 bytes, big-endian: the block size in bytes, BlockSize (8192: 2048
//     float32s, the plugin's default for 4-byte elements);
//   - per block: 4 bytes big-endian, the size of an LZ4 block (raw, not the
//     frame format) of the block's bit transpose: row b of the transpose
//     holds bit b of every element of the block, element i at bit i%8 of
//     byte i/8;
//   - blocks are full but the last, which holds what is left rounded down
//     to a multiple of 8 elements; the 0-7 elements after it are stored raw
//     (little-endian float32s).
//
// A dataset of such chunks declares filter FilterBitshuffle with
// BitshuffleCDValues. The bit transpose runs in C, with AVX2 where the CPU
// has it (the two give the same bytes); LZ4 is liblz4, whose
// LZ4_compress_default the plugin calls too, so our chunks equal its own.
//
// # Concurrency
//
// An Encoder holds its buffers, made once for one frame size, and the chunk
// it returns aliases them until its next Encode (storage.Encoder's
// contract): one goroutine at a time uses an Encoder, and each worker has
// its own. Decode and RoundMantissa keep no state and may run anywhere.
//
// # Rounding
//
// RoundMantissa (and an Encoder made with fewer than MantissaBits kept
// bits) rounds each value's mantissa to keepBits bits, to nearest with ties
// to even, like numcodecs' BitRound: the dropped bits become zeros, which
// bitshuffle turns into zero rows that LZ4 all but removes. Every value v
// stored as r obeys
//
//	|r − v| ≤ 2^-(keepBits+1)·|v|    (RelativeErrorBound)
//
// NaN, ±Inf and ±0 are kept as they are, and a finite value stays finite
// (RoundMantissa documents the edges).
package codec
