import UsageTap

extension Cost {
    /// The cost as the members a reseller's gateway adds to a response's usage object
    /// (`usagetap proxy --cost-in-stream`): US dollars exact to the nano-unit, as JSON numbers
    /// written in decimal, with no binary floating point on the way, and no leading comma:
    ///
    /// `"cost_usd_total":0.000131500,"cost_usd_input":…,"cost_usd_output":…,"cost_usd_cached_input":…,"cost_usd_request":…,"cost_usd_web_search":…`
    ///
    /// Cache writes are input written to a cache, so `cost_usd_input` holds them. Each part is
    /// its ``nanos`` part, and `cost_usd_total` is their sum: the usage line's `total_usd`.
    public var usageMembers: [UInt8] {
        let parts = nanos
        var json = JSONObjectWriter()
        json.add("cost_usd_total", decimalNanos: parts.total, quoted: false)
        json.add("cost_usd_input", decimalNanos: parts.input + parts.cacheWrite, quoted: false)
        json.add("cost_usd_output", decimalNanos: parts.output, quoted: false)
        json.add("cost_usd_cached_input", decimalNanos: parts.cachedInput, quoted: false)
        json.add("cost_usd_request", decimalNanos: parts.request, quoted: false)
        json.add("cost_usd_web_search", decimalNanos: parts.webSearch, quoted: false)
        // The object's members, without its braces.
        let object = json.finishBytes()
        return Array(object.dropFirst().dropLast())
    }
}
