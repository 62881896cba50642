import NIOHTTP1

/// The header fields that belong to one connection and must not be forwarded to the next
/// (RFC 9110 §7.6.1), which HTTP/2 forbids outright (RFC 9113 §8.2.2).
enum HopByHopHeaders {
    /// `body` with the fields of `fields` but the hop-by-hop ones, those the `Connection`
    /// field names, and `Host` unless `keepHost` (the next hop gets the upstream's authority
    /// instead), and the bytes they take as HTTP/1.1 field lines. `TE: trailers` is kept, the
    /// one TE value HTTP/2 allows, so that gRPC-style clients still get their trailers.
    static func withForwardable<R>(_ fields: HeaderFields, keepHost: Bool,
                                   _ body: (UnsafeBufferPointer<HeaderFields.Field>, Int) -> R) -> R {
        fields.withList { all in
            // The names a `Connection` field lists, but for the options `close` and `keep-alive`.
            var named: [[UInt8]] = []
            for field in all where field.name.count == 10 && ASCIICase.equal(field.name, lowercase: "connection") {
                addNamedFields(in: field.value, to: &named)
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
    private static func addNamedFields(in value: UnsafeRawBufferPointer, to named: inout [[UInt8]]) {
        FieldValue.forEachElement(of: value) { token in
            if !ASCIICase.equal(token, lowercase: "close"), !ASCIICase.equal(token, lowercase: "keep-alive") {
                named.append(token.map(ASCIICase.lowercased))
            }
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

    private enum FixedName { case te, host, hopByHop }

    /// Which of the fixed names `name` is, told apart by length first: a field that is none of
    /// them (nearly all) costs one length check.
    private static func fixedName(_ name: UnsafeBufferPointer<UInt8>) -> FixedName? {
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
