import UsageTap

/// What a request's target says about it, read from its path alone (the query is ignored).
enum APIRoute {
    /// The protocol the path names (``ProtocolSelection/init(requestTarget:)``, which embedders of
    /// the C interface call too).
    static func protocolSelection(forPath target: String) -> ProtocolSelection {
        withPath(of: target) { ProtocolSelection(requestTarget: $0) }
    }

    /// `/v1/usage`, the proxy's own endpoint under metering.
    static func isUsageQuery(_ target: String) -> Bool {
        // The length first: the comparison with a `String`'s bytes is generic and slow, and
        // every metered request asks.
        withPath(of: target) { path in
            let end = path.firstIndex(of: UInt8(ascii: "?")) ?? path.endIndex
            return end == 9 && path[..<end].elementsEqual("/v1/usage".utf8)
        }
    }

    private static func withPath<R>(of target: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var target = target
        return target.withUTF8(body)
    }
}
