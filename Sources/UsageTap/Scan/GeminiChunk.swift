internal import CUsageTapVector

/// A Gemini chunk passed by its structure alone, without the walker.
///
/// Every Gemini chunk carries `usageMetadata`, the usage so far, so the event sieve can pass
/// none of them. But only the last chunk's usage counts, and nothing else in most chunks
/// matters: the model is known after the first chunk, and `finishReason` comes in the last. So a
/// chunk whose event is one data line followed by a blank line, whole in the slice, is read from
/// the line tier's masks (``LineStructure``) for its root members only:
/// - `candidates` is passed by its brackets, unless a string in it may be `finishReason`;
/// - `usageMetadata`, an object, is passed by its brackets too, and its bytes are kept for the
///   record (``GeminiUsageCopy``), which reads only the last one kept;
/// - other members are passed by their edges and brackets, and scalars by their ends.
///
/// Anything else leaves the chunk to the walker, from its first line, with nothing changed:
/// a model still to be taken, a possible `finishReason`, an event of several lines, data that is
/// not one object, malformed or cut off, or a line the line tier cannot read bit-parallel.
struct GeminiChunk {
    /// Where the line after the chunk's blank line starts.
    let next: Int
    /// The blank line ended at a CR that ends the slice: an LF that starts the next slice belongs
    /// to it.
    let endedAtCR: Bool
    /// The `usageMetadata` object's bytes (offsets in the slice), if the chunk had one.
    let usage: Range<Int>?

    /// The chunk whose event's first line starts at `lineStart` in the cursor's slice, if it can
    /// be passed so. The cursor's blocks are not used: only its slice and its line tier.
    @inline(__always)
    static func skim(_ cursor: BlockCursor, at lineStart: Int, hasModel: Bool) -> GeminiChunk? {
        let count = cursor.count
        // `data:`, a space, `{` and a byte: nearer the slice's end, the walker reads the line.
        guard let window = cursor.lineWindow, lineStart &+ 8 <= count,
              EventFramer.lineKind(cursor.base + lineStart) == .dataField else { return nil }
        var valueStart = lineStart &+ 5
        if cursor.byte(at: valueStart) == 0x20 { valueStart &+= 1 }
        guard cursor.byte(at: valueStart) == UInt8(ascii: "{") else { return nil }
        var line = LineStructure(cursor.base + valueStart, count: count &- valueStart, reader: cursor.lineReader, window: window)
        guard let (usage, end) = readRoot(&line, hasModel: hasModel) else { return nil }
        // The data line's end, then a blank line: the event ends.
        let lineEnd = valueStart &+ end
        var next = lineEnd &+ 1
        if cursor.byte(at: lineEnd) == 0x0D {
            // A CR that ends the slice: whether an LF follows is the next slice's to say.
            guard next < count else { return nil }
            if cursor.byte(at: next) == 0x0A { next &+= 1 }
        }
        guard next < count else { return nil }
        let blank = cursor.byte(at: next)
        guard blank == 0x0A || blank == 0x0D else { return nil }
        next &+= 1
        var endedAtCR = false
        if blank == 0x0D {
            if next == count {
                endedAtCR = true
            } else if cursor.byte(at: next) == 0x0A {
                next &+= 1
            }
        }
        return GeminiChunk(next: next, endedAtCR: endedAtCR,
                           usage: usage.map { valueStart &+ $0.lowerBound ..< valueStart &+ $0.upperBound })
    }

    /// The chunk whose event starts `bytes` (a slice of its own), if it can be passed: for the
    /// tests that check which chunks the structural pass takes.
    static func skim(_ bytes: UnsafeRawBufferPointer, hasModel: Bool) -> GeminiChunk? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        return withUnsafeTemporaryAllocation(of: ut_frame_batch.self, capacity: 1) { room in
            withUnsafeTemporaryAllocation(of: ut_line_window.self, capacity: 1) { line in
                // Safe: temporary allocations of capacity 1 have base addresses.
                let cursor = BlockCursor(base, count: bytes.count, classifier: .current, room: room.baseAddress.unsafelyUnwrapped,
                                         lineRoom: line.baseAddress.unsafelyUnwrapped)
                return skim(cursor, at: 0, hasModel: hasModel)
            }
        }
    }

    /// Reads the root object at the line's start (its `{` checked) up to the line's end, which
    /// only blanks may separate from it: the `usageMetadata` object's bytes, if any, and the
    /// line end's offset. Nil where the walker must read the chunk.
    @inline(__always)
    private static func readRoot(_ line: inout LineStructure, hasModel: Bool) -> (usage: Range<Int>?, lineEnd: Int)? {
        var usage: Range<Int>?
        var position = line.blanksEnd(from: 1)
        if line.byte(at: position) != UInt8(ascii: "}") {
            while true {
                guard line.byte(at: position) == UInt8(ascii: "\""), let keyEnd = line.edge(after: position) else { return nil }
                // Safe: the key's bytes lie between two edges of the line.
                let name = RootName.of(line.base + position + 1, count: keyEnd &- position &- 1, readable: line.count &- position &- 1)
                // The colon, and the value's first byte: most often right after it, or after a space.
                position = keyEnd &+ 1
                if line.byte(at: position) != UInt8(ascii: ":") {
                    position = line.blanksEnd(from: position)
                    guard line.byte(at: position) == UInt8(ascii: ":") else { return nil }
                }
                position = line.blanksEnd(from: position &+ 1)
                guard let first = line.byte(at: position) else { return nil }
                switch first {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard let closer = line.closer(of: position, watching: name == .candidates) else { return nil }
                    switch name {
                    case .usageMetadata:
                        guard first == UInt8(ascii: "{"), usage == nil, closer &+ 1 &- position <= GeminiUsageCopy.capacity
                        else { return nil }
                        usage = position ..< closer &+ 1
                    case .modelVersion:
                        guard hasModel else { return nil }
                    case .candidates, .other:
                        break
                    }
                    position = closer &+ 1
                case UInt8(ascii: "\""):
                    guard name == .other || name == .candidates || (name == .modelVersion && hasModel),
                          let end = line.edge(after: position) else { return nil }
                    position = end &+ 1
                default:
                    // A scalar (one that starts as a scalar: `{"a":}` is no member).
                    guard name == .other || name == .candidates || (name == .modelVersion && hasModel),
                          !JSONWalker.endsScalar(first) else { return nil }
                    position = line.scalarEnd(from: position)
                }
                // A comma (most often right after the value), or the object's end.
                var next = line.byte(at: position)
                if next != UInt8(ascii: ",") && next != UInt8(ascii: "}") {
                    position = line.blanksEnd(from: position)
                    next = line.byte(at: position)
                }
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { return nil }
                position = line.blanksEnd(from: position &+ 1)
            }
        }
        position = line.blanksEnd(from: position &+ 1)
        guard let end = line.byte(at: position), end == 0x0A || end == 0x0D else { return nil }
        return (usage, position)
    }

    /// The root members a Gemini chunk is read for (the names ``UsagePath`` gives them, compared
    /// the same way, as raw bytes); any other is passed.
    private enum RootName {
        case candidates, usageMetadata, modelVersion, other

        /// The name of the key whose `count` bytes start at `start`, `readable` bytes from it.
        @inline(__always)
        static func of(_ start: UnsafeRawPointer, count: Int, readable: Int) -> RootName {
            // Each name is 9 to 16 bytes: two words, the second masked to the name's length.
            let (name, text): (RootName, ShortName)
            switch count {
            case 10: (name, text) = (.candidates, Names.candidates)
            case 12: (name, text) = (.modelVersion, Names.modelVersion)
            case 13: (name, text) = (.usageMetadata, Names.usageMetadata)
            default: return .other
            }
            // Near the slice's end: compared as the paths compare keys.
            guard readable >= 16 else { return RawKey(start, count: count, readable: readable) == text ? name : .other }
            let first = text.word(0), second = text.word(1)
            // Safe: 16 bytes from `start` are readable.
            let word0 = UInt64(littleEndian: start.loadUnaligned(as: UInt64.self))
            let word1 = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            return word0 == first && word1 & ((1 &<< UInt64((count &- 8) &* 8)) &- 1) == second ? name : .other
        }
    }
}

extension LineStructure {
    /// The first byte at or after `position` that is not a space or a tab. (No blank is a line
    /// end: a reader that passes blanks stays on the line.)
    @inline(__always)
    func blanksEnd(from position: Int) -> Int {
        var position = position
        while let byte = byte(at: position), byte == 0x20 || byte == 0x09 { position &+= 1 }
        return position
    }

    /// The byte that ends the scalar starting at `position`, or the readable bytes' end.
    @inline(__always)
    func scalarEnd(from position: Int) -> Int {
        var position = position &+ 1
        while let byte = byte(at: position), !JSONWalker.endsScalar(byte) { position &+= 1 }
        return position
    }
}
