extension UsageRecord {
    /// The record as one line of JSON (no trailing newline), keys in the documented order:
    /// `protocol`, `model`, `finished`, `error`, `input_tokens`, `output_tokens`,
    /// `total_tokens`, `cached_input_tokens`, `cache_write_tokens`, `cache_write_1h_tokens`, `reasoning_tokens`,
    /// `web_search_requests`.
    public var jsonLine: String {
        var json = JSONObjectWriter()
        addFields(to: &json)
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
        json.add("cache_write_1h_tokens", integer: cacheWrite1hTokens)
        json.add("reasoning_tokens", integer: reasoningTokens)
        json.add("web_search_requests", integer: webSearchRequests)
    }
}
