import EventStream
import ReferenceTap
@_spi(Reference) import UsageTap

/// The properties the fuzz targets check, shared with the tests that replay the corpus and the
/// failcases on every `swift test`. Each returns nil when the property holds, else what broke.
public enum Oracles {
    static let selections: [ProtocolSelection] = [.auto, .chat, .responses, .messages, .gemini]

    /// The tokenizer makes the same calls, with the same bytes, for the whole input as for the
    /// input cut at the points control byte 0 chooses.
    public static func tokenizerIgnoresSlicing(_ data: UnsafeRawBufferPointer) -> String? {
        let input = FuzzInput(data, controlBytes: 1)
        var tokenizer = EventStreamTokenizer()
        var whole = CallDigest()
        tokenizer.feed(input.stream, to: &whole)
        tokenizer.finish(to: &whole)
        var sliced = CallDigest()
        input.forEachSlice(seed: input.control[0]) { tokenizer.feed($0, to: &sliced) }
        tokenizer.finish(to: &sliced)
        return whole == sliced ? nil : "slicing changed the tokenizer's calls: \(whole) vs \(sliced)"
    }

    /// The tap gives the same record for the whole input as for the input cut at the points
    /// control byte 1 chooses, under the protocol control byte 0 picks, and no count is negative.
    /// With `asBody`, a `{` is put in front so that the JSON-body path reads the input.
    public static func tapIgnoresSlicing(_ data: UnsafeRawBufferPointer, asBody: Bool) -> String? {
        let input = FuzzInput(data, controlBytes: 2)
        let selection = selections[Int(input.control[0]) % selections.count]
        let prefix: [UInt8] = asBody ? [UInt8(ascii: "{")] : []
        var whole = UsageTap(protocol: selection)
        whole.feed(prefix)
        whole.feed(input.stream)
        let expected = whole.finish()
        var sliced = UsageTap(protocol: selection)
        sliced.feed(prefix)
        input.forEachSlice(seed: input.control[1]) { sliced.feed($0) }
        let actual = sliced.finish()
        guard actual == expected else {
            return "slicing changed the record:\n whole  \(expected.jsonLine)\n sliced \(actual.jsonLine)"
        }
        // A tap that stops at usage objects (`--cost-in-stream`), cut the same way, stops only at
        // closing braces and reads the same record.
        var stopping = UsageTap(protocol: selection, stopsAtUsage: true)
        stopping.feed(prefix)
        var strayStop: Int?
        input.forEachSlice(seed: input.control[1]) { slice in
            var rest = slice
            while let end = stopping.readUntilUsage(rest) {
                if rest[end.offset] != UInt8(ascii: "}") { strayStop = end.offset }
                rest = UnsafeRawBufferPointer(rebasing: rest[(end.offset + 1)...])
            }
        }
        if let strayStop { return "a stop at \(strayStop) of a slice is not a closing brace" }
        let stopped = stopping.finish()
        guard stopped == expected else {
            return "stopping at usage objects changed the record:\n whole    \(expected.jsonLine)\n stopping \(stopped.jsonLine)"
        }
        let counts = [expected.inputTokens, expected.outputTokens, expected.totalTokens, expected.cachedInputTokens,
                      expected.cacheWriteTokens, expected.cacheWrite1hTokens, expected.reasoningTokens, expected.webSearchRequests]
        return counts.allSatisfy({ ($0 ?? 0) >= 0 }) ? nil : "negative count in \(expected.jsonLine)"
    }
}

extension Oracles {
    /// The tap gives the record the reference tap (today's scanner, with the contract's two
    /// changes applied) gives for the same bytes: the tap cut at the points control byte 1
    /// chooses with the classifier in use, and whole with the scalar classifier; the reference
    /// whole. Control byte 0 picks auto or a protocol; its bit 7 reads the input as a body.
    public static func tapAgreesWithReference(_ data: UnsafeRawBufferPointer) -> String? {
        let input = FuzzInput(data, controlBytes: 2)
        let selection = selections[Int(input.control[0] & 0x7F) % selections.count]
        let prefix: [UInt8] = input.control[0] & 0x80 != 0 ? [UInt8(ascii: "{")] : []
        var reference = ReferenceTap(protocol: selection)
        reference.feed(prefix)
        reference.feed(input.stream)
        let expected = reference.finish()
        var sliced = UsageTap(protocol: selection)
        sliced.feed(prefix)
        input.forEachSlice(seed: input.control[1]) { sliced.feed($0) }
        let actual = sliced.finish()
        guard actual == expected else {
            return "the tap and the reference differ:\n reference \(expected.jsonLine)\n tap       \(actual.jsonLine)"
        }
        var scalar = UsageTap(protocol: selection, classifier: .scalar)
        scalar.feed(prefix)
        scalar.feed(input.stream)
        let scalarRecord = scalar.finish()
        return scalarRecord == expected ? nil
            : "the scalar classifier and the reference differ:\n reference \(expected.jsonLine)\n scalar    \(scalarRecord.jsonLine)"
    }
}

/// A running FNV-1a digest of every tokenizer call and value byte. Value pieces may split
/// differently under different slicings, so their bytes are folded one by one.
struct CallDigest: EventStreamHandler, Equatable, CustomStringConvertible {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    var dispatched = 0
    var valueBytes = 0

    var description: String { "hash \(hash), \(dispatched) events, \(valueBytes) value bytes" }

    mutating func mix(_ byte: UInt8) {
        hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3
    }

    mutating func fieldBegan(_ field: EventStreamField) { mix(0xF0 | field.rawValue) }

    mutating func fieldValue(_ piece: RawSpan, of field: EventStreamField) {
        piece.withUnsafeBytes { bytes in
            for byte in bytes { mix(byte) }
            valueBytes += bytes.count
        }
    }

    mutating func fieldEnded(_ field: EventStreamField, isValid: Bool) { mix(0xE0 | field.rawValue | (isValid ? 8 : 0)) }
    mutating func eventDispatched() { mix(0xD0); dispatched += 1 }
    mutating func eventDiscarded() { mix(0xC0) }
}
