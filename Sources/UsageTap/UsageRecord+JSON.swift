extension UsageRecord {
    /// The record as one line of JSON (no trailing newline), keys in the documented order:
    /// `protocol`, `model`, `finished`, `error`, the token counts (``TokenCount``),
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
        for count in TokenCount.allCases { json.add(count.key, integer: self[count]) }
        json.add("web_search_requests", integer: webSearchRequests)
    }
}
