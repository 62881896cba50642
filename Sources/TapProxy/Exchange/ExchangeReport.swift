import Metering
import NIOHTTP1
import Pricing
import UsageTap

/// What one exchange came to, made once when it ends and handed to every sink: the usage log,
/// the meter (when the request carried a customer's key), and the closure an embedder sets
/// (``ProxyConfiguration/onExchangeEnded``).
public struct ExchangeReport: Sendable {
    /// The request id's parts: the process run's tag and the loop, and the exchange's number
    /// on its loop. ``requestID`` joins them; the usage log writes them with no `String`.
    let requestIDPrefix: String
    let requestNumber: UInt64
    public let method: HTTPMethod
    /// The request target as the client sent it, query included.
    let target: String
    /// The final response's status; nil when none was sent (the client left first, or the
    /// upstream broke off before its head).
    public let status: Int?
    public let outcome: Outcome
    /// Response body bytes forwarded to the client.
    public let responseBytes: Int
    /// From the request's head to the response's first byte, and to its end, in microseconds.
    public let timeToFirstByteMicros: Int?
    public let durationMicros: Int
    public let usage: UsageRecord
    /// With a price table: the usage's cost, nil when its model has no price.
    public let cost: Cost?
    /// With metering: whose key the request carried.
    public let customer: KeyOwner?

    public var requestID: String { requestIDPrefix + String(requestNumber) }

    /// The target without its query: some APIs (Gemini's `?key=`) carry credentials there.
    public var path: Substring { target[..<(target.firstIndex(of: "?") ?? target.endIndex)] }

    /// The usage log's line for this exchange: every field of it is written here.
    func addLogFields(to json: inout JSONObjectWriter, priced: Bool) {
        json.add("request_id", string: requestIDPrefix, number: requestNumber)
        json.add("method", string: method.rawValue)
        var target = target
        target.withUTF8 { bytes in
            let query = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
            json.add("path", utf8: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[..<query])))
        }
        json.add("status", integer: status)
        json.add("outcome", string: outcome.rawValue)
        json.add("response_bytes", integer: responseBytes)
        json.add("ttfb_ms", thousandths: timeToFirstByteMicros)
        json.add("duration_ms", thousandths: durationMicros)
        usage.addFields(to: &json)
        if priced {
            json.add("cost", cost: cost)
            json.add("unpriced", unpricedOf: usage, cost: cost)
        }
    }

    /// The ledger's row for this exchange, when the request carried a customer's key.
    func ledgerEntry(atMicros: Int64, provider: String) -> LedgerEntry? {
        guard let customer else { return nil }
        return LedgerEntry(
            atMicros: atMicros, requestID: requestID, tenantID: customer.tenant.id, keyID: customer.keyID,
            provider: provider, status: status, outcome: outcome.rawValue, usage: usage, cost: cost,
            unpriced: UnpricedPart.of(usage, cost: cost))
    }
}
