// Stage 1 of the tap: one 64-byte block of input becomes four bitmasks, bit i for byte i.
//
// Header-only: every function is static inline, so the one Swift module that imports this
// (UsageTap, privately) compiles it into itself and nothing is linked from outside. The widest
// classifier the CPU has is picked once, at the first call: AVX-512BW, AVX2 or SSE2 on x86-64,
// NEON on arm64, and a portable scalar loop everywhere else. USAGETAP_VECTOR=scalar in the
// environment forces the scalar loop, so that tests can run both paths over the same input.
#ifndef USAGETAP_VECTOR_H
#define USAGETAP_VECTOR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/// What one block holds, as masks: bit i describes byte i (the first byte is bit 0).
typedef struct {
    uint64_t quote;      // "
    uint64_t backslash;  // backslash
    uint64_t line_end;   // LF or CR
    uint64_t opener;     // { [
    uint64_t closer;     // } ]
} ut_block_masks;

/// One block after stage 1 (64 bytes, one cache line): its masks, and where strings lie if the
/// raw bytes were read as one JSON text from the start of the stream (every backslash escaping
/// the next byte). The reader corrects that view per data line by one parity flip, and works a
/// block out again from `quote` and `backslash` where the views cannot agree (StringMasks).
typedef struct {
    uint64_t line_end;
    uint64_t opener;
    uint64_t closer;
    /// Quotes not escaped by an odd run of backslashes.
    uint64_t edges;
    /// From each opening edge up to, not including, its closing edge.
    uint64_t in_string;
    uint64_t quote;
    uint64_t backslash;
    /// Bit 0: a backslash escapes this block's first byte. Bit 1: the block starts inside a
    /// string. Bit 2: the block's last live byte escapes the next one.
    uint64_t carry;
} ut_block;

/// The blocks one call of stage 1 fills.
enum { UT_BATCH = 16 };
typedef struct {
    ut_block blocks[UT_BATCH];
} ut_block_batch;

/// What one block of the raw stream carries into the next.
typedef struct {
    uint64_t in_string;  // all ones inside a string
    uint64_t escape;     // 1 when the next byte is escaped
} ut_stage1_carry;

/// The classifier in use: 0 scalar, 1 SSE2, 2 AVX2, 3 AVX-512BW, 4 NEON.
typedef enum { UT_SCALAR = 0, UT_SSE2 = 1, UT_AVX2 = 2, UT_AVX512 = 3, UT_NEON = 4 } ut_classifier_kind;

// Openers and closers are found with one compare each: OR-ing 0x20 takes `[` (5B) to `{` (7B)
// and `]` (5D) to `}` (7D), and no other byte to either.

static inline ut_block_masks ut_classify_scalar(const uint8_t *block, size_t count) {
    ut_block_masks masks = {0, 0, 0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        uint8_t byte = block[i];
        uint8_t folded = byte | 0x20;
        uint64_t bit = (uint64_t)1 << i;
        if (byte == '"') masks.quote |= bit;
        if (byte == '\\') masks.backslash |= bit;
        if (byte == '\n' || byte == '\r') masks.line_end |= bit;
        if (folded == '{') masks.opener |= bit;
        if (folded == '}') masks.closer |= bit;
    }
    return masks;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Two 32-bit halves (zero-extended) as one mask, the first half lowest.
static inline uint64_t ut_join(uint64_t low, uint64_t high) { return low | high << 32; }

/// A movemask's result, hidden from the optimizer: clang otherwise sees through vpmovmskb to a
/// vector of 32 booleans and takes the later scalar arithmetic apart bit by bit (hundreds of
/// instructions a block). The empty asm costs nothing: the value is in a register already.
static inline uint64_t ut_opaque(int mask) {
    uint64_t value = (uint32_t)mask;
    __asm__("" : "+r"(value));
    return value;
}

static inline ut_block_masks ut_classify_sse2(const uint8_t *block) {
    ut_block_masks masks = {0, 0, 0, 0, 0};
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    const __m128i fold = _mm_set1_epi8(0x20), open = _mm_set1_epi8('{'), close = _mm_set1_epi8('}');
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        __m128i bytes = _mm_loadu_si128((const __m128i *)(block + 16 * part));
        __m128i folded = _mm_or_si128(bytes, fold);
        int shift = 16 * part;
        masks.quote |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, quote))) << shift;
        masks.backslash |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, backslash))) << shift;
        masks.line_end |= ut_opaque(_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, lf), _mm_cmpeq_epi8(bytes, cr)))) << shift;
        masks.opener |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, open))) << shift;
        masks.closer |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, close))) << shift;
    }
    return masks;
}

/// One 32-byte half's five masks.
typedef struct { uint64_t quote, backslash, line_end, opener, closer; } ut_half_masks;

__attribute__((target("avx2")))
static inline ut_half_masks ut_classify_half_avx2(const uint8_t *half) {
    // Safe: the caller passes 32 readable bytes.
    __m256i bytes = _mm256_loadu_si256((const __m256i *)half);
    __m256i folded = _mm256_or_si256(bytes, _mm256_set1_epi8(0x20));
    ut_half_masks masks;
    masks.quote = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"'))));
    masks.backslash = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\\'))));
    masks.line_end = ut_opaque(_mm256_movemask_epi8(_mm256_or_si256(
        _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\n')), _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\r')))));
    masks.opener = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('{'))));
    masks.closer = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('}'))));
    return masks;
}

__attribute__((target("avx2")))
static inline ut_block_masks ut_classify_avx2(const uint8_t *block) {
    ut_half_masks low = ut_classify_half_avx2(block), high = ut_classify_half_avx2(block + 32);
    ut_block_masks masks;
    masks.quote = ut_join(low.quote, high.quote);
    masks.backslash = ut_join(low.backslash, high.backslash);
    masks.line_end = ut_join(low.line_end, high.line_end);
    masks.opener = ut_join(low.opener, high.opener);
    masks.closer = ut_join(low.closer, high.closer);
    return masks;
}

__attribute__((target("avx512f,avx512bw")))
static inline ut_block_masks ut_classify_avx512(const uint8_t *block) {
    // Safe: the caller passes 64 readable bytes.
    __m512i bytes = _mm512_loadu_si512((const void *)block);
    __m512i folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
    ut_block_masks masks;
    masks.quote = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"'));
    masks.backslash = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\\'));
    masks.line_end = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\n'))
        | _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\r'));
    masks.opener = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{'));
    masks.closer = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'));
    return masks;
}

static inline int ut_cpu_has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul"); }
static inline int ut_cpu_has_avx512bw(void) { return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("pclmul"); }

static inline ut_classifier_kind ut_detect_classifier(void) {
    const char *forced = getenv("USAGETAP_VECTOR");
    if (forced && strcmp(forced, "scalar") == 0) return UT_SCALAR;
    if (forced && strcmp(forced, "sse2") == 0) return UT_SSE2;
    if (forced && strcmp(forced, "avx2") == 0 && ut_cpu_has_avx2()) return UT_AVX2;
    // Every CPU with AVX2 has PCLMULQDQ, which the prefix XOR uses; checked all the same.
    int clmul = __builtin_cpu_supports("pclmul");
    if (!forced && clmul && __builtin_cpu_supports("avx512bw")) return UT_AVX512;
    if (clmul && __builtin_cpu_supports("avx2")) return UT_AVX2;
    return UT_SSE2;
}

#elif defined(__aarch64__)
#include <arm_neon.h>

/// The 16 lanes of a compare (each 00 or FF) as 16 bits, first lane lowest.
static inline uint64_t ut_neon_bits(uint8x16_t lanes) {
    static const uint8_t weights[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    uint8x16_t weighted = vandq_u8(lanes, vld1q_u8(weights));
    uint64_t low = vaddv_u8(vget_low_u8(weighted)), high = vaddv_u8(vget_high_u8(weighted));
    return low | high << 8;
}

static inline ut_block_masks ut_classify_neon(const uint8_t *block) {
    ut_block_masks masks = {0, 0, 0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        uint8x16_t bytes = vld1q_u8(block + 16 * part);
        uint8x16_t folded = vorrq_u8(bytes, vdupq_n_u8(0x20));
        int shift = 16 * part;
        masks.quote |= ut_neon_bits(vceqq_u8(bytes, vdupq_n_u8('"'))) << shift;
        masks.backslash |= ut_neon_bits(vceqq_u8(bytes, vdupq_n_u8('\\'))) << shift;
        masks.line_end |= ut_neon_bits(vorrq_u8(vceqq_u8(bytes, vdupq_n_u8('\n')), vceqq_u8(bytes, vdupq_n_u8('\r')))) << shift;
        masks.opener |= ut_neon_bits(vceqq_u8(folded, vdupq_n_u8('{'))) << shift;
        masks.closer |= ut_neon_bits(vceqq_u8(folded, vdupq_n_u8('}'))) << shift;
    }
    return masks;
}

static inline ut_classifier_kind ut_detect_classifier(void) {
    const char *forced = getenv("USAGETAP_VECTOR");
    return forced && strcmp(forced, "scalar") == 0 ? UT_SCALAR : UT_NEON;
}

#else
static inline ut_classifier_kind ut_detect_classifier(void) { return UT_SCALAR; }
#endif

/// The classifier picked for this process (detected at the first call, then kept).
static inline ut_classifier_kind ut_classifier(void) {
    static int chosen = -1;
    // A benign race: every thread computes the same value.
    int kind = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (kind < 0) {
        kind = (int)ut_detect_classifier();
        __atomic_store_n(&chosen, kind, __ATOMIC_RELAXED);
    }
    return (ut_classifier_kind)kind;
}

/// Classifies the 64 bytes at `block` with the classifier `kind`, which must be
/// `ut_classifier()`'s answer (the caller keeps it, so that the check is not repeated per block).
static inline ut_block_masks ut_classify_block(ut_classifier_kind kind, const uint8_t *block) {
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: return ut_classify_avx512(block);
    case UT_AVX2: return ut_classify_avx2(block);
    case UT_SSE2: return ut_classify_sse2(block);
#elif defined(__aarch64__)
    case UT_NEON: return ut_classify_neon(block);
#endif
    default: return ut_classify_scalar(block, 64);
    }
}

/// Classifies `count` (at most 64) bytes that may end anywhere, such as a slice's last block:
/// they are copied to a zeroed block first, so nothing past `count` is read. Bits at and above
/// `count` are 0. Short runs go through the scalar loop, which is cheaper for a few bytes.
static inline ut_block_masks ut_classify_partial(ut_classifier_kind kind, const uint8_t *bytes, size_t count) {
    if (count < 16 || kind == UT_SCALAR) return ut_classify_scalar(bytes, count);
    uint8_t block[64] = {0};
    memcpy(block, bytes, count);
    return ut_classify_block(kind, block);
}

/// For each bit, the XOR of it and every bit below it.
static inline uint64_t ut_prefix_xor_portable(uint64_t bits) {
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    return bits;
}

#if defined(__x86_64__)
__attribute__((target("pclmul,sse2")))
static inline uint64_t ut_prefix_xor_clmul(uint64_t bits) {
    // A carry-less multiply by all ones XORs every bit into all the bits above it.
    __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)bits), _mm_set1_epi8((char)0xFF), 0);
    return (uint64_t)_mm_cvtsi128_si64(product);
}
#endif

/// Completes a block from its masks: escapes from runs of backslashes (in a run starting on an
/// even bit the backslashes on even bits escape the byte after them, and likewise for odd), then
/// strings from a prefix XOR of the quotes left. `live` is the number of real bytes.
static inline ut_block ut_finish_block(ut_block_masks masks, int live, ut_stage1_carry *carry, int use_clmul) {
    const uint64_t even = 0x5555555555555555ULL;
    ut_block block;
    block.line_end = masks.line_end;
    block.opener = masks.opener;
    block.closer = masks.closer;
    block.quote = masks.quote;
    block.backslash = masks.backslash;
    uint64_t quotes = masks.quote & ~carry->escape;
    uint64_t escapers = 0;
    if ((masks.backslash | carry->escape) != 0) {
        uint64_t backslash = masks.backslash & ~carry->escape;
        uint64_t starts = backslash & ~(backslash << 1);
        // Adding a run's first bit clears the whole run: what is cleared started on an even bit.
        uint64_t even_runs = backslash & ~(backslash + (starts & even));
        escapers = (even_runs & even) | (backslash & ~even_runs & ~even);
        quotes &= ~(escapers << 1);
    }
    uint64_t flags = (carry->escape & 1) | (carry->in_string & 2);
#if defined(__x86_64__)
    uint64_t prefix = use_clmul ? ut_prefix_xor_clmul(quotes) : ut_prefix_xor_portable(quotes);
#else
    (void)use_clmul;
    uint64_t prefix = ut_prefix_xor_portable(quotes);
#endif
    uint64_t in_string = prefix ^ carry->in_string;
    int last = live - 1;
    uint64_t escape_out = (escapers >> last) & 1;
    block.edges = quotes;
    block.in_string = in_string;
    block.carry = flags | escape_out << 2;
    carry->in_string = (uint64_t)0 - ((in_string >> last) & 1);
    carry->escape = escape_out;
    return block;
}

#if defined(__x86_64__)
// The carry lives in a local across the batch, so that it stays in registers.

__attribute__((target("avx2,pclmul")))
static inline void ut_stage1_avx2(const uint8_t *src, size_t blocks, ut_stage1_carry *carry, ut_block *out) {
    ut_stage1_carry state = *carry;
    for (size_t index = 0; index < blocks; index++) {
        // Safe: the caller passes `blocks` whole blocks.
        out[index] = ut_finish_block(ut_classify_avx2(src + 64 * index), 64, &state, 1);
    }
    *carry = state;
}

__attribute__((target("avx512f,avx512bw,pclmul")))
static inline void ut_stage1_avx512(const uint8_t *src, size_t blocks, ut_stage1_carry *carry, ut_block *out) {
    ut_stage1_carry state = *carry;
    for (size_t index = 0; index < blocks; index++) {
        // Safe: the caller passes `blocks` whole blocks.
        out[index] = ut_finish_block(ut_classify_avx512(src + 64 * index), 64, &state, 1);
    }
    *carry = state;
}

#endif

/// Stage 1 for `blocks` whole 64-byte blocks at `src`, with the classifier `kind`.
static inline void ut_stage1(ut_classifier_kind kind, const uint8_t *src, size_t blocks, ut_stage1_carry *carry, ut_block *out) {
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: ut_stage1_avx512(src, blocks, carry, out); return;
    case UT_AVX2: ut_stage1_avx2(src, blocks, carry, out); return;
#endif
    default: {
        ut_stage1_carry state = *carry;
        for (size_t index = 0; index < blocks; index++) {
            // Safe: the caller passes `blocks` whole blocks.
            out[index] = ut_finish_block(ut_classify_block(kind, src + 64 * index), 64, &state, 0);
        }
        *carry = state;
    }
    }
}

/// Stage 1 for the last `count` (1 to 64) bytes of a slice; bits from `count` on are 0.
static inline ut_block ut_stage1_partial(ut_classifier_kind kind, const uint8_t *bytes, size_t count, ut_stage1_carry *carry) {
    return ut_finish_block(ut_classify_partial(kind, bytes, count), (int)count, carry, 0);
}

#endif
