internal import CUsageTapVector

/// A Gemini chunk read by its structure alone, without the walker.
///
/// Every Gemini chunk carries `usageMetadata`, the usage so far, but only the last chunk's usage
/// counts, and nothing else in most chunks matters: the model is known after the first chunk,
/// and `finishReason` comes in the last. The event sieve passes runs of such chunks, and the
/// framer reads the last one of a run here (or, where that one does not tell, each of the run
/// in turn). A chunk whose event is one data line followed by a blank line, whole in the slice,
/// is read from the outline tier's reading of its root object (``RootOutline``), never token by
/// token:
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
/// malformed or cut off, or a line the outline tier cannot read.
struct GeminiChunk {
    /// Where the line after the chunk's blank line starts.
    let next: Int
    /// The blank line ended at a CR that ends the slice: an LF that starts the next slice belongs
    /// to it.
    let endedAtCR: Bool
    /// The `usageMetadata` object's bytes (offsets in the slice), if the chunk had one.
    let usage: Range<Int>?

    /// The chunk whose event's first line starts at `lineStart` in the cursor's slice, if it can
    /// be passed so. The cursor's blocks are not used: only its slice and its outline tier.
    @inline(__always)
    static func skim(_ cursor: BlockCursor, at lineStart: Int, hasModel: Bool) -> GeminiChunk? {
        let count = cursor.count
        // `data:`, a space, `{` and a byte: nearer the slice's end, the walker reads the line.
        guard hasModel, let room = cursor.outlineRoom, lineStart &+ 8 <= count,
              EventFramer.lineKind(cursor.base + lineStart) == .dataField else { return nil }
        var valueStart = lineStart &+ 5
        if cursor.byte(at: valueStart) == 0x20 { valueStart &+= 1 }
        guard cursor.byte(at: valueStart) == UInt8(ascii: "{"),
              let root = RootOutline(cursor.base + valueStart, count: count &- valueStart, reader: cursor.outlineReader, room: room),
              let usage = usage(of: root) else { return nil }
        // The root's end: blanks, then the line's.
        let end = root.blanksEnd(from: root.end &+ 1)
        guard let byte = root.byte(at: end), byte == 0x0A || byte == 0x0D else { return nil }
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
            withUnsafeTemporaryAllocation(of: ut_outline.self, capacity: 1) { outline in
                // Safe: temporary allocations of capacity 1 have base addresses.
                let cursor = BlockCursor(base, count: bytes.count, classifier: .current, room: room.baseAddress.unsafelyUnwrapped,
                                         outlineRoom: outline.baseAddress.unsafelyUnwrapped)
                return skim(cursor, at: 0, hasModel: hasModel)
            }
        }
    }

    /// The `usageMetadata` object's bytes in the root (offsets from its `{`; nil if it has
    /// none), from the outline's strings; nothing where the walker must read the chunk: a string
    /// that may be `finishReason`, anywhere, or a `usageMetadata` of the root (depth 1) that is
    /// not the member the walker would read, not an object, too long to keep, or the second.
    /// (Deeper, a `usageMetadata` is content.)
    @inline(__always)
    private static func usage(of root: RootOutline) -> Range<Int>?? {
        var usage: Range<Int>?
        for name in root.names {
            let start = Int(name.at) &+ 1
            // Too near the slice's end to hold a name and its quote: were it one, the root
            // would not have closed in the slice.
            guard start &+ 14 <= root.count else { continue }
            let head = root.word(at: start)
            if head == Names.finishReason.word(0) { return .none }
            guard head == Names.usageMetadata.word(0), root.word(at: start &+ 6) == Self.usageMetadataTail,
                  name.depth == 1 else { continue }
            guard usage == nil, let object = root.objectOfMember(at: Int(name.at)), let end = root.memberEnd(after: object),
                  end &+ 1 &- object <= GeminiUsageCopy.capacity else { return .none }
            usage = object ..< end &+ 1
        }
        return .some(usage)
    }

    /// Bytes 6 to 13 of `usageMetadata"`: its last seven letters and the closing quote.
    private static var usageMetadataTail: UInt64 {
        Names.usageMetadata.word(0) &>> 48 | Names.usageMetadata.word(1) &<< 16 | UInt64(UInt8(ascii: "\"")) &<< 56
    }
}
