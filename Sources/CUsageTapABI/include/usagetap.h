/*
 * usagetap.h: the C interface of UsageTap, the token-usage tap for LLM API responses.
 *
 * A tap reads one response's body (a Server-Sent Events stream or a JSON body) as its bytes pass,
 * without keeping or changing them, and reports the usage the provider wrote in it: the
 * protocol, the model, the seven token counts, web searches, whether the stream finished, and an
 * error code. The record's contract is UsageTap's own (README, "The usage record").
 *
 *     usagetap *tap = usagetap_new(usagetap_protocol_for_path(path, path_length));
 *     while (more) usagetap_feed(tap, bytes, length);   // bytes only read, never kept
 *     usagetap_finish(tap);
 *     usagetap_record record;
 *     usagetap_get_record(tap, &record);
 *     usagetap_free(tap);
 *
 * Rules that hold for every function:
 *
 * - Threads: one tap per stream. A tap is used by one thread at a time; different taps are
 *   independent and may be used on different threads at once. A price table is read-only once
 *   loaded: any number of threads may price with it at the same time.
 * - Memory: usagetap_new and usagetap_prices_load allocate; nothing else does, except
 *   usagetap_get_record_json, usagetap_get_cost and usagetap_get_record, which may allocate
 *   and free temporarily. usagetap_feed never allocates, whatever its input: a tap's memory is
 *   fixed for its life.
 * - Errors are return codes (usagetap_status), never aborts or exits: a null pointer where one
 *   is needed, a length over SIZE_MAX / 2, or a protocol number out of range each get one, and
 *   leave the tap as it was.
 * - Input is hostile-safe: any bytes, split anywhere, give a record (possibly empty) in fixed
 *   memory and linear time.
 */
#ifndef USAGETAP_H
#define USAGETAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface: raised when a function or a struct changes incompatibly. */
#define USAGETAP_ABI_VERSION 1

/* Results. Every function that can fail returns one of these; USAGETAP_OK is 0. */
typedef enum usagetap_status {
    USAGETAP_OK = 0,
    /* A pointer that must not be null was null. */
    USAGETAP_ERROR_NULL = -1,
    /* A length was over SIZE_MAX / 2. */
    USAGETAP_ERROR_LENGTH = -2,
    /* A protocol number out of range, or another argument out of its range. */
    USAGETAP_ERROR_ARGUMENT = -3,
    /* The caller's buffer is too small; the length needed was written. */
    USAGETAP_ERROR_SPACE = -4,
    /* A price file could not be read, or did not parse. */
    USAGETAP_ERROR_PRICES = -5,
    /* The record's model has no price (a cost of zero would be wrong: it is unknown). */
    USAGETAP_ERROR_UNPRICED = -6,
    /* A cost too large for int64_t nano-units (absurd token counts). */
    USAGETAP_ERROR_RANGE = -7,
    /* Memory could not be allocated. */
    USAGETAP_ERROR_MEMORY = -8
} usagetap_status;

/* The APIs a tap reads. USAGETAP_AUTO decides from the first event (or the body) that tells. */
typedef enum usagetap_protocol {
    USAGETAP_AUTO = 0,      /* in a record: no protocol was recognised */
    USAGETAP_CHAT = 1,      /* OpenAI Chat Completions and its copies (Groq, DeepSeek, ...) */
    USAGETAP_RESPONSES = 2, /* OpenAI Responses */
    USAGETAP_MESSAGES = 3,  /* Anthropic Messages */
    USAGETAP_GEMINI = 4     /* Google Gemini generateContent / streamGenerateContent */
} usagetap_protocol;

/* A token count. Unknown is not zero: `known` is 0 until the response reports usage. */
typedef struct usagetap_count {
    int64_t value;
    int32_t known;
} usagetap_count;

/* A response's usage, as read so far (or in all, once the tap is finished). */
typedef struct usagetap_record {
    int32_t protocol; /* a usagetap_protocol; USAGETAP_AUTO when none was recognised */
    int32_t finished; /* 1 once the protocol's terminal event (or a whole JSON body) was read */
    usagetap_count input_tokens;          /* all input, cached and cache-write included */
    usagetap_count output_tokens;         /* all output, reasoning included */
    usagetap_count total_tokens;
    usagetap_count cached_input_tokens;   /* part of input_tokens */
    usagetap_count cache_write_tokens;    /* part of input_tokens */
    usagetap_count cache_write_1h_tokens; /* part of cache_write_tokens */
    usagetap_count reasoning_tokens;      /* part of output_tokens */
    int64_t web_search_requests;
    /* The model and the error code as UTF-8, not NUL-terminated; NULL (length 0) when absent.
     * They point into the tap's own storage: valid until the tap is reset or freed, and they
     * hold what the last usagetap_get_record call read. */
    const char *model;
    size_t model_length;
    const char *error;
    size_t error_length;
} usagetap_record;

/* A tap; opaque. */
typedef struct usagetap usagetap;

/* This library's version, as "MAJOR.MINOR.PATCH" (static storage). */
const char *usagetap_version(void);

/* USAGETAP_ABI_VERSION as this library was built with it: compare it with the header's. */
int usagetap_abi_version(void);

/* The protocol a request's path names, as UsageTap's proxy reads it (the query is ignored; a
 * gateway prefix before the provider's path is allowed): ".../chat/completions" is chat,
 * ".../responses" responses, ".../messages" messages, "...:generateContent" and
 * "...:streamGenerateContent" gemini; anything else, or a null path, USAGETAP_AUTO. */
usagetap_protocol usagetap_protocol_for_path(const char *path, size_t length);

/* A tap for one response, reading `protocol` (USAGETAP_AUTO to detect it). NULL when the
 * protocol is out of range or memory runs out. The caller owns the tap: usagetap_free it. */
usagetap *usagetap_new(usagetap_protocol protocol);

/* Reads the next `length` bytes of the body. They are only read, during the call, and not
 * kept. Bytes may be split anywhere: the record is the same for any split. Never allocates.
 * `bytes` may be NULL when `length` is 0. Input after usagetap_finish is ignored. */
usagetap_status usagetap_feed(usagetap *tap, const void *bytes, size_t length);

/* Ends the response: an event cut off before its blank line, or a body before its end, is not
 * counted. Call it once the body has ended; a record read without it is the usage so far (what
 * a client that went away had received). */
usagetap_status usagetap_finish(usagetap *tap);

/* Starts the tap over for another response, reading `protocol`, without allocating. The
 * record's model and error pointers given before are no longer valid. */
usagetap_status usagetap_reset(usagetap *tap, usagetap_protocol protocol);

/* Frees the tap. NULL is allowed and does nothing. */
void usagetap_free(usagetap *tap);

/* The usage read so far into `*record` (see usagetap_record for the lifetime of its strings). */
usagetap_status usagetap_get_record(usagetap *tap, usagetap_record *record);

/* The record as one line of JSON (UsageTap's record layout, no newline), written to `buffer`
 * when it has room for it and a terminating NUL. `*length` receives the line's length without
 * the NUL, also when the buffer is too small (USAGETAP_ERROR_SPACE): call again with
 * `*length + 1` bytes. `buffer` may be NULL when `capacity` is 0. */
usagetap_status usagetap_get_record_json(usagetap *tap, char *buffer, size_t capacity, size_t *length);

/* Prices: a table loaded once and shared read-only by any number of taps and threads. */
typedef struct usagetap_prices usagetap_prices;

/* Loads a price file: UsageTap's text format, or LiteLLM's JSON (a file that starts with '{').
 * `path` is a NUL-terminated file name, or "default" for the table built into the library.
 * NULL on failure, with the reason in `*status` when `status` is not NULL. The caller owns the
 * table: usagetap_prices_free it once no thread prices with it. */
usagetap_prices *usagetap_prices_load(const char *path, usagetap_status *status);

/* Frees a table. NULL is allowed and does nothing. */
void usagetap_prices_free(usagetap_prices *prices);

/* Bits of `usagetap_cost.unpriced`: usage the price entry has no price for, counted as 0 and
 * named so that it is not silently free. (Cache reads and writes without a price of their own
 * are priced at the input price, as LiteLLM does.) */
#define USAGETAP_UNPRICED_WEB_SEARCH 0x01u

/* A response's cost in nano-units of the table's currency (1 USD = 1,000,000,000), each part
 * rounded half-up to a whole nano-unit once; total is the parts' exact sum, rounded once. */
typedef struct usagetap_cost {
    int64_t total_nanos;
    int64_t input_nanos;        /* uncached input */
    int64_t cached_input_nanos;
    int64_t cache_write_nanos;
    int64_t output_nanos;
    int64_t request_nanos;      /* a price per call */
    int64_t web_search_nanos;
    uint32_t unpriced;          /* USAGETAP_UNPRICED_* bits */
    /* 1 when the cached and cache-write counts add up to more than the input (the input part is
     * then 0): a provider's inconsistency, worth a look. */
    int32_t parts_exceed_input;
    /* The price entry the model matched (UTF-8, not NUL-terminated), in the tap's storage:
     * valid until the tap is reset or freed, holding the last usagetap_get_cost call's. */
    const char *price_entry;
    size_t price_entry_length;
} usagetap_cost;

/* The cost of the tap's record so far by `prices`. USAGETAP_ERROR_UNPRICED when the model is
 * unknown or has no price (nothing is written then: unknown is not zero). */
usagetap_status usagetap_get_cost(usagetap *tap, const usagetap_prices *prices, usagetap_cost *cost);

#ifdef __cplusplus
}
#endif

#endif /* USAGETAP_H */
