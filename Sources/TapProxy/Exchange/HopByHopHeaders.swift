import NIOHTTP1

/// The header fields that belong to one connection and must not be forwarded to the next
/// (RFC 9110 §7.6.1), which HTTP/2 forbids outright (RFC 9113 §8.2.2).
enum HopByHopHeaders {
    private static let fixed: [[UInt8]] = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    ].map { Array($0.utf8) }

    /// `headers` without hop-by-hop fields, nor those the `Connection` field names, nor `Host`
    /// (the next hop gets the upstream's authority instead). `TE: trailers` is kept, the one TE
    /// value HTTP/2 allows, so that gRPC-style clients still get their trailers.
    static func forwardable(_ headers: HTTPHeaders, keepHost: Bool = false) -> HTTPHeaders {
        let named = headers[canonicalForm: "connection"].map { Array($0.lowercased().utf8) }
        // A list made into `HTTPHeaders` once: `HTTPHeaders.add` checks every name for non-ASCII
        // bytes, a few hundred instructions per field, and these names come from a parser (NIO's
        // or nghttp2's) that has already refused any name that is not a valid token.
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count)
        for (name, value) in headers {
            if equalIgnoringCase(name, "te".utf8) {
                if value.lowercased().contains("trailers") { kept.append((name, "trailers")) }
                continue
            }
            if fixed.contains(where: { equalIgnoringCase(name, $0) }) {
                if keepHost, equalIgnoringCase(name, "host".utf8) { kept.append((name, value)) }
                continue
            }
            if named.contains(where: { equalIgnoringCase(name, $0) }) { continue }
            kept.append((name, value))
        }
        return HTTPHeaders(kept)
    }

    /// ASCII case-insensitive equality of a field name with a lowercase name, without making a
    /// lowercased copy of every field name.
    private static func equalIgnoringCase<Lower: Collection<UInt8>>(_ name: String, _ lower: Lower) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            bytes.count == lower.count && zip(bytes, lower).allSatisfy { ($0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0) == $1 }
        }
    }
}
