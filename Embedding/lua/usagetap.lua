-- UsageTap's C interface for LuaJIT (OpenResty, Kong), through the FFI: no C module to build.
--
--   local usagetap = require "usagetap"        -- with package.path naming this folder
--   -- header_filter_by_lua_block:
--   ngx.ctx.tap = usagetap.new(usagetap.protocol_for_path(ngx.var.uri))
--   -- body_filter_by_lua_block (the chunk is only read; ngx.arg[1] is passed on unchanged):
--   local tap = ngx.ctx.tap
--   if tap then tap:feed(ngx.arg[1]); if ngx.arg[2] then tap:finish() end end
--   -- then tap:record() (a table; nil for unknown counts) or tap:record_json()
--
-- libusagetap.so is loaded from $USAGETAP_LIBRARY, else by name from the loader's path
-- (Embedding/c/build prints the folder that holds it). A tap is freed by the garbage collector,
-- or at once with tap:free().
local ffi = require "ffi"

-- usagetap.h's declarations, restated: LuaJIT's cdef reads no preprocessor lines, so it cannot
-- take the header itself. The tests hold the two together by the records they read.
ffi.cdef [[
typedef struct usagetap usagetap;
typedef struct usagetap_prices usagetap_prices;
typedef struct { int64_t value; int32_t known; } usagetap_count;
typedef struct {
    int32_t protocol; int32_t finished;
    usagetap_count input_tokens, output_tokens, total_tokens, cached_input_tokens,
                   cache_write_tokens, cache_write_1h_tokens, reasoning_tokens;
    int64_t web_search_requests;
    const char *model; size_t model_length;
    const char *error; size_t error_length;
} usagetap_record;
typedef struct {
    int64_t total_nanos, input_nanos, cached_input_nanos, cache_write_nanos, output_nanos,
            request_nanos, web_search_nanos;
    uint32_t unpriced; int32_t parts_exceed_input;
    const char *price_entry; size_t price_entry_length;
} usagetap_cost;
const char *usagetap_version(void);
int usagetap_protocol_for_path(const char *path, size_t length);
usagetap *usagetap_new(int protocol);
int usagetap_feed(usagetap *tap, const void *bytes, size_t length);
int usagetap_finish(usagetap *tap);
int usagetap_reset(usagetap *tap, int protocol);
void usagetap_free(usagetap *tap);
int usagetap_get_record(usagetap *tap, usagetap_record *record);
int usagetap_get_record_json(usagetap *tap, char *buffer, size_t capacity, size_t *length);
usagetap_prices *usagetap_prices_load(const char *path, int *status);
void usagetap_prices_free(usagetap_prices *prices);
int usagetap_get_cost(usagetap *tap, const usagetap_prices *prices, usagetap_cost *cost);
]]

local lib = ffi.load(os.getenv("USAGETAP_LIBRARY") or "usagetap")
local ERROR_SPACE, ERROR_UNPRICED = -4, -6
local PROTOCOLS = { [1] = "chat", [2] = "responses", [3] = "messages", [4] = "gemini" }
local COUNTS = { "input_tokens", "output_tokens", "total_tokens", "cached_input_tokens",
                 "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens" }

local M = { AUTO = 0, CHAT = 1, RESPONSES = 2, MESSAGES = 3, GEMINI = 4 }

-- One record and one length, reused: a worker runs one Lua handler at a time.
local record_out = ffi.new("usagetap_record")
local cost_out = ffi.new("usagetap_cost")
local length_out = ffi.new("size_t[1]")

local Tap = {}
Tap.__index = Tap

function M.version() return ffi.string(lib.usagetap_version()) end

function M.protocol_for_path(path) return lib.usagetap_protocol_for_path(path, #path) end

function M.new(protocol)
    local handle = lib.usagetap_new(protocol or M.AUTO)
    if handle == nil then return nil, "no tap for protocol " .. tostring(protocol) end
    return setmetatable({ handle = ffi.gc(handle, lib.usagetap_free) }, Tap)
end

local function check(status, what)
    if status ~= 0 then error("usagetap " .. what .. ": status " .. status, 3) end
end

-- Reads a chunk of the body (a Lua string; only read, never kept). nil and "" do nothing.
function Tap:feed(chunk)
    if chunk and #chunk > 0 then check(lib.usagetap_feed(self.handle, chunk, #chunk), "feed") end
end

function Tap:finish() check(lib.usagetap_finish(self.handle), "finish") end

function Tap:reset(protocol) check(lib.usagetap_reset(self.handle, protocol or M.AUTO), "reset") end

function Tap:free()
    lib.usagetap_free(ffi.gc(self.handle, nil))
    self.handle = nil
end

local function text(pointer, length)
    if pointer == nil then return nil end
    return ffi.string(pointer, length)
end

-- The record so far as a table keyed as UsageTap's record; unknown counts are nil.
function Tap:record()
    check(lib.usagetap_get_record(self.handle, record_out), "record")
    local result = {
        protocol = PROTOCOLS[record_out.protocol],
        model = text(record_out.model, record_out.model_length),
        error = text(record_out.error, record_out.error_length),
        finished = record_out.finished ~= 0,
        web_search_requests = tonumber(record_out.web_search_requests),
    }
    for _, name in ipairs(COUNTS) do
        local count = record_out[name]
        if count.known ~= 0 then result[name] = tonumber(count.value) end
    end
    return result
end

-- The record as UsageTap's JSON line.
function Tap:record_json()
    local status = lib.usagetap_get_record_json(self.handle, nil, 0, length_out)
    if status ~= ERROR_SPACE then check(status, "record_json") end
    local size = tonumber(length_out[0]) + 1
    local buffer = ffi.new("char[?]", size)
    check(lib.usagetap_get_record_json(self.handle, buffer, size, length_out), "record_json")
    return ffi.string(buffer, length_out[0])
end

-- A price table ("default", or a price file), loaded once per worker and shared.
function M.prices(path)
    local status = ffi.new("int[1]")
    local handle = lib.usagetap_prices_load(path or "default", status)
    if handle == nil then return nil, "prices " .. tostring(path) .. ": status " .. status[0] end
    return ffi.gc(handle, lib.usagetap_prices_free)
end

-- The cost in nano-units (a number) with its price entry, or nil when the model has no price.
function Tap:cost(prices)
    local status = lib.usagetap_get_cost(self.handle, prices, cost_out)
    if status == ERROR_UNPRICED then return nil end
    check(status, "cost")
    return tonumber(cost_out.total_nanos), text(cost_out.price_entry, cost_out.price_entry_length)
end

return M
