import UsageTap

/// What a request's target says about it, read from its path alone (the query is ignored).
///
/// Gateways often put a prefix before the provider's own path (`/openai/v1/chat/completions`),
/// so the path's end decides the protocol: `…/chat/completions`, `…/responses`, `…/messages`,
/// and Gemini's `…:streamGenerateContent` / `…:generateContent`. Any other path is read with
/// `auto`. Paths are compared as UTF-8 bytes: this runs for every request.
enum APIRoute {
    static func protocolSelection(forPath target: String) -> ProtocolSelection {
        withPath(of: target) { path in
            if path.hasSuffix("/chat/completions") { return .chat }
            if path.hasSuffix("/responses") { return .responses }
            if path.hasSuffix("/messages") { return .messages }
            if path.hasSuffix(":streamGenerateContent") || path.hasSuffix(":generateContent") { return .gemini }
            return .auto
        }
    }

    /// `/v1/usage`, the proxy's own endpoint under metering.
    static func isUsageQuery(_ target: String) -> Bool {
        // The length first: the comparison with a `String`'s bytes is generic and slow, and
        // every metered request asks.
        withPath(of: target) { $0.count == 9 && $0.elementsEqual("/v1/usage".utf8) }
    }

    private static func withPath<R>(of target: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var target = target
        return target.withUTF8 { bytes in
            let end = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
            return body(UnsafeBufferPointer(rebasing: bytes[..<end]))
        }
    }
}

private extension UnsafeBufferPointer<UInt8> {
    func hasSuffix(_ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard self.count >= count else { return false }
        return self[(self.count - count)...].elementsEqual(UnsafeBufferPointer(start: suffix.utf8Start, count: count))
    }
}
