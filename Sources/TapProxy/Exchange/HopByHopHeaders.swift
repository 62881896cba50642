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
        for (name, value) in headers where name.utf8.count == 10 && ASCIICase.equal(name, lowercase: "connection") {
            ASCIICase.withUTF8(value) { addNamedFields(in: $0, to: &named) }
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
                    if ASCIICase.withUTF8(value, asksForTrailers) { body(name, "trailers") }
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

    /// `body` with the forwardable fields of `fields` (as ``forwardable(_:keepHost:)`` picks
    /// them, from bytes), and the bytes they take as HTTP/1.1 field lines.
    static func withForwardable<R>(_ fields: HeaderFields, keepHost: Bool,
                                   _ body: (UnsafeBufferPointer<HeaderFields.Field>, Int) -> R) -> R {
        fields.withList { all in
            // The names a `Connection` field lists, but for the options `close` and `keep-alive`.
            var named: [[UInt8]] = []
            for field in all where field.name.count == 10 && equal(field.name, "connection") {
                addNamedFields(in: field.value.bindMemory(to: UInt8.self), to: &named)
            }
            return withUnsafeTemporaryAllocation(of: HeaderFields.Field.self, capacity: max(all.count, 1)) { kept in
                var count = 0
                var bytes = 0
                for field in all {
                    var kept1 = field
                    switch fixedName(field.name.bindMemory(to: UInt8.self)) {
                    case .te:
                        guard asksForTrailers(field.value.bindMemory(to: UInt8.self)) else { continue }
                        kept1.value = trailersValue
                    case .host:
                        guard keepHost else { continue }
                    case .hopByHop:
                        continue
                    case nil:
                        if !named.isEmpty, named.contains(where: { ASCIICase.equal(field.name.bindMemory(to: UInt8.self), lowercase: $0) }) { continue }
                    }
                    kept.initializeElement(at: count, to: kept1)
                    count += 1
                    bytes += kept1.name.count + kept1.value.count + 4
                }
                return body(UnsafeBufferPointer(rebasing: kept[..<count]), bytes)
            }
        }
    }

    /// Adds the field names a `Connection` field's value lists, lowercased, but for the options
    /// `close` and `keep-alive` (not field names; a `Keep-Alive` field is dropped anyway).
    private static func addNamedFields(in value: UnsafeBufferPointer<UInt8>, to named: inout [[UInt8]]) {
        for element in value.split(separator: UInt8(ascii: ",")) {
            let token = element.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed().map(ASCIICase.lowercased)
            if !token.isEmpty, !token.elementsEqual("close".utf8), !token.elementsEqual("keep-alive".utf8) { named.append(token) }
        }
    }

    /// A `TE` value that names `trailers` (in any case).
    private static func asksForTrailers(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let word = Array("trailers".utf8)
        guard value.count >= word.count else { return false }
        return (0...(value.count - word.count)).contains { start in
            (0..<word.count).allSatisfy { ASCIICase.lowercased(value[start + $0]) == word[$0] }
        }
    }

    /// The value `TE: trailers` is forwarded with.
    private static var trailersValue: UnsafeRawBufferPointer {
        let value: StaticString = "trailers"
        // A static string's bytes are constant and live as long as the program.
        return UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount)
    }

    private static func equal(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        ASCIICase.equal(bytes.bindMemory(to: UInt8.self), lowercase: lowercase)
    }

    fileprivate enum FixedName { case te, host, hopByHop }

    /// Which of the fixed names `name` is, told apart by length first: a field that is none of
    /// them (nearly all) costs one length check.
    fileprivate static func fixedName(_ name: String) -> FixedName? {
        ASCIICase.withUTF8(name) { fixedName($0) }
    }

    fileprivate static func fixedName(_ name: UnsafeBufferPointer<UInt8>) -> FixedName? {
        switch name.count {
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
