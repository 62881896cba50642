// Stage 1 of the tap, in three tiers, bit i of each mask for byte i of a 64-byte block.
//
// The framing tier runs over the blocks of a slice the event framing walks: line ends, quotes,
// and the letters the event sieve looks for. Most events are framed and sieved and never read
// as JSON, so that is all most bytes cost. The strings tier runs only over the runs of a
// document the JSON reader reads: it takes the document's own string state where the run starts
// (an open string, a pending backslash) and gives the run's string edges, the bytes inside
// strings, and the brackets outside them. The outline tier does both at once for one data line
// whose value is read as a document of its own (a Gemini chunk passed by its structure): its
// blocks, counted from the value's `{`, classified once, up to the root object's end, of which
// it gives only what a reader of the root needs (the root's end, the strings that may be the
// names read, their depth, the ends of the root's members).
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
    /// A quote whose next byte is one of the letters in use (`ut_leads`): the first letters of
    /// the names the event sieve looks for. (At bit 63 the next byte is the next block's first;
    /// where that block is not in the same call, the quote is taken as a candidate all the same.)
    uint64_t candidate;
} ut_frame;

/// One block's classes, before candidates are made of them.
typedef struct {
    uint64_t line_end, quote;
    uint64_t lead;  // the letters in use (ut_leads)
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

/// The letters the framing tier marks the quotes before: the first letters of the names a
/// stream's reader (and so its event sieve) uses, which depend on the protocol. As a table by
/// low nibble, for a byte shuffle or table lookup: each letter at its nibble's entry, and at an
/// entry with no letter a byte of another nibble (with bit 7 set), which no byte equals; a byte
/// is a letter of the table when it equals its nibble's entry. One letter is compared alone
/// (one whose nibble another letter holds, or a letter of the table again). `letters` lists
/// them all, repeated to fill, for the classifiers that compare a letter at a time.
typedef struct {
    uint8_t table[16];
    uint8_t alone;
    uint8_t letters[6];
} ut_leads;

/// The sets of letters a stream may need (see EventSieve).
typedef enum {
    UT_LEADS_ALL = 0,       // e f m r u x: every reader's, while the protocol is not known
    UT_LEADS_CHAT,          // e u x: error, usage, x_groq
    UT_LEADS_CHAT_MODEL,    // e m u x: and model
    UT_LEADS_RESPONSES,     // e r: error, response and response.*
    UT_LEADS_MESSAGES,      // e m: error, message_*
    UT_LEADS_GEMINI,        // f: finishReason
    UT_LEADS_GEMINI_MODEL,  // f m: and modelVersion
} ut_lead_set;

#define UT_NO_LETTER(i) (uint8_t)(0x80 | (((i) + 1) & 15))
#define UT_SLOT(i, a, b, c, d, e)                                                                           \
    (uint8_t)(((a)&15) == (i)   ? (a)                                                                       \
              : ((b)&15) == (i) ? (b)                                                                       \
              : ((c)&15) == (i) ? (c)                                                                       \
              : ((d)&15) == (i) ? (d)                                                                       \
              : ((e)&15) == (i) ? (e)                                                                       \
                                : UT_NO_LETTER(i))
/// The set of letters a to e (no two of one nibble), and `alone`.
#define UT_LEADS(a, b, c, d, e, alone)                                                                      \
    {{UT_SLOT(0, a, b, c, d, e), UT_SLOT(1, a, b, c, d, e), UT_SLOT(2, a, b, c, d, e), UT_SLOT(3, a, b, c, d, e),     \
      UT_SLOT(4, a, b, c, d, e), UT_SLOT(5, a, b, c, d, e), UT_SLOT(6, a, b, c, d, e), UT_SLOT(7, a, b, c, d, e),     \
      UT_SLOT(8, a, b, c, d, e), UT_SLOT(9, a, b, c, d, e), UT_SLOT(10, a, b, c, d, e), UT_SLOT(11, a, b, c, d, e),   \
      UT_SLOT(12, a, b, c, d, e), UT_SLOT(13, a, b, c, d, e), UT_SLOT(14, a, b, c, d, e), UT_SLOT(15, a, b, c, d, e)}, \
     alone, {a, b, c, d, e, alone}}

static const ut_leads ut_lead_sets[] = {
    [UT_LEADS_ALL] = UT_LEADS('e', 'f', 'm', 'r', 'x', 'u'),
    [UT_LEADS_CHAT] = UT_LEADS('e', 'x', 'e', 'e', 'e', 'u'),
    [UT_LEADS_CHAT_MODEL] = UT_LEADS('e', 'm', 'x', 'e', 'e', 'u'),
    [UT_LEADS_RESPONSES] = UT_LEADS('e', 'r', 'e', 'e', 'e', 'r'),
    [UT_LEADS_MESSAGES] = UT_LEADS('e', 'm', 'e', 'e', 'e', 'm'),
    [UT_LEADS_GEMINI] = UT_LEADS('f', 'f', 'f', 'f', 'f', 'f'),
    [UT_LEADS_GEMINI_MODEL] = UT_LEADS('f', 'm', 'f', 'f', 'f', 'f'),
};

/// The letters of `set`, in static storage.
static inline const ut_leads *ut_leads_for(ut_lead_set set) { return &ut_lead_sets[set]; }

/// The strings tier's own bytes of a block.
typedef struct {
    uint64_t backslash, opener, closer;
} ut_structure;

// For x86's byte shuffle (which gives 0 for a byte from 0x80, and else takes its low nibble as
// the index): LF and CR, each at its own low nibble. A byte is one of them when it equals its
// entry (UT_NONE: none, and no entry is 0).
#define UT_NONE ((char)0xFF)
#define UT_LINE_END_TABLE UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, UT_NONE, '\n', UT_NONE, UT_NONE, '\r', UT_NONE, UT_NONE

// Openers and closers are found with one compare each: OR-ing 0x20 takes `[` (5B) to `{` (7B)
// and `]` (5D) to `}` (7D), and no other byte to either.

static inline ut_classes ut_classes_scalar(const uint8_t *block, size_t count, ut_leads leads) {
    ut_classes masks = {0, 0, 0};
    for (size_t i = 0; i < count; i++) {
        uint8_t byte = block[i];
        uint64_t bit = (uint64_t)1 << i;
        if (byte == '\n' || byte == '\r') masks.line_end |= bit;
        if (byte == '"') masks.quote |= bit;
        if (leads.table[byte & 15] == byte || byte == leads.alone) masks.lead |= bit;
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

static inline ut_classes ut_classes_sse2(const uint8_t *block, ut_leads leads) {
    ut_classes masks = {0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        __m128i bytes = _mm_loadu_si128((const __m128i *)(block + 16 * part));
        int shift = 16 * part;
        masks.line_end |= ut_opaque(_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\r'))))) << shift;
        masks.quote |= ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')))) << shift;
        // SSE2 has no byte shuffle: one compare per letter.
        __m128i lead = _mm_cmpeq_epi8(bytes, _mm_set1_epi8((char)leads.letters[0]));
        for (int letter = 1; letter < 6; letter++)
            lead = _mm_or_si128(lead, _mm_cmpeq_epi8(bytes, _mm_set1_epi8((char)leads.letters[letter])));
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
static inline ut_frame_half ut_frame_half_avx2(const uint8_t *half, ut_leads leads, int alone) {
    // Safe: the caller passes 32 readable bytes.
    __m256i bytes = _mm256_loadu_si256((const __m256i *)half);
    ut_frame_half masks;
    // A byte equals its own entry in a table indexed by its low nibble only where the table
    // holds it: LF and CR in one, the letters in the other (and one letter compared alone).
    // Bytes from 0x80 index nothing (the shuffle gives 0) and no entry is 0.
    masks.line_end = ut_opaque(_mm256_movemask_epi8(
        _mm256_cmpeq_epi8(_mm256_shuffle_epi8(_mm256_setr_epi8(UT_LINE_END_TABLE, UT_LINE_END_TABLE), bytes), bytes)));
    masks.quote = ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"'))));
    __m256i table = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)leads.table));
    __m256i lead = _mm256_cmpeq_epi8(_mm256_shuffle_epi8(table, bytes), bytes);
    if (alone) lead = _mm256_or_si256(lead, _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8((char)leads.alone)));
    masks.lead = ut_opaque(_mm256_movemask_epi8(lead));
    return masks;
}

__attribute__((target("avx2")))
static inline ut_classes ut_classes_avx2(const uint8_t *block, ut_leads leads) {
    ut_frame_half low = ut_frame_half_avx2(block, leads, 1), high = ut_frame_half_avx2(block + 32, leads, 1);
    ut_classes masks = {ut_join(low.line_end, high.line_end), ut_join(low.quote, high.quote), ut_join(low.lead, high.lead)};
    return masks;
}

/// The same, for letters that all lie in the table (the one compared alone is one of them).
__attribute__((target("avx2")))
static inline ut_classes ut_classes_avx2_table(const uint8_t *block, ut_leads leads) {
    ut_frame_half low = ut_frame_half_avx2(block, leads, 0), high = ut_frame_half_avx2(block + 32, leads, 0);
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
static inline ut_classes ut_classes_avx512(const uint8_t *block, ut_leads leads) {
    // Safe: the caller passes 64 readable bytes.
    __m512i bytes = _mm512_loadu_si512((const void *)block);
    // The low-nibble tables, as in the AVX2 classifier.
    __m512i line_ends = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_setr_epi8(UT_LINE_END_TABLE)), bytes);
    __m512i letters = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)leads.table)), bytes);
    ut_classes masks;
    masks.line_end = _mm512_cmpeq_epi8_mask(line_ends, bytes);
    masks.quote = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('"'));
    masks.lead = _mm512_cmpeq_epi8_mask(letters, bytes) | _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8((char)leads.alone));
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

// The wide classifiers' prefix XOR uses PCLMULQDQ, and their outline tier POPCNT: every CPU
// with AVX2 has both, checked all the same.
static inline int ut_cpu_has_wide_helpers(void) { return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("popcnt"); }
static inline int ut_cpu_has_avx2(void) { return __builtin_cpu_supports("avx2") && ut_cpu_has_wide_helpers(); }
static inline int ut_cpu_has_avx512bw(void) { return __builtin_cpu_supports("avx512bw") && ut_cpu_has_wide_helpers(); }

static inline ut_classifier_kind ut_detect_classifier(void) {
    const char *forced = getenv("USAGETAP_VECTOR");
    if (forced && strcmp(forced, "scalar") == 0) return UT_SCALAR;
    if (forced && strcmp(forced, "sse2") == 0) return UT_SSE2;
    if (forced && strcmp(forced, "avx2") == 0 && ut_cpu_has_avx2()) return UT_AVX2;
    if (!forced && ut_cpu_has_avx512bw()) return UT_AVX512;
    if (ut_cpu_has_avx2()) return UT_AVX2;
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

static inline ut_classes ut_classes_neon(const uint8_t *block, ut_leads leads) {
    uint8x16_t table = vld1q_u8(leads.table);
    ut_classes masks = {0, 0, 0};
    for (int part = 0; part < 4; part++) {
        // Safe: the caller passes 64 readable bytes.
        uint8x16_t bytes = vld1q_u8(block + 16 * part);
        int shift = 16 * part;
        masks.line_end |= ut_neon_bits(vorrq_u8(vceqq_u8(bytes, vdupq_n_u8('\n')), vceqq_u8(bytes, vdupq_n_u8('\r')))) << shift;
        masks.quote |= ut_neon_bits(vceqq_u8(bytes, vdupq_n_u8('"'))) << shift;
        uint8x16_t letters = vqtbl1q_u8(table, vandq_u8(bytes, vdupq_n_u8(0x0F)));
        masks.lead |= ut_neon_bits(vorrq_u8(vceqq_u8(letters, bytes), vceqq_u8(bytes, vdupq_n_u8(leads.alone)))) << shift;
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
#define UT_FRAMES_LOOP(classify, src, blocks, out, leads)                       \
    do {                                                                        \
        ut_classes current = classify(src, leads);                              \
        size_t index = 1;                                                       \
        /* Two blocks a turn: the classes then pass from one to the next with */ \
        /* no registers to move. */                                             \
        for (; index + 1 < (blocks); index += 2) {                              \
            ut_classes next = classify((src) + 64 * index, leads);              \
            (out)[index - 1] = ut_frame_of(current, next.lead);                 \
            current = classify((src) + 64 * (index + 1), leads);                \
            (out)[index] = ut_frame_of(next, current.lead);                     \
        }                                                                       \
        if (index < (blocks)) {                                                 \
            ut_classes next = classify((src) + 64 * index, leads);              \
            (out)[index - 1] = ut_frame_of(current, next.lead);                 \
            current = next;                                                     \
        }                                                                       \
        (out)[(blocks) - 1] = ut_frame_of(current, 1);                          \
    } while (0)

static inline ut_classes ut_classes_scalar_block(const uint8_t *block, ut_leads leads) { return ut_classes_scalar(block, 64, leads); }

#if defined(__x86_64__)
__attribute__((target("avx2")))
static inline void ut_frames_avx2(const uint8_t *src, size_t blocks, ut_frame *out, ut_leads leads) {
    // Safe: the caller passes `blocks` whole blocks. Where every letter is in the table, the
    // compare of the one alone is left out (two instructions a half).
    if (leads.table[leads.alone & 15] == leads.alone) {
        UT_FRAMES_LOOP(ut_classes_avx2_table, src, blocks, out, leads);
    } else {
        UT_FRAMES_LOOP(ut_classes_avx2, src, blocks, out, leads);
    }
}

__attribute__((target("avx512f,avx512bw")))
static inline void ut_frames_avx512(const uint8_t *src, size_t blocks, ut_frame *out, ut_leads leads) {
    // Safe: the caller passes `blocks` whole blocks.
    UT_FRAMES_LOOP(ut_classes_avx512, src, blocks, out, leads);
}
#endif

/// The framing masks of `blocks` (1 to UT_BATCH) whole 64-byte blocks at `src`, with the
/// classifier `kind` (`ut_classifier()`'s answer, or one the tests name that this CPU has), and
/// the candidates of the letters `leads`.
static inline void ut_frames(ut_classifier_kind kind, const uint8_t *src, size_t blocks, ut_frame *out, const ut_leads *leads) {
    // A copy, which no store to `out` can change: its vectors are made once, out of the loop.
    ut_leads letters = *leads;
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: ut_frames_avx512(src, blocks, out, letters); return;
    case UT_AVX2: ut_frames_avx2(src, blocks, out, letters); return;
    case UT_SSE2:
        UT_FRAMES_LOOP(ut_classes_sse2, src, blocks, out, letters);
        return;
#elif defined(__aarch64__)
    case UT_NEON:
        UT_FRAMES_LOOP(ut_classes_neon, src, blocks, out, letters);
        return;
#endif
    default:
        UT_FRAMES_LOOP(ut_classes_scalar_block, src, blocks, out, letters);
    }
}

/// The framing masks of the last `count` (1 to 63) bytes of a slice; bits from `count` on are 0.
/// Only `count` bytes are read: the scalar loop takes them in place.
static inline ut_frame ut_frame_partial(const uint8_t *bytes, size_t count, const ut_leads *leads) {
    // Bit 63 is past the slice's end: no next byte makes a candidate of it.
    return ut_frame_of(ut_classes_scalar(bytes, count, *leads), 0);
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

// MARK: The outline tier

/// A string of 12 or 13 bytes (the length of the names a Gemini chunk is read for) in a line's
/// root object, as the outline tier gives it.
typedef struct {
    /// Its opening quote, as an offset from the root's `{`.
    int32_t at;
    /// The brackets open around it: 1 for the strings of the root object's own members.
    int32_t depth;
} ut_outline_name;

/// The most strings, and member ends, an outline holds.
enum { UT_OUTLINE_NAMES = 8, UT_OUTLINE_ENDS = 8 };

/// A line's root object as the outline tier reads it: its strings of 12 or 13 bytes, and the
/// closers that leave one bracket open (the ends of the root's members that are containers),
/// each in order.
typedef struct {
    ut_outline_name names[UT_OUTLINE_NAMES];
    int32_t ends[UT_OUTLINE_ENDS];
    int32_t name_count, end_count;
} ut_outline;

/// What a call of the outline tier found, when it found no root's end.
enum {
    /// The line, or the readable bytes, ended before the root closed.
    UT_OUTLINE_OPEN = -1,
    /// A backslash lies outside the strings found (malformed JSON): the bit-parallel reading is
    /// not the sequential one, and the line is to be read another way.
    UT_OUTLINE_EXACT = -2,
    /// The root holds more strings of those lengths, or more members that are containers, than
    /// an outline does.
    UT_OUTLINE_CROWDED = -3,
};

/// One block's classes for the outline tier.
typedef struct {
    uint64_t line_end, quote, backslash, opener, closer;
} ut_line_classes;

/// Copies the last `count` (< 64) bytes of a slice into a zeroed block. Out of line: the loops
/// that call it for their last block keep their vector constants in registers across it.
__attribute__((noinline)) static void ut_pad_block(uint8_t *block, const uint8_t *bytes, size_t count) {
    memset(block, 0, 64);
    memcpy(block, bytes, count);
}

/// The raw quotes of the 16 bytes at `bytes`, all readable.
static inline uint64_t ut_quotes16_scalar(const uint8_t *bytes) {
    uint64_t quotes = 0;
    for (int i = 0; i < 16; i++) quotes |= (uint64_t)(bytes[i] == '"') << i;
    return quotes;
}

/// The opening quotes of a block's strings of 12 or 13 bytes that close in the block: the
/// strings mask (`strings`, bits inside a string and its opening quote) holds bits p to p + 12
/// and its closing quotes (`closing`) bit p + 13, or it holds p + 13 too and they hold p + 14.
static inline uint64_t ut_names_closed(uint64_t opening, uint64_t strings, uint64_t closing) {
    uint64_t inside = strings & strings >> 1;  // p and p + 1
    inside &= inside >> 2;                      // p to p + 3
    inside &= inside >> 4;                      // p to p + 7
    inside &= inside >> 5;                      // p to p + 12
    return opening & inside & (closing >> 13 | (strings >> 13 & closing >> 14));
}

/// The opening quote of a block's string of 12 or 13 bytes that closes in the next block, if
/// any (0 if none): the string open at the block's end, if it opened on bit 50 or later
/// (`last_opening`), and the next block's first raw quote (of `next`, its first 16 bytes) lies
/// 13 or 14 bytes on. (A raw quote may be escaped, and a string with a backslash may close
/// later: no such string is a name, and the reader compares the bytes.)
static inline uint64_t ut_name_open(uint64_t last_opening, uint64_t next) {
    if (next == 0) return 0;
    int closes_at = 64 + __builtin_ctzll(next), opens_at = 63 - __builtin_clzll(last_opening);
    int length = closes_at - opens_at - 1;
    return length == 12 || length == 13 ? (uint64_t)1 << opens_at : 0;
}

/// Adds the strings of `named` (bits of the block at `offset`) to the outline, each with its
/// depth: `depth` at the block's start, and the block's brackets below it. 0 where the outline
/// is full.
static inline int ut_outline_add(ut_outline *out, uint64_t named, size_t offset, long depth, uint64_t opener,
                                 uint64_t closer) {
    do {
        int bit = __builtin_ctzll(named);
        named &= named - 1;
        if (out->name_count == UT_OUTLINE_NAMES) return 0;
        uint64_t below = ((uint64_t)1 << bit) - 1;
        ut_outline_name *name = &out->names[out->name_count++];
        name->at = (int32_t)(offset + (size_t)bit);
        name->depth = (int32_t)(depth + __builtin_popcountll(opener & below) - __builtin_popcountll(closer & below));
    } while (named);
    return 1;
}

/// The outline reader of one classifier, `name`: reads the root object at `src` (its `{`) up
/// to its end, within the `count` readable bytes and before the line's first LF or CR, block by
/// block from `src`, each block classified once. Returns the offset of the root's closing
/// bracket, with `out` holding the root's strings of 12 or 13 bytes and its members' ends; or
/// one of UT_OUTLINE_OPEN, UT_OUTLINE_EXACT, UT_OUTLINE_CROWDED. (A macro, as UT_FRAMES_LOOP,
/// that defines the function.)
///
/// Per block: escapes and strings from its classes and the carries of the blocks before it (as
/// `ut_finish_strings` works them out, here with the carries in registers), the strings of 12
/// or 13 bytes, and the depth from the counts of openers and closers. Only a block where a
/// closer may leave fewer than two brackets open is walked bracket by bracket, for the ends of
/// the root's members and of the root.
#define UT_OUTLINE_READER(name, classify, prefix_xor, quotes16)                                                 \
    static inline long name(const uint8_t *src, size_t count, ut_outline *out) {                               \
        uint64_t in_string = 0, escape = 0;                                                                    \
        long depth = 0;                                                                                        \
        out->name_count = 0;                                                                                   \
        out->end_count = 0;                                                                                    \
        for (size_t offset = 0;; offset += 64) {                                                               \
            ut_line_classes classes;                                                                           \
            if (offset + 64 <= count) {                                                                        \
                classes = classify(src + offset);                                                              \
            } else {                                                                                           \
                if (offset >= count) return UT_OUTLINE_OPEN;                                                   \
                uint8_t padded[64];                                                                            \
                ut_pad_block(padded, src + offset, count - offset);                                            \
                classes = classify(padded);                                                                    \
            }                                                                                                  \
            uint64_t line_end = classes.line_end;                                                              \
            /* The bits before the line's end: all of them where it does not end here. */                      \
            uint64_t run = line_end ? (line_end & ((uint64_t)0 - line_end)) - 1 : ~(uint64_t)0;                \
            uint64_t quotes = classes.quote & run & ~escape;                                                   \
            uint64_t backslash = classes.backslash & run & ~escape;                                            \
            uint64_t escapers = 0;                                                                             \
            if (backslash != 0) {                                                                              \
                escapers = ut_escapers(backslash);                                                             \
                quotes &= ~(escapers << 1);                                                                    \
            }                                                                                                  \
            uint64_t strings = prefix_xor(quotes) ^ in_string;                                                 \
            if (backslash & ~strings) return UT_OUTLINE_EXACT;                                                 \
            uint64_t outside = run & ~strings;                                                                 \
            uint64_t opener = classes.opener & outside, closer = classes.closer & outside;                     \
            uint64_t opening = quotes & strings;                                                               \
            uint64_t named = ut_names_closed(opening, strings, quotes & ~strings);                             \
            if ((int64_t)strings < 0 && opening >> 50 && !line_end) {                                          \
                /* A string open at the block's end, which opened on bit 50 or later, may close */             \
                /* 13 or 14 bytes on (not past the line's end): taken where those are not readable. */         \
                uint64_t last_opening = opening & ~(~(uint64_t)0 >> 1 >> __builtin_clzll(opening));            \
                named |= offset + 80 <= count ? ut_name_open(last_opening, quotes16(src + offset + 64)) : last_opening; \
            }                                                                                                  \
            if (named && !ut_outline_add(out, named, offset, depth, opener, closer)) return UT_OUTLINE_CROWDED; \
            if (closer == 0) {                                                                                 \
                depth += __builtin_popcountll(opener);                                                         \
            } else if (depth + __builtin_popcountll(opener & ((closer & ((uint64_t)0 - closer)) - 1)) -        \
                           __builtin_popcountll(closer) >= 2) {                                                \
                /* No closer here leaves fewer than two brackets open: before the first, the depth */          \
                /* only rose, and no more closers follow than the block has. */                                \
                depth += __builtin_popcountll(opener) - __builtin_popcountll(closer);                          \
            } else {                                                                                           \
                uint64_t brackets = opener | closer;                                                           \
                do {                                                                                           \
                    int bit = __builtin_ctzll(brackets);                                                       \
                    brackets &= brackets - 1;                                                                  \
                    if (opener >> bit & 1) {                                                                   \
                        depth++;                                                                               \
                        continue;                                                                              \
                    }                                                                                          \
                    if (--depth > 1) continue;                                                                 \
                    int32_t at = (int32_t)(offset + (size_t)bit);                                              \
                    if (depth == 0) return at;                                                                 \
                    if (out->end_count == UT_OUTLINE_ENDS) return UT_OUTLINE_CROWDED;                          \
                    out->ends[out->end_count++] = at;                                                          \
                } while (brackets);                                                                            \
            }                                                                                                  \
            if (line_end) return UT_OUTLINE_OPEN;                                                              \
            /* All ones inside a string at bit 63, else 0; the escape carries to the next bit 0. */            \
            in_string = (uint64_t)((int64_t)strings >> 63);                                                    \
            escape = escapers >> 63;                                                                           \
        }                                                                                                      \
    }

/// The line classes of a classifier with none of its own: its framing classes (the lead letters
/// unused) and its structure.
#define UT_LINE_CLASSES_OF(name, classes_of, structure_of)                                         \
    static inline ut_line_classes name(const uint8_t *block) {                                     \
        ut_classes classes = classes_of(block, ut_lead_sets[UT_LEADS_ALL]);                        \
        ut_structure structure = structure_of(block);                                              \
        ut_line_classes line = {classes.line_end, classes.quote, structure.backslash,               \
                                structure.opener, structure.closer};                                \
        return line;                                                                               \
    }

static inline ut_structure ut_structure_scalar_block(const uint8_t *block) { return ut_structure_scalar(block, 64); }
UT_LINE_CLASSES_OF(ut_line_classes_scalar, ut_classes_scalar_block, ut_structure_scalar_block)

UT_OUTLINE_READER(ut_outline_scalar, ut_line_classes_scalar, ut_prefix_xor_portable, ut_quotes16_scalar)

#if defined(__x86_64__)
static inline uint64_t ut_quotes16_sse2(const uint8_t *bytes) {
    // Safe: the caller passes 16 readable bytes.
    return ut_opaque(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)bytes), _mm_set1_epi8('"'))));
}

UT_LINE_CLASSES_OF(ut_line_classes_sse2, ut_classes_sse2, ut_structure_sse2)

UT_OUTLINE_READER(ut_outline_sse2, ut_line_classes_sse2, ut_prefix_xor_portable, ut_quotes16_sse2)

/// One 32-byte half's line classes, zero-extended.
typedef ut_line_classes ut_line_half;

__attribute__((target("avx2")))
static inline ut_line_half ut_line_half_avx2(const uint8_t *half) {
    // Safe: the caller passes 32 readable bytes.
    __m256i bytes = _mm256_loadu_si256((const __m256i *)half);
    __m256i folded = _mm256_or_si256(bytes, _mm256_set1_epi8(0x20));
    ut_line_half masks = {
        ut_opaque(_mm256_movemask_epi8(
            _mm256_cmpeq_epi8(_mm256_shuffle_epi8(_mm256_setr_epi8(UT_LINE_END_TABLE, UT_LINE_END_TABLE), bytes), bytes))),
        ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('"')))),
        ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(bytes, _mm256_set1_epi8('\\')))),
        ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('{')))),
        ut_opaque(_mm256_movemask_epi8(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8('}'))))};
    return masks;
}

__attribute__((target("avx2")))
static inline ut_line_classes ut_line_classes_avx2(const uint8_t *block) {
    ut_line_half low = ut_line_half_avx2(block), high = ut_line_half_avx2(block + 32);
    ut_line_classes line = {ut_join(low.line_end, high.line_end), ut_join(low.quote, high.quote),
                            ut_join(low.backslash, high.backslash), ut_join(low.opener, high.opener),
                            ut_join(low.closer, high.closer)};
    return line;
}

__attribute__((target("avx2,pclmul,popcnt")))
UT_OUTLINE_READER(ut_outline_avx2, ut_line_classes_avx2, ut_prefix_xor_clmul, ut_quotes16_sse2)

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
    line.opener = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('{'));
    line.closer = _mm512_cmpeq_epi8_mask(folded, _mm512_set1_epi8('}'));
    return line;
}

__attribute__((target("avx512f,avx512bw,pclmul,popcnt")))
UT_OUTLINE_READER(ut_outline_avx512, ut_line_classes_avx512, ut_prefix_xor_clmul, ut_quotes16_sse2)
#elif defined(__aarch64__)
UT_LINE_CLASSES_OF(ut_line_classes_neon, ut_classes_neon, ut_structure_neon)

UT_OUTLINE_READER(ut_outline_neon, ut_line_classes_neon, ut_prefix_xor_portable, ut_quotes16_scalar)
#endif

/// The outline tier for one classifier: the root object whose `{` is at `src`, of which `count`
/// bytes are readable (see UT_OUTLINE_READER).
typedef long (*ut_outline_reader)(const uint8_t *src, size_t count, ut_outline *out);

/// The outline tier of the classifier `kind`, to be kept by the caller and called directly.
static inline ut_outline_reader ut_outline_reader_for(ut_classifier_kind kind) {
    switch (kind) {
#if defined(__x86_64__)
    case UT_AVX512: return ut_outline_avx512;
    case UT_AVX2: return ut_outline_avx2;
    case UT_SSE2: return ut_outline_sse2;
#elif defined(__aarch64__)
    case UT_NEON: return ut_outline_neon;
#endif
    default: return ut_outline_scalar;
    }
}

#endif
