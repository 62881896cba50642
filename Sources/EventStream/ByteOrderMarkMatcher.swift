/// Recognises the UTF-8 byte order mark (EF BB BF) at the very start of a stream, a byte at a
/// time, so that a mark split across slices is still one mark.
///
/// Public because `UsageTap` applies the same rule when it tells an event stream from a body.
public struct ByteOrderMarkMatcher: Sendable {
    /// What one byte at the start of the stream turned out to be.
    public enum Outcome: Sendable, Equatable {
        /// The byte continues (or completes) the mark: skip it.
        case partOfMark
        /// The byte is not part of a mark. The `matchedBefore` bytes before it, held back as a
        /// possible mark (EF, or EF BB), were content after all.
        case content(matchedBefore: Int)
    }

    /// The mark's bytes, for replaying a partial match as content.
    @inlinable public static var bytes: (UInt8, UInt8, UInt8) { (0xEF, 0xBB, 0xBF) }

    @usableFromInline var matched: UInt8 = 0
    @usableFromInline var settled = false

    @inlinable public init() {}

    /// The mark is complete, or the stream is known to have none: bytes are content from now on.
    @inlinable public var isSettled: Bool { settled }

    /// Reads the next byte of the stream; call only while not `isSettled`.
    @inlinable
    public mutating func consume(_ byte: UInt8) -> Outcome {
        let mark = Self.bytes
        let expected = matched == 0 ? mark.0 : matched == 1 ? mark.1 : mark.2
        guard byte == expected else {
            settled = true
            return .content(matchedBefore: Int(matched))
        }
        matched += 1
        settled = matched == 3
        return .partOfMark
    }
}
