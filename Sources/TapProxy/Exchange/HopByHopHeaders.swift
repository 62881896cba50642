import NIOHTTP1

/// The header fields that belong to one connection and must not be forwarded to the next
/// (RFC 9110 §7.6.1), which HTTP/2 forbids outright (RFC 9113 §8.2.2).
enum HopByHopHeaders {
    /// `headers` without hop-by-hop fields, nor those the `Connection` field names, nor `Host`
    /// (the next hop gets the upstream's authority instead). `TE: trailers` is kept, the one TE
    /// value HTTP/2 allows, so that gRPC-style clients still get their trailers.
    static func forwardable(_ headers: HTTPHeaders, keepHost: Bool = false) -> HTTPHeaders {
        // A list made into `HTTPHeaders` once: `HTTPHeaders.add` checks every name for non-ASCII
        // bytes, a few hundred instructions per field, and these names come from a parser (NIO's
        // or nghttp2's) that has already refused any name that is not a valid token.
        var kept: [(String, String)] = []
        kept.reserveCapacity(headers.count)
        forEachForwardable(headers, keepHost: keepHost) { kept.append(($0, $1)) }
        return HTTPHeaders(kept)
    }

    /// The forwardable fields of `headers` appended to `fields`: an HTTP/2 header list, with no
    /// `HTTPHeaders` made in between.
    static func appendForwardable(_ headers: HTTPHeaders, to fields: inout [(String, String)]) {
        fields.reserveCapacity(fields.count + headers.count)
        forEachForwardable(headers, keepHost: false) { fields.append(($0, $1)) }
    }

    private static func forEachForwardable(_ headers: HTTPHeaders, keepHost: Bool, _ body: (String, String) -> Void) {
        // Most requests and responses have no `Connection` field: nothing more to look for.
        let named = headers.contains(name: "connection")
            ? headers[canonicalForm: "connection"].map { Array($0.lowercased().utf8) } : []
        for (name, value) in headers {
            switch fixedName(name) {
            case .te:
                if value.lowercased().contains("trailers") { body(name, "trailers") }
                continue
            case .host:
                if keepHost { body(name, value) }
                continue
            case .hopByHop:
                continue
            case nil:
                break
            }
            if !named.isEmpty, named.contains(where: { ASCIICase.equal(name, lowercase: $0) }) { continue }
            body(name, value)
        }
    }

    private enum FixedName { case te, host, hopByHop }

    /// Which of the fixed names `name` is, told apart by length first: a field that is none of
    /// them (nearly all) costs one length check.
    private static func fixedName(_ name: String) -> FixedName? {
        switch name.utf8.count {
        case 2: ASCIICase.equal(name, lowercase: "te".utf8) ? .te : nil
        case 4: ASCIICase.equal(name, lowercase: "host".utf8) ? .host : nil
        case 7: ASCIICase.equal(name, lowercase: "upgrade".utf8) ? .hopByHop : nil
        case 10: ASCIICase.equal(name, lowercase: "connection".utf8) || ASCIICase.equal(name, lowercase: "keep-alive".utf8) ? .hopByHop : nil
        case 16: ASCIICase.equal(name, lowercase: "proxy-connection".utf8) ? .hopByHop : nil
        case 17: ASCIICase.equal(name, lowercase: "transfer-encoding".utf8) ? .hopByHop : nil
        default: nil
        }
    }
}
