import UsageTap

extension Cost {
    /// The parts in nano-units of the currency, each rounded once, half-up. `total` is their sum,
    /// so that a bill's lines always add up; where every price is a whole number of nano-units
    /// per token (nearly every list price), nothing is rounded at all.
    public typealias Nanos = (input: Int128, cachedInput: Int128, cacheWrite: Int128, output: Int128, request: Int128, webSearch: Int128, total: Int128)

    public var nanos: Nanos {
        let parts = (input.nanos, cachedInput.nanos, cacheWrite.nanos, output.nanos, request.nanos, webSearch.nanos)
        return (parts.0, parts.1, parts.2, parts.3, parts.4, parts.5, parts.0 + parts.1 + parts.2 + parts.3 + parts.4 + parts.5)
    }

    /// The cost as a JSON object: `currency`, `price_entry`, the parts and `total` in integer
    /// nano-units, `total_usd` as an exact decimal string, and `parts_exceed_input`.
    public var jsonObject: String {
        var json = JSONObjectWriter()
        addMembers(to: &json)
        return json.finish()
    }

    /// Adds the members of ``jsonObject`` to an object being written.
    public func addMembers(to json: inout JSONObjectWriter) {
        let parts = nanos
        json.add("currency", string: "USD")
        json.add("price_entry", string: priceEntry)
        json.add("input", integer: parts.input)
        json.add("cached_input", integer: parts.cachedInput)
        json.add("cache_write", integer: parts.cacheWrite)
        json.add("output", integer: parts.output)
        json.add("request", integer: parts.request)
        json.add("web_search", integer: parts.webSearch)
        json.add("total", integer: parts.total)
        json.add("total_usd", decimalNanos: parts.total)
        json.add("parts_exceed_input", bool: partsExceedInput)
        json.add("unpriced", rawJSON: UnpricedPart.jsonArray(unpriced))
    }
}

extension JSONObjectWriter {
    /// `key` with the cost's object (see ``Cost/jsonObject``), or `null` when it is unknown.
    public mutating func add(_ key: StaticString, cost: Cost?) {
        guard let cost else { return add(key, rawJSON: "null") }
        addObject(key) { cost.addMembers(to: &$0) }
    }

    /// `key` with what of `record` went unpriced at `cost`, as a JSON array.
    public mutating func add(_ key: StaticString, unpricedOf record: UsageRecord, cost: Cost?) {
        add(key, rawJSON: UnpricedPart.jsonArray(UnpricedPart.of(record, cost: cost)))
    }
}

extension UsageRecord {
    /// The record as one line of JSON with `cost` and `unpriced` members after the documented
    /// keys: the cost object of ``Cost/jsonObject``, or `null` when the cost is unknown, and what
    /// went unpriced (``UnpricedPart/of(_:cost:)``).
    public func jsonLine(cost: Cost?) -> String {
        var json = JSONObjectWriter()
        addFields(to: &json)
        json.add("cost", cost: cost)
        json.add("unpriced", unpricedOf: self, cost: cost)
        return json.finish()
    }
}
