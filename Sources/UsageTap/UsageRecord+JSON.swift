extension UsageRecord {
    /// The record as one line of JSON (no trailing newline), keys in the documented order:
    /// `protocol`, `model`, `finished`, `error`, `input_tokens`, `output_tokens`,
    /// `total_tokens`, `cached_input_tokens`, `cache_write_tokens`, `reasoning_tokens`,
    /// `web_search_requests`.
    public var jsonLine: String {
        var json = JSONObjectWriter()
        addFields(to: &json)
        return json.finish()
    }

    /// The record as one line of JSON with a `cost` member after the documented keys: the cost
    /// object of ``Cost/jsonObject``, or `null` when the cost is unknown.
    public func jsonLine(cost: Cost?) -> String {
        var json = JSONObjectWriter()
        addFields(to: &json)
        json.add("cost", rawJSON: cost?.jsonObject ?? "null")
        return json.finish()
    }

    /// Adds the documented keys, in their order, to a larger object (a proxy's log line).
    public func addFields(to json: inout JSONObjectWriter) {
        json.add("protocol", string: apiProtocol?.rawValue)
        json.add("model", string: model)
        json.add("finished", bool: finished)
        json.add("error", string: error)
        json.add("input_tokens", integer: inputTokens)
        json.add("output_tokens", integer: outputTokens)
        json.add("total_tokens", integer: totalTokens)
        json.add("cached_input_tokens", integer: cachedInputTokens)
        json.add("cache_write_tokens", integer: cacheWriteTokens)
        json.add("reasoning_tokens", integer: reasoningTokens)
        json.add("web_search_requests", integer: webSearchRequests)
    }
}

/// Writes one flat JSON object. Strings are escaped per RFC 8259; nothing else is needed here.
public struct JSONObjectWriter {
    private var text = "{"
    private var isFirst = true

    public init() {}

    public mutating func add(_ key: String, string value: String?) {
        addKey(key)
        guard let value else { return text += "null" }
        text += "\""
        // Most values (model names, ids, paths) need no escaping: one append.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    public mutating func add(_ key: String, integer value: Int?) {
        addKey(key)
        text += value.map(String.init) ?? "null"
    }

    public mutating func add(_ key: String, integer value: Int128) {
        addKey(key)
        text += String(value)
    }

    /// A value that is already JSON text, such as a nested object.
    public mutating func add(_ key: String, rawJSON value: String) {
        addKey(key)
        text += value
    }

    public mutating func add(_ key: String, bool value: Bool) {
        addKey(key)
        text += value ? "true" : "false"
    }

    public mutating func finish() -> String {
        text + "}"
    }

    private mutating func addKey(_ key: String) {
        if !isFirst { text += "," }
        isFirst = false
        text += "\"" + key + "\":"
    }
}
