import NIOHTTP1

/// The header fields that belong to one connection and must not be forwarded to the next
/// (RFC 9110 §7.6.1), which HTTP/2 forbids outright (RFC 9113 §8.2.2).
enum HopByHopHeaders {
    /// The forwardable fields of `headers` appended to `fields`: an HTTP/2 header list, with no
    /// `HTTPHeaders` made in between.
    static func appendForwardable(_ headers: HTTPHeaders, to fields: inout [(String, String)]) {
        fields.reserveCapacity(fields.count + headers.count)
        forwardable(headers).forEach { fields.append(($0, $1)) }
    }

    /// The fields of `headers` but the hop-by-hop ones, those the `Connection` field names, and
    /// `Host` unless `keepHost` (the next hop gets the upstream's authority instead). `TE:
    /// trailers` is kept, the one TE value HTTP/2 allows, so that gRPC-style clients still get
    /// their trailers.
    static func forwardable(_ headers: HTTPHeaders, keepHost: Bool = false) -> Forwardable {
        // Most requests and responses have no `Connection` field, or one that says only `close`
        // or `keep-alive` (options, not field names; a `Keep-Alive` field is dropped anyway):
        // then nothing more is looked for, and nothing is allocated.
        var named: [[UInt8]] = []
        for (name, value) in headers where fixedName(name) == .hopByHop && name.utf8.count == 10 && ASCIICase.equal(name, lowercase: "connection") {
            ASCIICase.withUTF8(value) { bytes in
                for element in bytes.split(separator: UInt8(ascii: ",")) {
                    let token = element.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed().map(ASCIICase.lowercased)
                    if !token.isEmpty, !token.elementsEqual("close".utf8), !token.elementsEqual("keep-alive".utf8) { named.append(token) }
                }
            }
        }
        return Forwardable(headers: headers, keepHost: keepHost, named: named)
    }

    /// A head's forwardable fields, found once and walked as often as needed (an HTTP/1.1 head
    /// is measured, then written).
    struct Forwardable {
        fileprivate let headers: HTTPHeaders
        fileprivate let keepHost: Bool
        /// The names the `Connection` field lists, lowercased.
        fileprivate let named: [[UInt8]]

        func forEach(_ body: (String, String) -> Void) {
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
    }

    fileprivate enum FixedName { case te, host, hopByHop }

    /// Which of the fixed names `name` is, told apart by length first: a field that is none of
    /// them (nearly all) costs one length check.
    fileprivate static func fixedName(_ name: String) -> FixedName? {
        switch name.utf8.count {
        case 2: ASCIICase.equal(name, lowercase: "te") ? .te : nil
        case 4: ASCIICase.equal(name, lowercase: "host") ? .host : nil
        case 7: ASCIICase.equal(name, lowercase: "upgrade") ? .hopByHop : nil
        case 10: ASCIICase.equal(name, lowercase: "connection") || ASCIICase.equal(name, lowercase: "keep-alive") ? .hopByHop : nil
        case 16: ASCIICase.equal(name, lowercase: "proxy-connection") ? .hopByHop : nil
        case 17: ASCIICase.equal(name, lowercase: "transfer-encoding") ? .hopByHop : nil
        default: nil
        }
    }
}
