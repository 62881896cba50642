import NIOHTTP1

/// The header fields that belong to one connection and must not be forwarded to the next
/// (RFC 9110 §7.6.1), which HTTP/2 forbids outright (RFC 9113 §8.2.2).
enum HopByHopHeaders {
    private static let fixed: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade",
    ]

    /// `headers` without hop-by-hop fields, nor those the `Connection` field names, nor `Host`
    /// (the next hop gets the upstream's authority instead). `TE: trailers` is kept, the one TE
    /// value HTTP/2 allows, so that gRPC-style clients still get their trailers.
    static func forwardable(_ headers: HTTPHeaders, keepHost: Bool = false) -> HTTPHeaders {
        var named: Set<String> = []
        for value in headers[canonicalForm: "connection"] { named.insert(value.lowercased()) }
        var kept = HTTPHeaders()
        kept.reserveCapacity(headers.count)
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "te" {
                if value.lowercased().contains("trailers") { kept.add(name: name, value: "trailers") }
                continue
            }
            if fixed.contains(lower) || named.contains(lower) || (!keepHost && lower == "host") { continue }
            kept.add(name: name, value: value)
        }
        return kept
    }
}
