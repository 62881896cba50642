/*
 * The C interface (usagetap.h) tested from C, as an embedder calls it. Run by the Swift test
 * CInterfaceTests, built with cc (with AddressSanitizer, and plainly for valgrind memcheck):
 *
 *     usagetap_abi_test FIXTURES_DIR CORPUS_DIR TAPS
 *
 * FIXTURES_DIR "-" leaves the fixtures out (a clone without ../shared).
 *
 * 1. Bad arguments get their status codes and change nothing.
 * 2. Every recorded fixture (NAME.sse beside NAME.expected.json) fed at 1-, 7- and 65,536-byte
 *    slices, through one tap reset between runs, gives its expected record: each field of
 *    usagetap_get_record, and the JSON line of usagetap_get_record_json, which must parse to the
 *    same values. Each fixture's cost by the built-in prices is printed as
 *    "cost NAME TOTAL INPUT CACHED CACHE_WRITE OUTPUT REQUEST WEB_SEARCH UNPRICED" (or
 *    "cost NAME unpriced") for the Swift test to hold against the Swift library's own.
 * 3. TAPS taps' worth of the fuzz corpus (files under CORPUS_DIR's folders, round and round),
 *    each file through a fresh tap, whole and split at a point that moves, with every protocol
 *    in turn: every call must answer USAGETAP_OK and the JSON line must be well formed.
 *
 * 4. Built with -DUSAGETAP_COUNT_ALLOCATIONS (and no sanitizer), malloc and its kin are counted
 *    for the whole process: usagetap_feed must make none, at any slicing of any fixture. The
 *    fixtures are read once first uncounted: the Swift runtime makes some type metadata the first
 *    time a code path runs, once per process, which is not the tap's memory.
 *
 * Prints "ok: ..." lines and exits 0, or names the first failure and exits 1.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "usagetap.h"

static int failures = 0;

#ifdef USAGETAP_COUNT_ALLOCATIONS
/* The process's allocator, counted: this program's definitions come first for every library in
 * it (the Swift runtime inside libusagetap.so included), and hand on to glibc's own. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
static long allocations = 0;
static int counting = 0;
void *malloc(size_t size) { allocations++; return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { allocations++; return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { allocations++; return __libc_realloc(pointer, size); }
void *aligned_alloc(size_t alignment, size_t size) { allocations++; return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    allocations++;
    *out = __libc_memalign(alignment, size);
    return *out ? 0 : 12;
}
#endif

#define CHECK(condition, ...)                                        \
    do {                                                             \
        if (!(condition)) {                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);     \
            fprintf(stderr, __VA_ARGS__);                            \
            fprintf(stderr, "\n");                                   \
            failures++;                                              \
            if (failures > 20) exit(1);                              \
        }                                                            \
    } while (0)

/* ---- files ---- */

static unsigned char *read_file(const char *path, size_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    size_t capacity = 1 << 16, count = 0;
    unsigned char *bytes = malloc(capacity);
    size_t got;
    while (bytes && (got = fread(bytes + count, 1, capacity - count, file)) > 0) {
        count += got;
        if (count == capacity) {
            unsigned char *grown = realloc(bytes, capacity *= 2);
            if (!grown) { free(bytes); bytes = NULL; }
            else bytes = grown;
        }
    }
    fclose(file);
    *length = count;
    return bytes;
}

static int compare_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sorted names in `dir` that end with `suffix` (NULL: all but dot files); free with free_names. */
static char **list_names(const char *dir, const char *suffix, size_t *count) {
    DIR *folder = opendir(dir);
    *count = 0;
    if (!folder) return NULL;
    size_t capacity = 64;
    char **names = malloc(capacity * sizeof *names);
    struct dirent *entry;
    while ((entry = readdir(folder))) {
        size_t length = strlen(entry->d_name);
        if (entry->d_name[0] == '.') continue;
        if (suffix && (length < strlen(suffix) || strcmp(entry->d_name + length - strlen(suffix), suffix) != 0)) continue;
        if (*count == capacity) names = realloc(names, (capacity *= 2) * sizeof *names);
        names[(*count)++] = strdup(entry->d_name);
    }
    closedir(folder);
    qsort(names, *count, sizeof *names, compare_names);
    return names;
}

static void free_names(char **names, size_t count) {
    for (size_t index = 0; index < count; index++) free(names[index]);
    free(names);
}

/* ---- a flat JSON object of scalars (an expected record, or a record's JSON line) ---- */

enum kind { ABSENT, NUL, BOOLEAN, INTEGER, STRING };
struct value { enum kind kind; long long integer; char text[1024]; };

#define FIELD_COUNT 12
static const char *field_names[FIELD_COUNT] = {
    "protocol", "model", "finished", "error", "input_tokens", "output_tokens", "total_tokens",
    "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens", "web_search_requests"};

static int field_index(const char *name, size_t length) {
    for (int index = 0; index < FIELD_COUNT; index++)
        if (strlen(field_names[index]) == length && memcmp(field_names[index], name, length) == 0) return index;
    return -1;
}

static const char *skip_space(const char *at) {
    while (*at == ' ' || *at == '\n' || *at == '\r' || *at == '\t') at++;
    return at;
}

/* A JSON string at `at` (after its quote) into `out` (escapes \" \\ \/ \n \t \uXXXX for ASCII
 * only, which is all the records hold); returns the byte after the closing quote, NULL if bad. */
static const char *parse_string(const char *at, char *out, size_t room) {
    size_t count = 0;
    while (*at && *at != '"') {
        char byte = *at++;
        if (byte == '\\') {
            char escape = *at++;
            if (escape == 'n') byte = '\n';
            else if (escape == 't') byte = '\t';
            else if (escape == 'u') {
                unsigned code = 0;
                if (sscanf(at, "%4x", &code) != 1 || code > 0x7F) return NULL;
                byte = (char)code;
                at += 4;
            } else byte = escape;
        }
        if (count + 1 < room) out[count++] = byte;
    }
    out[count] = 0;
    return *at == '"' ? at + 1 : NULL;
}

/* Parses `{"key": scalar, ...}`; unknown keys are an error. Returns 1 when well formed. */
static int parse_record(const char *text, struct value values[FIELD_COUNT]) {
    for (int index = 0; index < FIELD_COUNT; index++) values[index].kind = ABSENT;
    const char *at = skip_space(text);
    if (*at++ != '{') return 0;
    at = skip_space(at);
    if (*at == '}') return *skip_space(at + 1) == 0;
    for (;;) {
        char key[64];
        if (*at++ != '"' || !(at = parse_string(at, key, sizeof key))) return 0;
        int index = field_index(key, strlen(key));
        if (index < 0) return 0;
        at = skip_space(at);
        if (*at++ != ':') return 0;
        at = skip_space(at);
        struct value *value = &values[index];
        if (*at == '"') {
            value->kind = STRING;
            if (!(at = parse_string(at + 1, value->text, sizeof value->text))) return 0;
        } else if (strncmp(at, "null", 4) == 0) {
            value->kind = NUL;
            at += 4;
        } else if (strncmp(at, "true", 4) == 0 || strncmp(at, "false", 5) == 0) {
            value->kind = BOOLEAN;
            value->integer = *at == 't';
            at += *at == 't' ? 4 : 5;
        } else {
            char *end;
            value->kind = INTEGER;
            value->integer = strtoll(at, &end, 10);
            if (end == at) return 0;
            at = end;
        }
        at = skip_space(at);
        if (*at == ',') { at = skip_space(at + 1); continue; }
        if (*at++ != '}') return 0;
        return *skip_space(at) == 0;
    }
}

/* ---- the record against expected values ---- */

static const char *protocol_name(int32_t protocol) {
    switch (protocol) {
    case USAGETAP_CHAT: return "chat";
    case USAGETAP_RESPONSES: return "responses";
    case USAGETAP_MESSAGES: return "messages";
    case USAGETAP_GEMINI: return "gemini";
    default: return NULL;
    }
}

static void check_text(const char *where, const char *field, const struct value *expected, const char *text, size_t length) {
    if (expected->kind == ABSENT) return;
    if (expected->kind == NUL) {
        CHECK(text == NULL && length == 0, "%s: %s is \"%.*s\", expected null", where, field, (int)length, text ? text : "");
    } else {
        CHECK(text && length == strlen(expected->text) && memcmp(text, expected->text, length) == 0,
              "%s: %s is \"%.*s\", expected \"%s\"", where, field, (int)length, text ? text : "(null)", expected->text);
    }
}

static void check_count(const char *where, const char *field, const struct value *expected, usagetap_count count) {
    if (expected->kind == ABSENT) return;
    if (expected->kind == NUL) {
        CHECK(!count.known, "%s: %s is %lld, expected null", where, field, (long long)count.value);
    } else {
        CHECK(count.known && count.value == expected->integer, "%s: %s is %lld (known %d), expected %lld", where,
              field, (long long)count.value, count.known, expected->integer);
    }
}

static void check_record(const char *where, const usagetap_record *record, const struct value expected[FIELD_COUNT]) {
    const char *protocol = protocol_name(record->protocol);
    check_text(where, "protocol", &expected[0], protocol, protocol ? strlen(protocol) : 0);
    check_text(where, "model", &expected[1], record->model, record->model_length);
    if (expected[2].kind != ABSENT)
        CHECK(record->finished == expected[2].integer, "%s: finished is %d", where, record->finished);
    check_text(where, "error", &expected[3], record->error, record->error_length);
    check_count(where, "input_tokens", &expected[4], record->input_tokens);
    check_count(where, "output_tokens", &expected[5], record->output_tokens);
    check_count(where, "total_tokens", &expected[6], record->total_tokens);
    check_count(where, "cached_input_tokens", &expected[7], record->cached_input_tokens);
    check_count(where, "cache_write_tokens", &expected[8], record->cache_write_tokens);
    check_count(where, "cache_write_1h_tokens", &expected[9], record->cache_write_1h_tokens);
    check_count(where, "reasoning_tokens", &expected[10], record->reasoning_tokens);
    if (expected[11].kind != ABSENT)
        CHECK(record->web_search_requests == expected[11].integer, "%s: web_search_requests is %lld", where,
              (long long)record->web_search_requests);
}

/* The JSON line, read through a buffer too small first (the length it needs comes back). */
static char *record_json(usagetap *tap) {
    size_t length = 0;
    char small[4];
    usagetap_status status = usagetap_get_record_json(tap, small, sizeof small, &length);
    CHECK(status == USAGETAP_ERROR_SPACE && length > 4, "a 4-byte buffer gave %d, length %zu", status, length);
    char *line = malloc(length + 1);
    size_t again = 0;
    status = usagetap_get_record_json(tap, line, length + 1, &again);
    CHECK(status == USAGETAP_OK && again == length && line[length] == 0 && strlen(line) == length,
          "the line's second read gave %d, length %zu of %zu", status, again, length);
    return line;
}

/* ---- 1. arguments ---- */

static void test_arguments(void) {
    CHECK(usagetap_abi_version() == USAGETAP_ABI_VERSION, "abi version %d", usagetap_abi_version());
    CHECK(strlen(usagetap_version()) >= 5, "version \"%s\"", usagetap_version());
    CHECK(usagetap_new((usagetap_protocol)5) == NULL, "protocol 5 made a tap");
    CHECK(usagetap_new((usagetap_protocol)-1) == NULL, "protocol -1 made a tap");
    usagetap *tap = usagetap_new(USAGETAP_CHAT);
    CHECK(tap != NULL, "no tap");
    CHECK(usagetap_feed(NULL, "x", 1) == USAGETAP_ERROR_NULL, "feed of a null tap");
    CHECK(usagetap_feed(tap, NULL, 1) == USAGETAP_ERROR_NULL, "feed of null bytes");
    CHECK(usagetap_feed(tap, NULL, 0) == USAGETAP_OK, "feed of no bytes");
    CHECK(usagetap_feed(tap, "x", SIZE_MAX / 2 + 1) == USAGETAP_ERROR_LENGTH, "feed of SIZE_MAX / 2 + 1 bytes");
    CHECK(usagetap_feed(tap, "x", SIZE_MAX) == USAGETAP_ERROR_LENGTH, "feed of SIZE_MAX bytes");
    CHECK(usagetap_finish(NULL) == USAGETAP_ERROR_NULL, "finish of a null tap");
    CHECK(usagetap_reset(NULL, USAGETAP_AUTO) == USAGETAP_ERROR_NULL, "reset of a null tap");
    CHECK(usagetap_reset(tap, (usagetap_protocol)9) == USAGETAP_ERROR_ARGUMENT, "reset to protocol 9");
    usagetap_record record;
    CHECK(usagetap_get_record(NULL, &record) == USAGETAP_ERROR_NULL, "record of a null tap");
    CHECK(usagetap_get_record(tap, NULL) == USAGETAP_ERROR_NULL, "record into null");
    size_t length;
    CHECK(usagetap_get_record_json(tap, NULL, 0, NULL) == USAGETAP_ERROR_NULL, "json with a null length");
    CHECK(usagetap_get_record_json(tap, NULL, SIZE_MAX, &length) == USAGETAP_ERROR_LENGTH, "json into SIZE_MAX bytes");
    CHECK(usagetap_get_record_json(tap, NULL, 0, &length) == USAGETAP_ERROR_SPACE && length > 0, "json's length");
    /* Nothing above changed the tap: it has read nothing. */
    CHECK(usagetap_get_record(tap, &record) == USAGETAP_OK && !record.input_tokens.known && record.model == NULL &&
              record.protocol == USAGETAP_CHAT,
          "the tap changed");
    usagetap_status status = USAGETAP_OK;
    CHECK(usagetap_prices_load(NULL, &status) == NULL && status == USAGETAP_ERROR_NULL, "prices from a null path");
    CHECK(usagetap_prices_load("/nonexistent/prices.txt", &status) == NULL && status == USAGETAP_ERROR_PRICES,
          "prices from a missing file");
    usagetap_cost cost;
    CHECK(usagetap_get_cost(tap, NULL, &cost) == USAGETAP_ERROR_NULL, "cost without prices");
    usagetap_prices *prices = usagetap_prices_load("default", &status);
    CHECK(prices && status == USAGETAP_OK, "default prices");
    CHECK(usagetap_get_cost(tap, prices, &cost) == USAGETAP_ERROR_UNPRICED, "a record without usage was priced");
    usagetap_prices_free(prices);
    usagetap_prices_free(NULL);
    usagetap_free(tap);
    usagetap_free(NULL);

    static const struct { const char *path; usagetap_protocol protocol; } paths[] = {
        {"/v1/chat/completions", USAGETAP_CHAT},
        {"/openai/deployments/x/chat/completions?api-version=1", USAGETAP_CHAT},
        {"/v1/responses", USAGETAP_RESPONSES},
        {"/anthropic/v1/messages", USAGETAP_MESSAGES},
        {"/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", USAGETAP_GEMINI},
        {"/v1beta/models/gemini-2.5-pro:generateContent", USAGETAP_GEMINI},
        {"/v1/models", USAGETAP_AUTO},
        {"/v1/other?x=/messages", USAGETAP_AUTO},
    };
    for (size_t index = 0; index < sizeof paths / sizeof paths[0]; index++)
        CHECK(usagetap_protocol_for_path(paths[index].path, strlen(paths[index].path)) == paths[index].protocol,
              "path %s", paths[index].path);
    CHECK(usagetap_protocol_for_path(NULL, 5) == USAGETAP_AUTO, "a null path");
    printf("ok: arguments\n");
}

/* ---- 2. fixtures ---- */

static void test_fixtures(const char *dir) {
    size_t count;
    char **names = list_names(dir, ".sse", &count);
    CHECK(count > 0, "no fixtures in %s", dir);
    usagetap_status status;
    usagetap_prices *prices = usagetap_prices_load("default", &status);
    usagetap *tap = usagetap_new(USAGETAP_AUTO);
    static const size_t slices[] = {1, 7, 65536};
    for (size_t index = 0; index < count; index++) {
        char path[4096], where[512];
        size_t length, expected_length;
        snprintf(path, sizeof path, "%s/%s", dir, names[index]);
        unsigned char *stream = read_file(path, &length);
        snprintf(path, sizeof path, "%s/%.*s.expected.json", dir, (int)(strlen(names[index]) - 4), names[index]);
        char *expected_text = (char *)read_file(path, &expected_length);
        CHECK(stream && expected_text, "%s: unreadable", names[index]);
        if (!stream || !expected_text) continue;
        expected_text = realloc(expected_text, expected_length + 1);
        expected_text[expected_length] = 0;
        struct value expected[FIELD_COUNT], line[FIELD_COUNT];
        CHECK(parse_record(expected_text, expected), "%s: expected record does not parse", path);
        for (size_t run = 0; run < 3; run++) {
            snprintf(where, sizeof where, "%s at %zu-byte slices", names[index], slices[run]);
            CHECK(usagetap_reset(tap, USAGETAP_AUTO) == USAGETAP_OK, "%s: reset", where);
#ifdef USAGETAP_COUNT_ALLOCATIONS
            long before = allocations;
#endif
            for (size_t at = 0; at < length; at += slices[run]) {
                size_t piece = length - at < slices[run] ? length - at : slices[run];
                CHECK(usagetap_feed(tap, stream + at, piece) == USAGETAP_OK, "%s: feed", where);
            }
#ifdef USAGETAP_COUNT_ALLOCATIONS
            if (counting) CHECK(allocations == before, "%s: usagetap_feed allocated %ld times", where, allocations - before);
#endif
            CHECK(usagetap_finish(tap) == USAGETAP_OK, "%s: finish", where);
            usagetap_record record;
            CHECK(usagetap_get_record(tap, &record) == USAGETAP_OK, "%s: record", where);
            check_record(where, &record, expected);
            char *json = record_json(tap);
            CHECK(parse_record(json, line), "%s: the JSON line does not parse: %s", where, json);
            /* The line says what the struct says, field for field. */
            check_record(where, &record, line);
            free(json);
        }
        usagetap_cost cost;
        status = usagetap_get_cost(tap, prices, &cost);
        if (status == USAGETAP_OK) {
            CHECK(cost.total_nanos == cost.input_nanos + cost.cached_input_nanos + cost.cache_write_nanos +
                                          cost.output_nanos + cost.request_nanos + cost.web_search_nanos,
                  "%s: the cost's parts do not add up", names[index]);
            printf("cost %.*s %lld %lld %lld %lld %lld %lld %lld %u %.*s\n", (int)(strlen(names[index]) - 4), names[index],
                   (long long)cost.total_nanos, (long long)cost.input_nanos, (long long)cost.cached_input_nanos,
                   (long long)cost.cache_write_nanos, (long long)cost.output_nanos, (long long)cost.request_nanos,
                   (long long)cost.web_search_nanos, cost.unpriced, (int)cost.price_entry_length, cost.price_entry);
        } else {
            CHECK(status == USAGETAP_ERROR_UNPRICED, "%s: cost status %d", names[index], status);
            printf("cost %.*s unpriced\n", (int)(strlen(names[index]) - 4), names[index]);
        }
        free(stream);
        free(expected_text);
    }
    usagetap_free(tap);
    usagetap_prices_free(prices);
    printf("ok: %zu fixtures at 1-, 7- and 65536-byte slices\n", count);
#ifdef USAGETAP_COUNT_ALLOCATIONS
    if (counting) printf("ok: no allocation in usagetap_feed (%ld allocations counted in all)\n", allocations);
#endif
    free_names(names, count);
}

/* ---- 3. the fuzz corpus ---- */

static void test_corpus(const char *dir, long taps) {
    size_t folder_count;
    char **folders = list_names(dir, NULL, &folder_count);
    char **paths = NULL;
    size_t path_count = 0, capacity = 0;
    for (size_t folder = 0; folder < folder_count; folder++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, folders[folder]);
        size_t count;
        char **names = list_names(sub, NULL, &count);
        for (size_t index = 0; index < count; index++) {
            if (path_count == capacity) paths = realloc(paths, (capacity = capacity ? capacity * 2 : 1024) * sizeof *paths);
            size_t length = strlen(sub) + strlen(names[index]) + 2;
            paths[path_count] = malloc(length);
            snprintf(paths[path_count++], length, "%s/%s", sub, names[index]);
        }
        if (names) free_names(names, count);
    }
    if (folders) free_names(folders, folder_count);
    CHECK(path_count > 0, "no corpus under %s", dir);
    if (path_count == 0) return;
    size_t bytes_fed = 0;
    for (long made = 0; made < taps; made++) {
        size_t length;
        unsigned char *input = read_file(paths[made % path_count], &length);
        if (!input) continue;
        usagetap *tap = usagetap_new((usagetap_protocol)(made % 5));
        CHECK(tap != NULL, "tap %ld", made);
        size_t split = length ? (size_t)(made * 7919) % (length + 1) : 0;
        CHECK(usagetap_feed(tap, input, split) == USAGETAP_OK, "corpus feed");
        CHECK(usagetap_feed(tap, input + split, length - split) == USAGETAP_OK, "corpus feed");
        usagetap_record record;
        if (made % 3 != 0) CHECK(usagetap_finish(tap) == USAGETAP_OK, "corpus finish");
        CHECK(usagetap_get_record(tap, &record) == USAGETAP_OK, "corpus record");
        struct value line[FIELD_COUNT];
        char *json = record_json(tap);
        CHECK(parse_record(json, line), "%s: the JSON line does not parse: %s", paths[made % path_count], json);
        free(json);
        usagetap_free(tap);
        free(input);
        bytes_fed += length;
    }
    for (size_t index = 0; index < path_count; index++) free(paths[index]);
    free(paths);
    printf("ok: %ld taps over %zu corpus files, %zu bytes\n", taps, path_count, bytes_fed);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FIXTURES_DIR CORPUS_DIR TAPS\n", argv[0]);
        return 2;
    }
    test_arguments();
    if (strcmp(argv[1], "-") != 0) {
#ifdef USAGETAP_COUNT_ALLOCATIONS
        test_fixtures(argv[1]);
        counting = 1;
#endif
        test_fixtures(argv[1]);
    } else {
        printf("skipped: fixtures (none given)\n");
    }
    test_corpus(argv[2], atol(argv[3]));
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    return 0;
}
