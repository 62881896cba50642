/// Word-at-a-time byte search over raw memory: the only pointer arithmetic in this module.
///
/// Public so that `UsageTap` scans with the same code; not meant for other callers.
public enum _UnsafeByteSearch {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// High bit set in each byte of `word` that is zero. The lowest flagged byte is always a true
    /// zero byte (borrows only spill upwards), which is all the callers use.
    @inlinable @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- ones) & ~word & highs
    }

    /// The offset of the first byte in `base[start..<end]` equal to `a` or `b`, or `end` if none.
    ///
    /// `base[start..<end]` must be readable for the duration of the call.
    @inlinable
    public static func firstIndex(
        of a: UInt8, or b: UInt8, in base: UnsafeRawPointer, from start: Int, to end: Int
    ) -> Int {
        let patternA = ones &* UInt64(a)
        let patternB = ones &* UInt64(b)
        var index = start
        while index &+ 8 <= end {
            // Safe: index + 8 <= end, so all eight bytes lie inside the caller's readable range.
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let hits = zeroBytes(word ^ patternA) | zeroBytes(word ^ patternB)
            if hits != 0 { return index &+ (hits.trailingZeroBitCount &>> 3) }
            index &+= 8
        }
        while index < end {
            // Safe: start <= index < end.
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == a || byte == b { return index }
            index &+= 1
        }
        return end
    }

    /// The offset of the first byte in `base[start..<end]` that is `a` or may be a JSON bracket,
    /// or `end` if none. Brackets are found through one mask that also lets `y`, `Y`, `_` and
    /// DEL through, so the caller must check the byte it is given.
    ///
    /// `base[start..<end]` must be readable for the duration of the call.
    @inlinable
    public static func firstIndex(
        of a: UInt8, orMaybeBracketIn base: UnsafeRawPointer, from start: Int, to end: Int
    ) -> Int {
        let patternA = ones &* UInt64(a)
        // `{` `}` `[` `]` are 0x7B 0x7D 0x5B 0x5D: setting bit 5 and clearing bits 1 and 2
        // takes all four to 0x79.
        let lowerCase = ones &* 0x20
        let keptBits = ones &* 0xF9
        let bracketClass = ones &* 0x79
        var index = start
        while index &+ 8 <= end {
            // Safe: index + 8 <= end, so all eight bytes lie inside the caller's readable range.
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let hits = zeroBytes(word ^ patternA) | zeroBytes((word | lowerCase) & keptBits ^ bracketClass)
            if hits != 0 { return index &+ (hits.trailingZeroBitCount &>> 3) }
            index &+= 8
        }
        while index < end {
            // Safe: start <= index < end.
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == a || (byte | 0x20) & 0xF9 == 0x79 { return index }
            index &+= 1
        }
        return end
    }
}
