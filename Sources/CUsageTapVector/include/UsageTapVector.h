// Stage 1 of the tap, in three tiers, bit i of each mask for byte i of a 64-byte block.
//
// The framing tier runs over the blocks of a slice the event framing walks: line ends, quotes,
// and the letters the event sieve looks for. Most events are framed and sieved and never read
// as JSON, so that is all most bytes cost. The strings tier runs only over the runs of a
// document the JSON reader reads: it takes the document's own string state where the run starts
// (an open string, a pending backslash) and gives the run's string edges, the bytes inside
// strings, and the brackets outside them. The line tier does both at once for one data line
// read as a document of its own (a Gemini chunk passed by its structure): its blocks, counted
// from the line's value, classified once, up to the line's end.
//
// Header-only: every function is static inline, so the one Swift module that imports this
// (UsageTap, privately) compiles it into itself and nothing is linked from outside. The widest
// classifier the CPU has is picked once, at the first call: AVX-512BW, AVX2 or SSE2 on x86-64,
// NEON on arm64, and a portable scalar loop everywhere else. USAGETAP_VECTOR=scalar (or sse2,
// avx2) in the environment forces one, so that tests can run every path over the same input.
#ifndef USAGETAP_VECTOR_H
#define USAGETAP_VECTOR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/// The framing tier's masks of one block.
typedef struct {
    uint64_t line_end;   // LF or CR
    uint64_t quote;      // "
    /// A quote whose next byte is e m r u or x: the first letters of the names the event sieve
    /// looks for. (At bit 63 the next byte is the next block's first; where that block is not
    /// in the same call, the quote is taken as a candidate all the same.)
    uint64_t candidate;
} ut_frame;

/// One block's classes, before candidates are made of them.
typedef struct {
    uint64_t line_end, quote;
    uint64_t lead;  // e m r u x
} ut_classes;

/// The blocks one call of the framing tier fills: 768 bytes, under the 1 KiB that Swift's
/// `withUnsafeTemporaryAllocation` keeps on the stack (above it, it may allocate).
enum { UT_BATCH = 32 };
typedef struct {
    ut_frame blocks[UT_BATCH];
} ut_frame_batch;

/// A document's string state between two runs of its bytes.
typedef struct {
    uint64_t in_string;  // 1 inside a string
    uint64_t escape;     // 1 when the next byte is escaped
} ut_string_state;

/// The strings tier's masks of one run (bits outside the run are 0).
typedef struct {
    /// Quotes not escaped: where strings open and close.
    uint64_t edges;
    /// `{` `[` and `}` `]` outside strings (all of the run's, where the run needs the exact
    /// reading: a backslash lies outside the strings so found, in malformed JSON, and the run
    /// must be worked out a quote and backslash at a time, StringMasks).
    uint64_t opener;
    uint64_t closer;
    /// The run's backslashes, where it needs the exact reading (else not set).
    uint64_t backslash;
} ut_strings;

/// The classifier in use: 0 scalar, 1 SSE2, 2 AVX2, 3 AVX-512BW, 4 NEON.
typedef enum { UT_SCALAR = 0, UT_SSE2 = 1, UT_AVX2 = 2, UT_AVX512 = 3, UT_NEON = 4 } ut_classifier_kind;

/// The strings tier's own bytes of a block.
typedef struct {
    uint64_t backslash, opener, closer;
} ut_structure;

// The sieve's letters e m r u x (65 6D 72 75 78) by nibbles, for NEON's table lookup (which
// gives 0 for an index from 16 on): a byte is one of them when the entry of its low nibble and
// that of its high nibble share a bit (bit 0 for high nibble 6, bit 1 for 7). Bytes from 0x80
// have high nibbles with no entry.
#define UT_LEAD_LOW 0, 0, 2, 0, 0, 3, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0
#define UT_LEAD_HIGH 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0

// For x86's byte shuffle (which gives 0 for a byte from 0x80, and else takes its low nibble as
// the index): the same letters but u (whose nibble is e's), and LF and CR, each at its own low
// nibble. A byte is one of them when it equals its entry (UT_NONE: none, and no entry is 0).
#define UT_NONE ((char)0xFF)
#define UT_LEAD_TABLE UT_NONE, UT_NONE, 'r', UT_NONE, UT_NONE, 'e', UT_NONE, UT_NONE, 'x', UT_NONE, UT_NONE, UT_NONE, UT_NONE, 'm', UT_NONE, UT_NONE
#define UT_LINE_END_TABLE UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, '\n', UT_NONE, UT_NONE, '\r', UT_NONE, UT_NONE

// Openers and closers are found with one compare each: OR-ing 0x20 takes `[` (5B) to `{` (7B)
// and `]` (5D) to `}` (7D), and no other byte to either.

static inline ut_classes ut_classes_scalar(const uint8_t *block, size_t count) {
    ut_classes masks = {0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        uint8_t byte = block[i];
        uint64_t bit = (uint64_t)1 << i;
        if (byte == '\n' || byte == '\r') masks.line_end |= bit;
        if (byte == '"') masks.quote |= bit;
        if (byte == 'e' || byte == 'm' || byte == 'r' || byte == 'u' || byte == 'x') masks.lead |= bit;
    }
    return masks;
}

static inline ut_structure ut_structure_scalar(const uint8_t *block, size_t count) {
    ut_structure masks = {0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        uint8_t byte = block[i], folded = byte | 0x20;
        uint64_t bit = (uint64_t)1 << i;
        if (byte == '\\') masks.backslash |= bit;
        if (folded == '{') masks.opener |= bit;
        if (folded == '}') masks.closer |= bit;
    }
    return masks;
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

__attribute__((target("pclmul,sse2")))
static inline uint64_t ut_prefix_xor_clmul(uint64_t bits) {
    // A carry-less multiply by all ones XORs every bit into all the bits above it.
    __m128i product = _mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)bits), _mm_set1_epi8((char)0xFF), 0);
    return (uint64_t)_mm_cvtsi128_si64(product);
}

static inline ut_classes ut_classes_sse2(const uint8_t *block) {
    ut_classes masks = {0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        __m128i bytes = _mm_loadu_si128((const __m128i *)(block + 16 * part));
        int shift = 16 * part;
        masks.line_end |= ut_opaque(_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r'))))) << shift;
        masks.quote |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')))) << shift;
        // SSE2 has no byte shuffle: one compare per letter.
        __m128i lead = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('e')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('m'))),
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('r')),
                         _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('u')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('x')))));
        masks.lead |= ut_opaque(_mm_movemask_epi8(lead)) << shift;
    }
    return masks;
}

static inline ut_structure ut_structure_sse2(const uint8_t *block) {
    ut_structure masks = {0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        __m128i bytes = _mm_loadu_si128((const __m128i *)(block + 16 * part));
        __m128i folded = _mm_or_si128(bytes, _mm_set1_epi8(0x20));
        int shift = 16 * part;
        masks.backslash |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\')))) << shift;
        masks.opener |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8('{')))) << shift;
        masks.closer |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(folded, _mm_set1_epi8('}')))) << shift;
    }
    return masks;
}

/// One 32-byte half's framing masks, zero-extended.
typedef ut_classes ut_frame_half;

__attribute__((target("avx2")))
static inline ut_frame_half ut_frame_half_avx2(const uint8_t *half) {
    // Safe: the caller passes 32 readable bytes.
    __m256i bytes = _mm256_loadu_si256((const __m256i *)half);
    ut_frame_half masks;
    // A byte equals its own entry in a table indexed by its low nibble only where the table
    // holds it: LF and CR in one, e m r x in the other (u shares e's nibble: compared alone).
    // Bytes from 0x80 index nothing (the shuffle gives 0) and no entry is 0.
    masks.line_end = ut_opaque(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_shuffle_epi8(_mm256_setr_epi8(UT_LINE_END_TABLE, UT_LINE_END_TABLE), bytes), bytes)));
    masks.quote = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"'))));
    __m256i lead = _mm256_or_si256(
        _mm256_cmpeq_epi8(_mm256_shuffle_epi8(_mm256_setr_epi8(UT_LEAD_TABLE, UT_LEAD_TABLE), bytes), bytes),
        _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('u')));
    masks.lead = ut_opaque(_mm256_movemask_epi8(lead));
    return masks;
}

__attribute__((target("avx2")))
static inline ut_classes ut_classes_avx2(const uint8_t *block) {
    ut_frame_half low = ut_frame_half_avx2(block), high = ut_frame_half_avx2(block + 32);
    ut_classes masks = {ut_join(low.line_end, high.line_end), ut_join(low.quote, high.quote), ut_join(low.lead, high.lead)};
    return masks;
}

/// One 32-byte half's structure masks, zero-extended.
typedef struct { uint64_t backslash, opener, closer; } ut_structure_half;

__attribute__((target("avx2")))
static inline ut_structure_half ut_structure_half_avx2(const uint8_t *half) {
    // Safe: the caller passes 32 readable bytes.
    __m256i bytes = _mm256_loadu_si256((const __m256i *)half);
    __m256i folded = _mm256_or_si256(bytes, _mm256_set1_epi8(0x20));
    ut_structure_half masks;
    masks.backslash = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\\'))));
    masks.opener = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('{'))));
    masks.closer = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('}'))));
    return masks;
}

__attribute__((target("avx2")))
static inline ut_structure ut_structure_avx2(const uint8_t *block) {
    ut_structure_half low = ut_structure_half_avx2(block), high = ut_structure_half_avx2(block + 32);
    ut_structure masks = {ut_join(low.backslash, high.backslash), ut_join(low.opener, high.opener), ut_join(low.closer, high.closer)};
    return masks;
}

__attribute__((target("avx512f,avx512bw")))
static inline ut_classes ut_classes_avx512(const uint8_t *block) {
    // Safe: the caller passes 64 readable bytes.
    __m512i bytes = _mm512_loadu_si512((const void *)block);
    // The low-nibble tables, as in the AVX2 classifier.
    __m512i line_ends = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_setr_epi8(UT_LINE_END_TABLE)), bytes);
    __m512i leads = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_setr_epi8(UT_LEAD_TABLE)), bytes);
    ut_classes masks;
    masks.line_end = _mm512_cmpeq_epi8_mask(line_ends, bytes);
    masks.quote = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"'));
    masks.lead = _mm512_cmpeq_epi8_mask(leads, bytes) | _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('u'));
    return masks;
}

__attribute__((target("avx512f,avx512bw")))
static inline ut_structure ut_structure_avx512(const uint8_t *block) {
    // Safe: the caller passes 64 readable bytes.
    __m512i bytes = _mm512_loadu_si512((const void *)block);
    __m512i folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
    ut_structure masks;
    masks.backslash = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\\'));
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

static inline ut_classes ut_classes_neon(const uint8_t *block) {
    static const uint8_t low_table[16] = {UT_LEAD_LOW}, high_table[16] = {UT_LEAD_HIGH};
    ut_classes masks = {0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        uint8x16_t bytes = vld1q_u8(block + 16 * part);
        int shift = 16 * part;
        masks.line_end |= ut_neon_bits(vorrq_u8(vceqq_u8(bytes, vdupq_n_u8('\n')), vceqq_u8(bytes, vdupq_n_u8('\r')))) << shift;
        masks.quote |= ut_neon_bits(vceqq_u8(bytes, vdupq_n_u8('"'))) << shift;
        uint8x16_t low = vqtbl1q_u8(vld1q_u8(low_table), vandq_u8(bytes, vdupq_n_u8(0x0F)));
        uint8x16_t high = vqtbl1q_u8(vld1q_u8(high_table), vshrq_n_u8(bytes, 4));
        masks.lead |= ut_neon_bits(vtstq_u8(low, high)) << shift;
    }
    return masks;
}

static inline ut_structure ut_structure_neon(const uint8_t *block) {
    ut_structure masks = {0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        uint8x16_t bytes = vld1q_u8(block + 16 * part);
        uint8x16_t folded = vorrq_u8(bytes, vdupq_n_u8(0x20));
        int shift = 16 * part;
        masks.backslash |= ut_neon_bits(vceqq_u8(bytes, vdupq_n_u8('\\'))) << shift;
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

// MARK: The framing tier

/// A block's frame from its classes and the lead letters of the block after it (bit 0 set where
/// that block is not classified in the same call, so that a quote at bit 63 is a candidate).
static inline ut_frame ut_frame_of(ut_classes classes, uint64_t next_lead) {
    ut_frame frame = {classes.line_end, classes.quote, classes.quote & (classes.lead >> 1 | next_lead << 63)};
    return frame;
}

/// The framing loop of one classifier over `blocks` (at least 1) whole blocks: a block's frame
/// is stored once the block after it is classified. (A macro, so that each classifier's loop is
/// compiled with its own target attribute and its classifier inlined.)
#define UT_FRAMES_LOOP(classify, src, blocks, out)                              \
    do {                                                                        \
        ut_classes current = classify(src);                                     \
        for (size_t index = 1; index < (blocks); index++) {                     \
            ut_classes next = classify((src) + 64 * index);                     \
            (out)[index - 1] = ut_frame_of(current, next.lead);                 \
            current = next;                                                     \
        }                                                                       \
        (out)[(blocks) - 1] = ut_frame_of(current, 1);                          \
    } while (0)

static inline ut_classes ut_classes_scalar_block(const uint8_t *block) { return ut_classes_scalar(block, 64); }

#if defined(__x86_64__)
__attribute__((target("avx2")))
static inline void ut_frames_avx2(const uint8_t *src, size_t blocks, ut_frame *out) {
    // Safe: the caller passes `blocks` whole blocks.
    UT_FRAMES_LOOP(ut_classes_avx2, src, blocks, out);
}

__attribute__((target("avx512f,avx512bw")))
static inline void ut_frames_avx512(const uint8_t *src, size_t blocks, ut_frame *out) {
    // Safe: the caller passes `blocks` whole blocks.
    UT_FRAMES_LOOP(ut_classes_avx512, src, blocks, out);
}
#endif

/// The framing masks of `blocks` (1 to UT_BATCH) whole 64-byte blocks at `src`, with the
/// classifier `kind` (`ut_classifier()`'s answer, or one the tests name that this CPU has).
static inline void ut_frames(ut_classifier_kind kind, const uint8_t *src, size_t blocks, ut_frame *out) {
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: ut_frames_avx512(src, blocks, out); return;
    case UT_AVX2: ut_frames_avx2(src, blocks, out); return;
    case UT_SSE2:
        UT_FRAMES_LOOP(ut_classes_sse2, src, blocks, out);
        return;
#elif defined(__aarch64__)
    case UT_NEON:
        UT_FRAMES_LOOP(ut_classes_neon, src, blocks, out);
        return;
#endif
    default:
        UT_FRAMES_LOOP(ut_classes_scalar_block, src, blocks, out);
    }
}

/// The framing masks of the last `count` (1 to 63) bytes of a slice; bits from `count` on are 0.
/// Only `count` bytes are read: the scalar loop takes them in place.
static inline ut_frame ut_frame_partial(const uint8_t *bytes, size_t count) {
    // Bit 63 is past the slice's end: no next byte makes a candidate of it.
    return ut_frame_of(ut_classes_scalar(bytes, count), 0);
}

// MARK: The strings tier

/// The backslashes of `backslash` (none of them escaped from before) that escape the byte after
/// them: in a run starting on an even bit the backslashes on even bits, and likewise for odd,
/// so that a run of odd length escapes the byte after it.
static inline uint64_t ut_escapers(uint64_t backslash) {
    const uint64_t even = 0x5555555555555555ULL;
    uint64_t starts = backslash & ~(backslash << 1);
    // Adding a run's first bit clears the whole run: what is cleared started on an even bit.
    uint64_t even_runs = backslash & ~(backslash + (starts & even));
    return (even_runs & even) | (backslash & ~even_runs & ~even);
}

/// Completes a run from its masks, given the document's state before it: escapes from runs of
/// backslashes (in a run starting on an even bit the backslashes on even bits escape the byte
/// after them, and likewise for odd), then strings from a prefix XOR of the quotes left. The
/// run is bits `low` to `high - 1`. Returns 0, with `state` moved past the run; or 1 where the
/// run needs the exact reading (a backslash outside the strings found), with `state` as it was
/// and `out` holding all of the run's brackets and its backslashes for that reading.
static inline int ut_finish_strings(ut_structure structure, uint64_t quote, int low, int high, ut_string_state *state,
                                    ut_strings *out, int use_clmul) {
    // Bits low..<high; low < high <= 64.
    uint64_t run = (~(uint64_t)0 << low) & (~(uint64_t)0 >> (64 - high));
    uint64_t escaped = state->escape << low;
    uint64_t quotes = quote & run & ~escaped;
    uint64_t backslash = structure.backslash & run & ~escaped;
    uint64_t escapers = 0;
    if (backslash != 0) {
        escapers = ut_escapers(backslash);
        quotes &= ~(escapers << 1);
    }
#if defined(__x86_64__)
    uint64_t prefix = use_clmul ? ut_prefix_xor_clmul(quotes) : ut_prefix_xor_portable(quotes);
#else
    (void)use_clmul;
    uint64_t prefix = ut_prefix_xor_portable(quotes);
#endif
    uint64_t in_string = prefix ^ ((uint64_t)0 - state->in_string);
    out->edges = quotes;
    if (backslash & ~in_string) {
        out->opener = structure.opener & run;
        out->closer = structure.closer & run;
        out->backslash = structure.backslash & run;
        return 1;
    }
    out->opener = structure.opener & run & ~in_string;
    out->closer = structure.closer & run & ~in_string;
    int last = high - 1;
    state->in_string = (in_string >> last) & 1;
    state->escape = (escapers >> last) & 1;
    return 0;
}

/// The strings tier for one classifier: the strings and brackets of bits `low..<high`
/// (0 <= low < high <= 64) of the block at `block`, of which `readable` bytes may be read (64 or
/// more for a whole block, fewer for a slice's last one), given the block's quote mask from the
/// framing tier and the document's state before `low`. See `ut_finish_strings` for the result.
typedef int (*ut_strings_reader)(const uint8_t *block, size_t readable, uint64_t quote, int low, int high,
                                 ut_string_state *state, ut_strings *out);

static inline int ut_read_strings_scalar(const uint8_t *block, size_t readable, uint64_t quote, int low, int high,
                                         ut_string_state *state, ut_strings *out) {
    // Only the readable bytes are read, in place.
    ut_structure structure = ut_structure_scalar(block, readable < 64 ? readable : 64);
    return ut_finish_strings(structure, quote, low, high, state, out, 0);
}

#if defined(__x86_64__)
static inline int ut_read_strings_sse2(const uint8_t *block, size_t readable, uint64_t quote, int low, int high,
                                       ut_string_state *state, ut_strings *out) {
    if (readable < 64) return ut_read_strings_scalar(block, readable, quote, low, high, state, out);
    return ut_finish_strings(ut_structure_sse2(block), quote, low, high, state, out, 0);
}

__attribute__((target("avx2,pclmul")))
static inline int ut_read_strings_avx2(const uint8_t *block, size_t readable, uint64_t quote, int low, int high,
                                       ut_string_state *state, ut_strings *out) {
    if (readable < 64) return ut_read_strings_scalar(block, readable, quote, low, high, state, out);
    return ut_finish_strings(ut_structure_avx2(block), quote, low, high, state, out, 1);
}

__attribute__((target("avx512f,avx512bw,pclmul")))
static inline int ut_read_strings_avx512(const uint8_t *block, size_t readable, uint64_t quote, int low, int high,
                                         ut_string_state *state, ut_strings *out) {
    if (readable < 64) return ut_read_strings_scalar(block, readable, quote, low, high, state, out);
    return ut_finish_strings(ut_structure_avx512(block), quote, low, high, state, out, 1);
}
#elif defined(__aarch64__)
static inline int ut_read_strings_neon(const uint8_t *block, size_t readable, uint64_t quote, int low, int high,
                                       ut_string_state *state, ut_strings *out) {
    if (readable < 64) return ut_read_strings_scalar(block, readable, quote, low, high, state, out);
    return ut_finish_strings(ut_structure_neon(block), quote, low, high, state, out, 0);
}
#endif

/// The strings tier of the classifier `kind`, to be kept by the caller and called directly.
static inline ut_strings_reader ut_strings_reader_for(ut_classifier_kind kind) {
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: return ut_read_strings_avx512;
    case UT_AVX2: return ut_read_strings_avx2;
    case UT_SSE2: return ut_read_strings_sse2;
#elif defined(__aarch64__)
    case UT_NEON: return ut_read_strings_neon;
#endif
    default: return ut_read_strings_scalar;
    }
}

// MARK: The line tier

/// One block of a data line's value as the line tier gives it: its brackets outside strings
/// (openers and closers alike: a bracket's byte tells which), and the opening quotes of its
/// strings of 12 or 13 bytes (the length of the names a Gemini chunk is read for), bits from
/// the line's end on cleared. (A string is taken as one of those where its closing quote lies
/// past the window.)
typedef struct {
    uint64_t brackets, named;
} ut_line_block;

/// The blocks one call of the line tier fills: 256 bytes, on the stack beside the framing
/// tier's batch.
enum { UT_LINE_WINDOW = 16 };
typedef struct {
    ut_line_block blocks[UT_LINE_WINDOW];
} ut_line_window;

/// What a call of the line tier found, when it found no line end.
enum {
    /// The window is full and the line goes on: call again for the next window.
    UT_LINE_GOES_ON = -1,
    /// The readable bytes ended before the line did.
    UT_LINE_UNENDED = -2,
    /// A backslash lies outside the strings found (malformed JSON): the bit-parallel reading is
    /// not the sequential one, and the line is to be read another way.
    UT_LINE_EXACT = -3,
};

/// One block's classes for the line tier.
typedef struct {
    uint64_t line_end, quote, backslash, bracket;
} ut_line_classes;

/// Copies the last `count` (< 64) bytes of a slice into a zeroed block. Out of line: the loops
/// that call it for their last block keep their vector constants in registers across it.
__attribute__((noinline)) static void ut_pad_block(uint8_t *block, const uint8_t *bytes, size_t count) {
    memset(block, 0, 64);
    memcpy(block, bytes, count);
}

/// Escapes and strings of one block of a line, from its classes and the carries of the blocks
/// before it (as `ut_finish_strings` works them out for a run, here for bits below `run`, with
/// the carries in registers): stores the block's brackets and sets `edges` and `opening` to its
/// string edges and those that open a string; returns UT_LINE_EXACT where the line needs the
/// exact reading (a backslash outside the strings found).
#define UT_LINE_BLOCK(classes, run, in_string, escape, prefix_xor, stored, edges, opening)                 \
    do {                                                                                                   \
        uint64_t quotes = (classes).quote & (run) & ~(escape);                                             \
        uint64_t backslash = (classes).backslash & (run) & ~(escape);                                      \
        uint64_t escapers = 0;                                                                             \
        if (backslash != 0) {                                                                              \
            escapers = ut_escapers(backslash);                                                             \
            quotes &= ~(escapers << 1);                                                                    \
        }                                                                                                  \
        uint64_t strings = prefix_xor(quotes) ^ (in_string);                                               \
        if (backslash & ~strings) return UT_LINE_EXACT;                                                    \
        (edges) = quotes;                                                                                  \
        (opening) = quotes & strings;                                                                      \
        (stored)->brackets = (classes).bracket & (run) & ~strings;                                         \
        /* All ones inside a string at bit 63, else 0; the escape carries to the next bit 0. */            \
        (in_string) = (uint64_t)((int64_t)strings >> 63);                                                  \
        (escape) = escapers >> 63;                                                                         \
    } while (0)

/// The opening edges of a block whose strings are 12 or 13 bytes long: those with an edge 13
/// or 14 bytes on, in the block (`edges`) or the next (`next`).
#define UT_NAMED(opening, edges, next) \
    ((opening) & ((edges) >> 13 | (edges) >> 14 | (uint64_t)(next) << 51 | (uint64_t)(next) << 50))

/// The line reader of one classifier, `name`: the blocks from `src`, up to UT_LINE_WINDOW of them and
/// within the `count` readable bytes, each classified, their strings worked out from `state`
/// (which moves past them) and stored, until the block holding the first LF or CR. A last
/// partial block is copied into a zeroed block first (a zero byte is in no class). Returns that
/// line end's offset from `src`, or one of UT_LINE_GOES_ON, UT_LINE_UNENDED, UT_LINE_EXACT. (A
/// macro, as UT_FRAMES_LOOP, that defines the function.)
#define UT_LINE_READER(name, classify, prefix_xor)                                                         \
    static inline long name(const uint8_t *src, size_t count, ut_string_state *state, ut_line_block *out) { \
        uint64_t in_string = (uint64_t)0 - (state)->in_string, escape = (state)->escape;                   \
        /* The block before's edges and opening edges: its named strings need this block's edges. */      \
        uint64_t edges = 0, opening = 0;                                                                   \
        size_t whole = (count) >> 6;                                                                       \
        for (size_t index = 0; index < UT_LINE_WINDOW; index++) {                                         \
            size_t offset = 64 * index;                                                                    \
            ut_line_classes classes;                                                                       \
            if (index < whole) {                                                                           \
                classes = classify(src + offset);                                                          \
            } else {                                                                                       \
                if (offset >= count) return UT_LINE_UNENDED;                                               \
                uint8_t padded[64];                                                                        \
                ut_pad_block(padded, (src) + offset, (count) - offset);                                    \
                classes = classify(padded);                                                                \
            }                                                                                              \
            uint64_t line_end = classes.line_end;                                                          \
            /* The bits before the line's end: all of them where it does not end here. */                  \
            uint64_t run = line_end ? (line_end & ((uint64_t)0 - line_end)) - 1 : ~(uint64_t)0;            \
            uint64_t before = edges, opened_before = opening;                                               \
            UT_LINE_BLOCK(classes, run, in_string, escape, prefix_xor, &out[index], edges, opening);           \
            if (index > 0) out[index - 1].named = UT_NAMED(opened_before, before, edges);                  \
            if (line_end) {                                                                                \
                /* No string closes past the line's end. */                                                \
                out[index].named = UT_NAMED(opening, edges, 0);                                            \
                return (long)(offset + (size_t)__builtin_ctzll(line_end));                                 \
            }                                                                                              \
        }                                                                                                  \
        /* The next window's edges are not known yet: a string that may close there is taken. */          \
        out[UT_LINE_WINDOW - 1].named = UT_NAMED(opening, edges, ~(uint64_t)0);                            \
        (state)->in_string = in_string & 1;                                                                \
        (state)->escape = escape;                                                                          \
        return UT_LINE_GOES_ON;                                                                            \
    }

/// The line classes of a classifier with none of its own: its framing classes (the lead letters
/// unused) and its structure.
#define UT_LINE_CLASSES_OF(name, classes_of, structure_of)                                         \
    static inline ut_line_classes name(const uint8_t *block) {                                     \
        ut_classes classes = classes_of(block);                                                    \
        ut_structure structure = structure_of(block);                                              \
        ut_line_classes line = {classes.line_end, classes.quote, structure.backslash,               \
                                structure.opener | structure.closer};                               \
        return line;                                                                               \
    }

static inline ut_structure ut_structure_scalar_block(const uint8_t *block) { return ut_structure_scalar(block, 64); }
UT_LINE_CLASSES_OF(ut_line_classes_scalar, ut_classes_scalar_block, ut_structure_scalar_block)

UT_LINE_READER(ut_line_scalar, ut_line_classes_scalar, ut_prefix_xor_portable)

#if defined(__x86_64__)
UT_LINE_CLASSES_OF(ut_line_classes_sse2, ut_classes_sse2, ut_structure_sse2)

UT_LINE_READER(ut_line_sse2, ut_line_classes_sse2, ut_prefix_xor_portable)

/// One 32-byte half's line classes, zero-extended.
typedef ut_line_classes ut_line_half;

__attribute__((target("avx2")))
static inline ut_line_half ut_line_half_avx2(const uint8_t *half) {
    // Safe: the caller passes 32 readable bytes.
    __m256i bytes = _mm256_loadu_si256((const __m256i *)half);
    __m256i folded = _mm256_or_si256(bytes, _mm256_set1_epi8(0x20));
    __m256i bracket = _mm256_or_si256(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('{')), _mm256_cmpeq_epi8(folded, _mm256_set1_epi8('}')));
    ut_line_half masks = {
        ut_opaque(_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_shuffle_epi8(_mm256_setr_epi8(UT_LINE_END_TABLE, UT_LINE_END_TABLE), bytes), bytes))),
        ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"')))),
        ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\\')))),
        ut_opaque(_mm256_movemask_epi8(bracket))};
    return masks;
}

__attribute__((target("avx2")))
static inline ut_line_classes ut_line_classes_avx2(const uint8_t *block) {
    ut_line_half low = ut_line_half_avx2(block), high = ut_line_half_avx2(block + 32);
    ut_line_classes line = {ut_join(low.line_end, high.line_end), ut_join(low.quote, high.quote),
                            ut_join(low.backslash, high.backslash), ut_join(low.bracket, high.bracket)};
    return line;
}

__attribute__((target("avx2,pclmul")))
UT_LINE_READER(ut_line_avx2, ut_line_classes_avx2, ut_prefix_xor_clmul)

__attribute__((target("avx512f,avx512bw")))
static inline ut_line_classes ut_line_classes_avx512(const uint8_t *block) {
    // Safe: the caller passes 64 readable bytes.
    __m512i bytes = _mm512_loadu_si512((const void *)block);
    __m512i folded = _mm512_or_si512(bytes, _mm512_set1_epi8(0x20));
    __m512i line_ends = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_setr_epi8(UT_LINE_END_TABLE)), bytes);
    ut_line_classes line;
    line.line_end = _mm512_cmpeq_epi8_mask(line_ends, bytes);
    line.quote = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"'));
    line.backslash = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('\\'));
    line.bracket = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{')) | _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'));
    return line;
}

__attribute__((target("avx512f,avx512bw,pclmul")))
UT_LINE_READER(ut_line_avx512, ut_line_classes_avx512, ut_prefix_xor_clmul)
#elif defined(__aarch64__)
UT_LINE_CLASSES_OF(ut_line_classes_neon, ut_classes_neon, ut_structure_neon)

UT_LINE_READER(ut_line_neon, ut_line_classes_neon, ut_prefix_xor_portable)
#endif

/// The line tier for one classifier: a window of a data line's blocks from `src` (see
/// UT_LINE_READER), of which `count` bytes are readable, given the document's string state before
/// `src` (zeros at the value's start).
typedef long (*ut_line_reader)(const uint8_t *src, size_t count, ut_string_state *state, ut_line_block *out);

/// The line tier of the classifier `kind`, to be kept by the caller and called directly.
static inline ut_line_reader ut_line_reader_for(ut_classifier_kind kind) {
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: return ut_line_avx512;
    case UT_AVX2: return ut_line_avx2;
    case UT_SSE2: return ut_line_sse2;
#elif defined(__aarch64__)
    case UT_NEON: return ut_line_neon;
#endif
    default: return ut_line_scalar;
    }
}

#endif
