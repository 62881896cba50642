import CUsageTapABI
import Pricing
import UsageTap

// The prices' half of usagetap.h.

@_cdecl("usagetap_prices_load")
public func usagetap_prices_load(_ path: UnsafePointer<CChar>?, _ status: UnsafeMutablePointer<usagetap_status>?) -> OpaquePointer? {
    func answer(_ table: PriceTable?, _ result: usagetap_status) -> OpaquePointer? {
        status?.pointee = result
        guard let table else { return nil }
        return OpaquePointer(Unmanaged.passRetained(PricesHandle(table: table)).toOpaque())
    }
    guard let path else { return answer(nil, USAGETAP_ERROR_NULL) }
    let name = String(cString: path)
    if name == "default" { return answer(PriceTable.defaultPrices, USAGETAP_OK) }
    // Entries of a LiteLLM file that cannot be priced exactly are left out, as the proxy does.
    guard let (table, _) = try? PriceTable.load(file: name) else { return answer(nil, USAGETAP_ERROR_PRICES) }
    return answer(table, USAGETAP_OK)
}

@_cdecl("usagetap_prices_free")
public func usagetap_prices_free(_ prices: OpaquePointer?) {
    guard let prices else { return }
    Unmanaged<PricesHandle>.fromOpaque(UnsafeRawPointer(prices)).release()
}

@_cdecl("usagetap_get_cost")
public func usagetap_get_cost(_ tap: OpaquePointer?, _ prices: OpaquePointer?, _ out: UnsafeMutablePointer<usagetap_cost>?) -> usagetap_status {
    guard let tap, let prices, let out else { return USAGETAP_ERROR_NULL }
    let handle = TapHandle.from(tap)
    guard let cost = PricesHandle.from(prices).table.cost(of: handle.record) else { return USAGETAP_ERROR_UNPRICED }
    let parts = cost.nanos
    guard let total = Int64(exactly: parts.total), let input = Int64(exactly: parts.input),
          let cached = Int64(exactly: parts.cachedInput), let cacheWrite = Int64(exactly: parts.cacheWrite),
          let output = Int64(exactly: parts.output), let request = Int64(exactly: parts.request),
          let webSearch = Int64(exactly: parts.webSearch)
    else { return USAGETAP_ERROR_RANGE }
    let entry = handle.priceEntry.hold(cost.priceEntry)
    out.pointee = usagetap_cost(
        total_nanos: total, input_nanos: input, cached_input_nanos: cached, cache_write_nanos: cacheWrite,
        output_nanos: output, request_nanos: request, web_search_nanos: webSearch,
        unpriced: cost.unpriced.contains(.webSearch) ? USAGETAP_UNPRICED_WEB_SEARCH : 0,
        parts_exceed_input: cost.partsExceedInput ? 1 : 0,
        price_entry: entry.pointer, price_entry_length: entry.length
    )
    return USAGETAP_OK
}
