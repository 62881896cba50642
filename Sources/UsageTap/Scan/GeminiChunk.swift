internal import CUsageTapVector

/// A Gemini chunk passed by its structure alone, without the walker.
///
/// Every Gemini chunk carries `usageMetadata`, the usage so far, so the event sieve can pass
/// none of them. But only the last chunk's usage counts, and nothing else in most chunks
/// matters: the model is known after the first chunk, and `finishReason` comes in the last. So a
/// chunk whose event is one data line followed by a blank line, whole in the slice, is read from
/// the line tier's masks (``LineStructure``) in one pass over its brackets and the few strings
/// that can matter, never token by token:
/// - the brackets give the depth, which tells that the data is one object followed by nothing
///   but blanks, as the walker, which counts the same brackets, would find it;
/// - a string `usageMetadata` at depth 1, right after the root's `{` or a comma and followed by
///   a colon and an object, is the member the walker reads: that object's bytes are kept for the
///   record (``GeminiUsageCopy``), which reads only the last one kept;
/// - a string that may be `finishReason`, anywhere, leaves the chunk to the walker.
///
/// Anything else leaves the chunk to the walker, from its first line, with nothing changed: a
/// model still to be taken, a `usageMetadata` at depth 1 in any other place or followed by
/// anything but an object (or twice), an event of several lines, data that is not one object,
/// malformed or cut off, or a line the line tier cannot read bit-parallel.
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
        guard hasModel, let window = cursor.lineWindow, lineStart &+ 8 <= count,
              EventFramer.lineKind(cursor.base + lineStart) == .dataField else { return nil }
        var valueStart = lineStart &+ 5
        if cursor.byte(at: valueStart) == 0x20 { valueStart &+= 1 }
        guard cursor.byte(at: valueStart) == UInt8(ascii: "{") else { return nil }
        var line = LineStructure(cursor.base + valueStart, count: count &- valueStart, reader: cursor.lineReader, window: window)
        guard let (usage, end) = readRoot(&line) else { return nil }
        // The data line's end, then a blank line: the event ends.
        guard let blankLine = EventFramer.nextLineStart(after: valueStart &+ end, in: cursor), blankLine < count else { return nil }
        let blank = cursor.byte(at: blankLine)
        guard blank == 0x0A || blank == 0x0D else { return nil }
        // A CR that ends the slice ends the blank line too; an LF that starts the next slice
        // belongs to it.
        let next = EventFramer.nextLineStart(after: blankLine, in: cursor)
        return GeminiChunk(next: next ?? count, endedAtCR: next == nil,
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
    private static func readRoot(_ line: inout LineStructure) -> (usage: Range<Int>?, lineEnd: Int)? {
        var depth = 0
        var usage = UsageMember()
        while let (blocks, windowStart) = line.nextWindow() {
            var blockStart = windowStart
            for block in blocks {
                defer { blockStart &+= 64 }
                guard let keys = usageKeys(block, line, blockStart: blockStart) else { return nil }
                var marks = block.brackets | keys
                while marks != 0 {
                    let bit = marks.trailingZeroBitCount
                    marks &= marks &- 1
                    let position = blockStart &+ bit
                    // Most blocks have no usage key: one test of a register.
                    if keys != 0, keys &>> UInt64(bit) & 1 != 0 {
                        // Deeper than the root's members, the string is content.
                        guard depth != 1 || usage.keyFound(at: position, line) else { return nil }
                        continue
                    }
                    // Safe: a bracket lies in the line. `}` and `]` have bit 1 clear, `{` and `[` set.
                    if line.base.load(fromByteOffset: position, as: UInt8.self) & 2 != 0 {
                        depth &+= 1
                        continue
                    }
                    depth &-= 1
                    // Most closers are deeper; at depth 1 a root member ends.
                    guard depth <= 1 else { continue }
                    guard depth == 0 else {
                        guard usage.memberEnded(at: position) else { return nil }
                        continue
                    }
                    // The root's end: blanks, then the line's.
                    let end = line.blanksEnd(from: position &+ 1)
                    guard let byte = line.byte(at: end), byte == 0x0A || byte == 0x0D else { return nil }
                    return (usage.range, end)
                }
            }
        }
        return nil
    }

    /// The usage member of the root, as its brackets are walked.
    private struct UsageMember {
        var range: Range<Int>?
        /// Where the usage object opens, from its key until it closes.
        var opener = -1

        /// A string `usageMetadata` opens at `key`, at depth 1: it must be the usage member.
        @inline(__always)
        mutating func keyFound(at key: Int, _ line: LineStructure) -> Bool {
            guard range == nil, opener < 0, let object = line.objectOfMember(at: key) else { return false }
            opener = object
            return true
        }

        /// A root member ended at `position`: if it is the usage member, its object is read.
        @inline(__always)
        mutating func memberEnded(at position: Int) -> Bool {
            guard opener >= 0 else { return true }
            guard position &+ 1 &- opener <= GeminiUsageCopy.capacity else { return false }
            range = opener ..< position &+ 1
            opener = -1
            return true
        }
    }

    /// The opening edges of the block at `blockStart` whose strings are exactly `usageMetadata`;
    /// nil where a string may be `finishReason`, which the walker must read. The line tier marks
    /// the strings of their lengths, 12 and 13 bytes.
    @inline(__always)
    private static func usageKeys(_ block: ut_line_block, _ line: LineStructure, blockStart: Int) -> UInt64? {
        var candidates = block.named
        var keys: UInt64 = 0
        while candidates != 0 {
            let bit = candidates.trailingZeroBitCount
            candidates &= candidates &- 1
            let start = blockStart &+ bit &+ 1
            // Too near the slice's end to hold a name and its quote: were it one, the line would
            // not end in the slice, and the chunk is left to the walker all the same.
            guard start &+ 14 <= line.count else { continue }
            // Safe: 14 bytes from `start` are readable: bytes 0-7, and 6-13.
            let head = UInt64(littleEndian: (line.base + start).loadUnaligned(as: UInt64.self))
            if head == Names.finishReason.word(0) { return nil }
            guard head == Names.usageMetadata.word(0) else { continue }
            let tail = UInt64(littleEndian: (line.base + start + 6).loadUnaligned(as: UInt64.self))
            if tail == Self.usageMetadataTail { keys |= 1 &<< UInt64(bit) }
        }
        return keys
    }

    /// Bytes 6 to 13 of `usageMetadata"`: its last seven letters and the closing quote.
    private static var usageMetadataTail: UInt64 {
        Names.usageMetadata.word(0) &>> 48 | Names.usageMetadata.word(1) &<< 16 | UInt64(UInt8(ascii: "\"")) &<< 56
    }
}

extension LineStructure {
    /// Where the object that is the value of the member whose key opens at `key` (a string of
    /// 13 bytes) opens: the key must follow the root's `{` or a comma, and be followed by a colon
    /// and `{`, blanks aside, as the walker reads a member. Nil otherwise, or near the slice's end.
    @inline(__always)
    func objectOfMember(at key: Int) -> Int? {
        var before = key &- 1
        while let byte = byte(at: before), byte == 0x20 || byte == 0x09 { before &-= 1 }
        guard let previous = byte(at: before), previous == UInt8(ascii: ",") || previous == UInt8(ascii: "{") else { return nil }
        let colon = blanksEnd(from: key &+ 15)
        guard byte(at: colon) == UInt8(ascii: ":") else { return nil }
        let value = blanksEnd(from: colon &+ 1)
        return byte(at: value) == UInt8(ascii: "{") ? value : nil
    }

    /// The first byte at or after `position` that is not a space or a tab. (No blank is a line
    /// end: a reader that passes blanks stays on the line.)
    @inline(__always)
    func blanksEnd(from position: Int) -> Int {
        var position = position
        while let byte = byte(at: position), byte == 0x20 || byte == 0x09 { position &+= 1 }
        return position
    }
}
