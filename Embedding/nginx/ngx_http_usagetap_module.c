/*
 * ngx_http_usagetap_module: reads the token usage of proxied LLM API responses as they pass
 * through nginx, with UsageTap's C interface, and exposes it to log_format as variables.
 *
 * A body filter: every buffer of a proxied response is fed to the request's tap where it lies,
 * neither copied nor changed, and passed on. A buffer nginx has spilled to a temporary file is
 * read back in pieces; a gzip or deflate body is read through an inflated copy (the client
 * still gets the compressed bytes). The record is read when a variable asks, so a client that
 * goes away mid-stream still gets the usage seen so far logged.
 *
 *     usagetap on | off;                      http, server, location (default off)
 *     usagetap_protocol auto | chat | responses | messages | gemini;
 *                                             default: from the request's path, as UsageTap's
 *                                             proxy reads it (else auto)
 *     usagetap_prices FILE | default;         prices for $usagetap_cost_nanos
 *
 * Variables: $usagetap_protocol, $usagetap_model, $usagetap_error, $usagetap_finished ("true" or
 * "false"), $usagetap_input_tokens, $usagetap_output_tokens, $usagetap_total_tokens,
 * $usagetap_cached_input_tokens, $usagetap_cache_write_tokens, $usagetap_cache_write_1h_tokens,
 * $usagetap_reasoning_tokens, $usagetap_web_search_requests, $usagetap_record (the record as
 * one JSON line), $usagetap_cost_nanos. A value the response did not give is not found ("-" in
 * a plain log_format, "" with escape=json): unknown is not zero.
 */
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <zlib.h>

#include "usagetap.h"

/* The bytes a spilled buffer is read back in, and an inflated body is read through. */
#define USAGETAP_PIECE 16384

typedef struct {
    ngx_flag_t enable;
    /* A usagetap_protocol, or NGX_CONF_UNSET_UINT for "from the path". */
    ngx_uint_t protocol;
    usagetap_prices *prices;
} ngx_http_usagetap_loc_conf_t;

typedef enum { USAGETAP_IDENTITY, USAGETAP_INFLATING, USAGETAP_INFLATE_FAILED } ngx_http_usagetap_coding_e;

typedef struct {
    usagetap *tap;
    usagetap_prices *prices;
    ngx_http_usagetap_coding_e coding;
    z_stream zstream;
    /* USAGETAP_PIECE bytes each from the request's pool, made on first need and kept: `piece`
     * takes inflated bytes, `file_piece` bytes read back from a temporary file. */
    u_char *piece;
    u_char *file_piece;
    /* The record as last read, and the tap's changes (feeds and its finish) counted then. */
    usagetap_record record;
    ngx_uint_t changes;
    ngx_uint_t changes_at_read;
    unsigned record_read : 1;
} ngx_http_usagetap_ctx_t;

static ngx_int_t ngx_http_usagetap_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_usagetap_init(ngx_conf_t *cf);
static void *ngx_http_usagetap_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_usagetap_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static char *ngx_http_usagetap_prices(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

static ngx_conf_enum_t ngx_http_usagetap_protocols[] = {
    {ngx_string("auto"), USAGETAP_AUTO},
    {ngx_string("chat"), USAGETAP_CHAT},
    {ngx_string("responses"), USAGETAP_RESPONSES},
    {ngx_string("messages"), USAGETAP_MESSAGES},
    {ngx_string("gemini"), USAGETAP_GEMINI},
    {ngx_null_string, 0}};

static ngx_command_t ngx_http_usagetap_commands[] = {
    {ngx_string("usagetap"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_FLAG,
     ngx_conf_set_flag_slot, NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_usagetap_loc_conf_t, enable), NULL},
    {ngx_string("usagetap_protocol"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET, offsetof(ngx_http_usagetap_loc_conf_t, protocol),
     ngx_http_usagetap_protocols},
    {ngx_string("usagetap_prices"), NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | NGX_CONF_TAKE1,
     ngx_http_usagetap_prices, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    ngx_null_command};

static ngx_http_module_t ngx_http_usagetap_module_ctx = {
    ngx_http_usagetap_add_variables, /* preconfiguration */
    ngx_http_usagetap_init,          /* postconfiguration */
    NULL, NULL, NULL, NULL,
    ngx_http_usagetap_create_loc_conf,
    ngx_http_usagetap_merge_loc_conf};

static void ngx_http_usagetap_exit_process(ngx_cycle_t *cycle);

ngx_module_t ngx_http_usagetap_module = {
    NGX_MODULE_V1, &ngx_http_usagetap_module_ctx, ngx_http_usagetap_commands, NGX_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL, ngx_http_usagetap_exit_process, NULL, NGX_MODULE_V1_PADDING};

static ngx_http_output_header_filter_pt ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt ngx_http_next_body_filter;

/* ---- configuration ---- */

static void *ngx_http_usagetap_create_loc_conf(ngx_conf_t *cf) {
    ngx_http_usagetap_loc_conf_t *conf = ngx_pcalloc(cf->pool, sizeof(ngx_http_usagetap_loc_conf_t));
    if (conf == NULL) return NULL;
    conf->enable = NGX_CONF_UNSET;
    conf->protocol = NGX_CONF_UNSET_UINT;
    conf->prices = NGX_CONF_UNSET_PTR;
    return conf;
}

static char *ngx_http_usagetap_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child) {
    ngx_http_usagetap_loc_conf_t *prev = parent, *conf = child;
    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    /* Left unset, the protocol comes from each request's path. */
    if (conf->protocol == NGX_CONF_UNSET_UINT) conf->protocol = prev->protocol;
    ngx_conf_merge_ptr_value(conf->prices, prev->prices, NULL);
    return NGX_CONF_OK;
}

static void ngx_http_usagetap_free_prices(void *data) { usagetap_prices_free(data); }

/* `usagetap_prices FILE;`: the table is loaded once, when the configuration is read, and shared
 * read-only by every request of every worker (forked after loading). */
static char *ngx_http_usagetap_prices(ngx_conf_t *cf, ngx_command_t *cmd, void *conf) {
    ngx_http_usagetap_loc_conf_t *lcf = conf;
    ngx_str_t *value = cf->args->elts;
    (void)cmd;
    if (lcf->prices != NGX_CONF_UNSET_PTR) return "is duplicate";
    ngx_str_t path = value[1];
    if (ngx_strcmp(path.data, "default") != 0 && ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) return NGX_CONF_ERROR;
    usagetap_status status = USAGETAP_OK;
    lcf->prices = usagetap_prices_load((const char *)path.data, &status);
    if (lcf->prices == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "usagetap_prices: \"%V\" could not be loaded (status %d)", &path, (int)status);
        return NGX_CONF_ERROR;
    }
    ngx_pool_cleanup_t *cleanup = ngx_pool_cleanup_add(cf->pool, 0);
    if (cleanup == NULL) return NGX_CONF_ERROR;
    cleanup->handler = ngx_http_usagetap_free_prices;
    cleanup->data = lcf->prices;
    return NGX_CONF_OK;
}

/* ---- taps kept for reuse ---- */

/* A worker keeps the taps of finished requests and starts them over for the next ones
 * (usagetap_reset allocates nothing), instead of making and freeing one per request. Workers
 * run their filters on one thread, so the pool needs no lock. */
#define USAGETAP_POOL 64
static usagetap *ngx_http_usagetap_pool[USAGETAP_POOL];
static ngx_uint_t ngx_http_usagetap_pooled;

static usagetap *ngx_http_usagetap_take(usagetap_protocol protocol) {
    while (ngx_http_usagetap_pooled > 0) {
        usagetap *tap = ngx_http_usagetap_pool[--ngx_http_usagetap_pooled];
        if (usagetap_reset(tap, protocol) == USAGETAP_OK) return tap;
        usagetap_free(tap);
    }
    return usagetap_new(protocol);
}

static void ngx_http_usagetap_give_back(usagetap *tap) {
    if (ngx_http_usagetap_pooled < USAGETAP_POOL) ngx_http_usagetap_pool[ngx_http_usagetap_pooled++] = tap;
    else usagetap_free(tap);
}

static void ngx_http_usagetap_exit_process(ngx_cycle_t *cycle) {
    (void)cycle;
    while (ngx_http_usagetap_pooled > 0) usagetap_free(ngx_http_usagetap_pool[--ngx_http_usagetap_pooled]);
}

/* ---- the filters ---- */

static void ngx_http_usagetap_cleanup(void *data) {
    ngx_http_usagetap_ctx_t *ctx = data;
    if (ctx->coding == USAGETAP_INFLATING) inflateEnd(&ctx->zstream);
    ngx_http_usagetap_give_back(ctx->tap);
}

static ngx_int_t ngx_http_usagetap_header_filter(ngx_http_request_t *r) {
    ngx_http_usagetap_loc_conf_t *conf = ngx_http_get_module_loc_conf(r, ngx_http_usagetap_module);
    /* Proxied responses of main requests only: a subrequest's body is part of its parent's. */
    if (!conf->enable || r->upstream == NULL || r != r->main) return ngx_http_next_header_filter(r);

    ngx_http_usagetap_ctx_t *ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_usagetap_ctx_t));
    ngx_pool_cleanup_t *cleanup = ngx_pool_cleanup_add(r->pool, 0);
    if (ctx == NULL || cleanup == NULL) return NGX_ERROR;
    usagetap_protocol protocol = conf->protocol != NGX_CONF_UNSET_UINT
                                     ? (usagetap_protocol)conf->protocol
                                     : usagetap_protocol_for_path((const char *)r->uri.data, r->uri.len);
    ctx->tap = ngx_http_usagetap_take(protocol);
    if (ctx->tap == NULL) return NGX_ERROR;
    ctx->prices = conf->prices;
    cleanup->handler = ngx_http_usagetap_cleanup;
    cleanup->data = ctx;

    /* gzip and deflate bodies are read through an inflated copy (window bits 15 + 32: a gzip or
     * zlib header, detected). Any other coding is read as it is, and counts nothing unless it
     * is plain text. */
    ngx_table_elt_t *coding = r->headers_out.content_encoding;
    if (coding && coding->value.len &&
        ((coding->value.len == 4 && ngx_strncasecmp(coding->value.data, (u_char *)"gzip", 4) == 0) ||
         (coding->value.len == 7 && ngx_strncasecmp(coding->value.data, (u_char *)"deflate", 7) == 0))) {
        ctx->coding = inflateInit2(&ctx->zstream, 15 + 32) == Z_OK ? USAGETAP_INFLATING : USAGETAP_INFLATE_FAILED;
    }
    ngx_http_set_ctx(r, ctx, ngx_http_usagetap_module);
    return ngx_http_next_header_filter(r);
}

/* `*piece`, made from the request's pool the first time it is needed. */
static u_char *ngx_http_usagetap_piece(ngx_http_request_t *r, u_char **piece) {
    if (*piece == NULL) *piece = ngx_palloc(r->pool, USAGETAP_PIECE);
    return *piece;
}

/* Reads `length` bytes of the body into the tap: as they are, or inflated. */
static ngx_int_t ngx_http_usagetap_read(ngx_http_request_t *r, ngx_http_usagetap_ctx_t *ctx, u_char *bytes, size_t length) {
    if (ctx->coding == USAGETAP_IDENTITY) {
        ctx->changes++;
        return usagetap_feed(ctx->tap, bytes, length) == USAGETAP_OK ? NGX_OK : NGX_ERROR;
    }
    if (ctx->coding != USAGETAP_INFLATING) return NGX_OK;
    if (ngx_http_usagetap_piece(r, &ctx->piece) == NULL) return NGX_ERROR;
    ctx->zstream.next_in = bytes;
    ctx->zstream.avail_in = length;
    while (ctx->zstream.avail_in > 0) {
        ctx->zstream.next_out = ctx->piece;
        ctx->zstream.avail_out = USAGETAP_PIECE;
        int result = inflate(&ctx->zstream, Z_NO_FLUSH);
        size_t made = USAGETAP_PIECE - ctx->zstream.avail_out;
        ctx->changes++;
        if (made && usagetap_feed(ctx->tap, ctx->piece, made) != USAGETAP_OK) return NGX_ERROR;
        if (result == Z_STREAM_END) {
            /* Another gzip member may follow (concatenated members are one body). */
            if (inflateReset(&ctx->zstream) != Z_OK) break;
        } else if (result != Z_OK && !(result == Z_BUF_ERROR && made > 0)) {
            /* A broken body: what was inflated so far is read, the rest is not. */
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0, "usagetap: the body does not inflate (zlib %d)", result);
            inflateEnd(&ctx->zstream);
            ctx->coding = USAGETAP_INFLATE_FAILED;
            return NGX_OK;
        }
    }
    return NGX_OK;
}

/* A buffer nginx has written to a temporary file: read back in pieces, without changing it. */
static ngx_int_t ngx_http_usagetap_read_file(ngx_http_request_t *r, ngx_http_usagetap_ctx_t *ctx, ngx_buf_t *buf) {
    /* Its own piece, made once: a gzip body is inflated from it into `piece`. (One from the pool
     * per spilled buffer would pile up until the request ends.) */
    u_char *scratch = ngx_http_usagetap_piece(r, &ctx->file_piece);
    if (scratch == NULL) return NGX_ERROR;
    for (off_t at = buf->file_pos; at < buf->file_last;) {
        size_t size = (size_t)ngx_min((off_t)USAGETAP_PIECE, buf->file_last - at);
        ssize_t got = ngx_read_file(buf->file, scratch, size, at);
        if (got <= 0) return NGX_ERROR;
        if (ngx_http_usagetap_read(r, ctx, scratch, (size_t)got) != NGX_OK) return NGX_ERROR;
        at += got;
    }
    return NGX_OK;
}

static ngx_int_t ngx_http_usagetap_body_filter(ngx_http_request_t *r, ngx_chain_t *in) {
    ngx_http_usagetap_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_usagetap_module);
    if (ctx == NULL) return ngx_http_next_body_filter(r, in);
    for (ngx_chain_t *link = in; link; link = link->next) {
        ngx_buf_t *buf = link->buf;
        ngx_int_t read = NGX_OK;
        if (ngx_buf_in_memory(buf)) {
            if (buf->last > buf->pos) read = ngx_http_usagetap_read(r, ctx, buf->pos, (size_t)(buf->last - buf->pos));
        } else if (buf->in_file && buf->file_last > buf->file_pos) {
            read = ngx_http_usagetap_read_file(r, ctx, buf);
        }
        if (read != NGX_OK) {
            /* The tap cannot fail on any bytes; a failed allocation or read only ends its reading. */
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0, "usagetap: stopped reading this response");
            ngx_http_set_ctx(r, NULL, ngx_http_usagetap_module);
            break;
        }
        if (buf->last_buf) {
            usagetap_finish(ctx->tap);
            ctx->changes++;
        }
    }
    return ngx_http_next_body_filter(r, in);
}

static ngx_int_t ngx_http_usagetap_init(ngx_conf_t *cf) {
    (void)cf;
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_usagetap_header_filter;
    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_usagetap_body_filter;
    return NGX_OK;
}

/* ---- variables ---- */

enum {
    VAR_PROTOCOL, VAR_MODEL, VAR_ERROR, VAR_FINISHED, VAR_INPUT, VAR_OUTPUT, VAR_TOTAL, VAR_CACHED,
    VAR_CACHE_WRITE, VAR_CACHE_WRITE_1H, VAR_REASONING, VAR_WEB_SEARCH, VAR_RECORD, VAR_COST
};

/* The request's record, read again only when the tap has changed since the last read. */
static usagetap_record *ngx_http_usagetap_record(ngx_http_request_t *r, ngx_http_usagetap_ctx_t **found) {
    ngx_http_usagetap_ctx_t *ctx = ngx_http_get_module_ctx(r->main, ngx_http_usagetap_module);
    *found = ctx;
    if (ctx == NULL) return NULL;
    if (!ctx->record_read || ctx->changes_at_read != ctx->changes) {
        if (usagetap_get_record(ctx->tap, &ctx->record) != USAGETAP_OK) return NULL;
        ctx->record_read = 1;
        ctx->changes_at_read = ctx->changes;
    }
    return &ctx->record;
}

/* `v` holds `length` bytes at `data`, which live as long as the request. */
static ngx_int_t ngx_http_usagetap_found(ngx_http_variable_value_t *v, u_char *data, size_t length) {
    v->data = data;
    v->len = length;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    return NGX_OK;
}

static ngx_int_t ngx_http_usagetap_set_text(ngx_http_request_t *r, ngx_http_variable_value_t *v, const char *text, size_t length) {
    if (text == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }
    /* A copy in the request's pool: the tap's storage is rewritten by its next read. */
    u_char *copy = ngx_pnalloc(r->pool, length ? length : 1);
    if (copy == NULL) return NGX_ERROR;
    ngx_memcpy(copy, text, length);
    return ngx_http_usagetap_found(v, copy, length);
}

static ngx_int_t ngx_http_usagetap_set_integer(ngx_http_request_t *r, ngx_http_variable_value_t *v, int64_t value) {
    u_char *text = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (text == NULL) return NGX_ERROR;
    return ngx_http_usagetap_set_text(r, v, (const char *)text, (size_t)(ngx_sprintf(text, "%L", value) - text));
}

static ngx_int_t ngx_http_usagetap_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v, uintptr_t data) {
    ngx_http_usagetap_ctx_t *ctx;
    usagetap_record *record = ngx_http_usagetap_record(r, &ctx);
    if (record == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }
    const usagetap_count *count = NULL;
    switch (data) {
    case VAR_PROTOCOL: {
        static const char *names[] = {NULL, "chat", "responses", "messages", "gemini"};
        const char *name = record->protocol > 0 && record->protocol < 5 ? names[record->protocol] : NULL;
        return ngx_http_usagetap_set_text(r, v, name, name ? ngx_strlen(name) : 0);
    }
    case VAR_MODEL: return ngx_http_usagetap_set_text(r, v, record->model, record->model_length);
    case VAR_ERROR: return ngx_http_usagetap_set_text(r, v, record->error, record->error_length);
    case VAR_FINISHED: return ngx_http_usagetap_set_text(r, v, record->finished ? "true" : "false", record->finished ? 4 : 5);
    case VAR_INPUT: count = &record->input_tokens; break;
    case VAR_OUTPUT: count = &record->output_tokens; break;
    case VAR_TOTAL: count = &record->total_tokens; break;
    case VAR_CACHED: count = &record->cached_input_tokens; break;
    case VAR_CACHE_WRITE: count = &record->cache_write_tokens; break;
    case VAR_CACHE_WRITE_1H: count = &record->cache_write_1h_tokens; break;
    case VAR_REASONING: count = &record->reasoning_tokens; break;
    case VAR_WEB_SEARCH: return ngx_http_usagetap_set_integer(r, v, record->web_search_requests);
    case VAR_RECORD: {
        /* One call into a buffer that nearly every record fits, a second only for the rest. */
        size_t length = 0, room = 512;
        u_char *line = ngx_pnalloc(r->pool, room);
        if (line == NULL) return NGX_ERROR;
        usagetap_status status = usagetap_get_record_json(ctx->tap, (char *)line, room, &length);
        if (status == USAGETAP_ERROR_SPACE) {
            if ((line = ngx_pnalloc(r->pool, length + 1)) == NULL) return NGX_ERROR;
            status = usagetap_get_record_json(ctx->tap, (char *)line, length + 1, &length);
        }
        if (status != USAGETAP_OK) {
            v->not_found = 1;
            return NGX_OK;
        }
        return ngx_http_usagetap_found(v, line, length);
    }
    case VAR_COST: {
        usagetap_cost cost;
        if (ctx->prices == NULL || usagetap_get_cost(ctx->tap, ctx->prices, &cost) != USAGETAP_OK) {
            v->not_found = 1;
            return NGX_OK;
        }
        return ngx_http_usagetap_set_integer(r, v, cost.total_nanos);
    }
    }
    if (count == NULL || !count->known) {
        v->not_found = 1;
        return NGX_OK;
    }
    return ngx_http_usagetap_set_integer(r, v, count->value);
}

static ngx_int_t ngx_http_usagetap_add_variables(ngx_conf_t *cf) {
    static const struct { ngx_str_t name; uintptr_t data; } variables[] = {
        {ngx_string("usagetap_protocol"), VAR_PROTOCOL},
        {ngx_string("usagetap_model"), VAR_MODEL},
        {ngx_string("usagetap_error"), VAR_ERROR},
        {ngx_string("usagetap_finished"), VAR_FINISHED},
        {ngx_string("usagetap_input_tokens"), VAR_INPUT},
        {ngx_string("usagetap_output_tokens"), VAR_OUTPUT},
        {ngx_string("usagetap_total_tokens"), VAR_TOTAL},
        {ngx_string("usagetap_cached_input_tokens"), VAR_CACHED},
        {ngx_string("usagetap_cache_write_tokens"), VAR_CACHE_WRITE},
        {ngx_string("usagetap_cache_write_1h_tokens"), VAR_CACHE_WRITE_1H},
        {ngx_string("usagetap_reasoning_tokens"), VAR_REASONING},
        {ngx_string("usagetap_web_search_requests"), VAR_WEB_SEARCH},
        {ngx_string("usagetap_record"), VAR_RECORD},
        {ngx_string("usagetap_cost_nanos"), VAR_COST},
    };
    for (size_t index = 0; index < sizeof variables / sizeof variables[0]; index++) {
        ngx_str_t name = variables[index].name;
        ngx_http_variable_t *variable = ngx_http_add_variable(cf, &name, NGX_HTTP_VAR_NOCACHEABLE);
        if (variable == NULL) return NGX_ERROR;
        variable->get_handler = ngx_http_usagetap_variable;
        variable->data = variables[index].data;
    }
    return NGX_OK;
}
