internal import CUsageTapVector

/// One data line's root object as the outline tier of stage 1 (C) reads it, in one call: where
/// it ends, and its strings of 12 or 13 bytes (those that may be `usageMetadata` or
/// `finishReason`), each with its depth and the end of the container that follows it.
///
/// The outline tier reads the line's blocks once, counted from the root's `{`, and gives only
/// this: a line read so costs no framing tier and no walk of its brackets. Where it cannot give
/// the sequential reading (a backslash outside the strings found, in malformed JSON), where the
/// root does not close on the line in the slice, or where it holds more of those strings than an
/// outline does, there is no outline, and the line is left to the ``JSONWalker``.
struct RootOutline {
    /// The root's `{`, and how many bytes are readable from it (to the slice's end).
    let base: UnsafeRawPointer
    let count: Int
    /// The offset of the root's closing bracket.
    let end: Int
    /// The root's strings of 12 or 13 bytes, in order (with, rarely, a longer one whose end the
    /// outline tier could not see: the reader compares their bytes).
    let names: UnsafeBufferPointer<ut_outline_name>
    /// The closers that leave one bracket open, the root's: the ends of its members that are
    /// containers, in order.
    let memberEnds: UnsafeBufferPointer<Int32>

    /// The outline of the root object whose `{` is at `base`, written to `room`, which must stay
    /// valid (and be used by nothing else) while the outline is; nil where there is none.
    @inline(__always)
    init?(_ base: UnsafeRawPointer, count: Int, reader: ut_outline_reader, room: UnsafeMutablePointer<ut_outline>) {
        assert(count > 0 && base.load(as: UInt8.self) == UInt8(ascii: "{"))
        // Safe: `count` bytes are readable from `base`; the room holds an outline.
        let end = reader(base.assumingMemoryBound(to: UInt8.self), count, room)
        guard end >= 0 else { return nil }
        self.base = base
        self.count = count
        self.end = end
        // Safe: the outline's two arrays (C arrays, tuples here) hold `name_count` and
        // `end_count` written entries; a stored property of a C struct has an offset.
        let outline = UnsafeRawPointer(room)
        names = UnsafeBufferPointer(start: (outline + MemoryLayout<ut_outline>.offset(of: \.names).unsafelyUnwrapped)
                                        .assumingMemoryBound(to: ut_outline_name.self),
                                    count: Int(room.pointee.name_count))
        memberEnds = UnsafeBufferPointer(start: (outline + MemoryLayout<ut_outline>.offset(of: \.ends).unsafelyUnwrapped)
                                             .assumingMemoryBound(to: Int32.self),
                                         count: Int(room.pointee.end_count))
    }

    /// The end of the root's member whose container opens at `opener` (at depth 1, so that the
    /// first member end after it is its own), nil if none.
    @inline(__always)
    func memberEnd(after opener: Int) -> Int? {
        for end in memberEnds where Int(end) > opener { return Int(end) }
        return nil
    }

    /// The byte at `position`, nil outside the readable bytes.
    @inline(__always)
    func byte(at position: Int) -> UInt8? {
        guard UInt(bitPattern: position) < UInt(bitPattern: count) else { return nil }
        // Safe: 0 <= position < count, the readable bytes.
        return base.load(fromByteOffset: position, as: UInt8.self)
    }

    /// The 8 bytes from `position`, which must lie in the readable bytes with 7 after it.
    @inline(__always)
    func word(at position: Int) -> UInt64 {
        assert(position >= 0 && position &+ 8 <= count)
        // Safe: the 8 bytes lie in the readable ones (asserted).
        return UInt64(littleEndian: (base + position).loadUnaligned(as: UInt64.self))
    }

    /// Where the object that is the value of the member whose key opens at `key` (a string of
    /// 13 bytes) opens: the key must follow the root's `{` or a comma, and be followed by a colon
    /// and `{`, blanks aside, as the walker reads a member. Nil otherwise.
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
