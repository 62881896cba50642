"""UsageTap's C interface from Python, through ctypes (no compiler, no package).

    import usagetap
    tap = usagetap.Tap(usagetap.protocol_for_path("/v1/chat/completions"))
    for chunk in response_body:          # bytes as they arrive; only read, never kept
        tap.feed(chunk)
    tap.finish()
    print(tap.record())                  # a dict in UsageTap's record layout
    prices = usagetap.Prices("default")  # or a price file
    print(tap.cost(prices))              # nano-units, or None when the model has no price

The library is found at $USAGETAP_LIBRARY, else as `libusagetap.so` on the loader's path
(Embedding/c/build prints the folder that holds it).
"""
import ctypes
import os

AUTO, CHAT, RESPONSES, MESSAGES, GEMINI = range(5)
_PROTOCOL_NAMES = {CHAT: "chat", RESPONSES: "responses", MESSAGES: "messages", GEMINI: "gemini"}
_ERROR_SPACE, _ERROR_UNPRICED = -4, -6


class _Count(ctypes.Structure):
    _fields_ = [("value", ctypes.c_int64), ("known", ctypes.c_int32)]

    def get(self):
        return self.value if self.known else None


class _Record(ctypes.Structure):
    _fields_ = [("protocol", ctypes.c_int32), ("finished", ctypes.c_int32)] + [
        (name, _Count) for name in ("input_tokens", "output_tokens", "total_tokens", "cached_input_tokens",
                                    "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens")
    ] + [("web_search_requests", ctypes.c_int64), ("model", ctypes.c_void_p), ("model_length", ctypes.c_size_t),
         ("error", ctypes.c_void_p), ("error_length", ctypes.c_size_t)]


class _Cost(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int64) for name in ("total_nanos", "input_nanos", "cached_input_nanos",
                                                    "cache_write_nanos", "output_nanos", "request_nanos",
                                                    "web_search_nanos")] + [
        ("unpriced", ctypes.c_uint32), ("parts_exceed_input", ctypes.c_int32),
        ("price_entry", ctypes.c_void_p), ("price_entry_length", ctypes.c_size_t)]


class UsageTapError(Exception):
    pass


def _load():
    library = ctypes.CDLL(os.environ.get("USAGETAP_LIBRARY", "libusagetap.so"))
    signatures = {
        "usagetap_version": (ctypes.c_char_p, []),
        "usagetap_protocol_for_path": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_size_t]),
        "usagetap_new": (ctypes.c_void_p, [ctypes.c_int]),
        "usagetap_feed": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]),
        "usagetap_finish": (ctypes.c_int, [ctypes.c_void_p]),
        "usagetap_reset": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
        "usagetap_free": (None, [ctypes.c_void_p]),
        "usagetap_get_record": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(_Record)]),
        "usagetap_get_record_json": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                                    ctypes.POINTER(ctypes.c_size_t)]),
        "usagetap_prices_load": (ctypes.c_void_p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_int)]),
        "usagetap_prices_free": (None, [ctypes.c_void_p]),
        "usagetap_get_cost": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(_Cost)]),
    }
    for name, (result, arguments) in signatures.items():
        function = getattr(library, name)
        function.restype, function.argtypes = result, arguments
    return library


_lib = _load()


def version():
    return _lib.usagetap_version().decode()


def protocol_for_path(path):
    encoded = path.encode()
    return _lib.usagetap_protocol_for_path(encoded, len(encoded))


def _check(status, what):
    if status != 0:
        raise UsageTapError(f"{what}: status {status}")


def _text(pointer, length):
    return None if not pointer else ctypes.string_at(pointer, length).decode()


class Prices:
    """A price table, loaded once and shared read-only."""

    def __init__(self, path="default"):
        status = ctypes.c_int(0)
        self._handle = _lib.usagetap_prices_load(path.encode(), ctypes.byref(status))
        if not self._handle:
            raise UsageTapError(f"prices {path!r}: status {status.value}")

    def __del__(self):
        if getattr(self, "_handle", None):
            _lib.usagetap_prices_free(self._handle)
            self._handle = None


class Tap:
    """One response's tap: feed it the body's bytes, then finish it."""

    def __init__(self, protocol=AUTO):
        self._handle = _lib.usagetap_new(protocol)
        if not self._handle:
            raise UsageTapError(f"no tap for protocol {protocol}")

    def __del__(self):
        if getattr(self, "_handle", None):
            _lib.usagetap_free(self._handle)
            self._handle = None

    def feed(self, data):
        _check(_lib.usagetap_feed(self._handle, bytes(data), len(data)), "feed")

    def finish(self):
        _check(_lib.usagetap_finish(self._handle), "finish")

    def reset(self, protocol=AUTO):
        _check(_lib.usagetap_reset(self._handle, protocol), "reset")

    def record(self):
        """The record so far, keyed as UsageTap's record layout."""
        record = _Record()
        _check(_lib.usagetap_get_record(self._handle, ctypes.byref(record)), "record")
        result = {"protocol": _PROTOCOL_NAMES.get(record.protocol), "model": _text(record.model, record.model_length),
                  "finished": bool(record.finished), "error": _text(record.error, record.error_length)}
        for name in ("input_tokens", "output_tokens", "total_tokens", "cached_input_tokens", "cache_write_tokens",
                     "cache_write_1h_tokens", "reasoning_tokens"):
            result[name] = getattr(record, name).get()
        result["web_search_requests"] = record.web_search_requests
        return result

    def record_json(self):
        """The record's JSON line, as the library writes it."""
        length = ctypes.c_size_t(0)
        status = _lib.usagetap_get_record_json(self._handle, None, 0, ctypes.byref(length))
        if status != _ERROR_SPACE:
            _check(status, "record_json")
        buffer = ctypes.create_string_buffer(length.value + 1)
        _check(_lib.usagetap_get_record_json(self._handle, buffer, len(buffer), ctypes.byref(length)), "record_json")
        return buffer.value.decode()

    def cost(self, prices):
        """The cost in nano-units with its parts, or None when the model has no price."""
        cost = _Cost()
        status = _lib.usagetap_get_cost(self._handle, prices._handle, ctypes.byref(cost))
        if status == _ERROR_UNPRICED:
            return None
        _check(status, "cost")
        result = {name: getattr(cost, name) for name, _ in _Cost._fields_[:7]}
        result["price_entry"] = _text(cost.price_entry, cost.price_entry_length)
        result["unpriced"] = ["web_search"] if cost.unpriced & 1 else []
        return result


__all__ = ["Tap", "Prices", "UsageTapError", "protocol_for_path", "version",
           "AUTO", "CHAT", "RESPONSES", "MESSAGES", "GEMINI"]
