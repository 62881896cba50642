/// Byte search over raw memory, sixteen bytes at a time: the only pointer arithmetic in this
/// module.
///
/// The standard library's `SIMD16<UInt8>` compiles to one vector compare per pattern on every
/// target Swift supports (SSE2 on x86-64, NEON on ARM64), so no platform code is needed. The
/// last bytes of a range, fewer than sixteen, are read one at a time.
///
/// Public so that `UsageTap` scans with the same code; not meant for other callers.
public enum _UnsafeByteSearch {
    /// The offset of the first byte in `base[start..<end]` equal to `a` or `b`, or `end` if none.
    ///
    /// `base[start..<end]` must be readable for the duration of the call.
    @inlinable
    public static func firstIndex(
        of a: UInt8, or b: UInt8, in base: UnsafeRawPointer, from start: Int, to end: Int
    ) -> Int {
        let vectorA = SIMD16<UInt8>(repeating: a)
        let vectorB = SIMD16<UInt8>(repeating: b)
        var index = start
        while index &+ 16 <= end {
            // Safe: index + 16 <= end, so all sixteen bytes lie inside the caller's readable range.
            let chunk = base.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
            let hits = chunk .== vectorA .| chunk .== vectorB
            if let lane = firstLane(of: hits) { return index &+ lane }
            index &+= 16
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
        let vectorA = SIMD16<UInt8>(repeating: a)
        // `{` `}` `[` `]` are 7B 7D 5B 5D: setting bit 5 and clearing bits 1 and 2 takes all
        // four to 79.
        let lowerCase = SIMD16<UInt8>(repeating: 0x20)
        let keptBits = SIMD16<UInt8>(repeating: 0xF9)
        let bracketClass = SIMD16<UInt8>(repeating: 0x79)
        var index = start
        while index &+ 16 <= end {
            // Safe: index + 16 <= end, so all sixteen bytes lie inside the caller's readable range.
            let chunk = base.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
            let hits = chunk .== vectorA .| (chunk | lowerCase) & keptBits .== bracketClass
            if let lane = firstLane(of: hits) { return index &+ lane }
            index &+= 16
        }
        while index < end {
            // Safe: start <= index < end.
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if byte == a || (byte | 0x20) & 0xF9 == 0x79 { return index }
            index &+= 1
        }
        return end
    }

    /// The index of the first true lane, or nil when none is. (The standard library's `any`
    /// is a reduction call; two words and a bit count are cheaper.)
    @inlinable @inline(__always)
    static func firstLane(of hits: SIMDMask<SIMD16<Int8>>) -> Int? {
        // Each true lane becomes an FF byte; as two little-endian words the first lane is lowest.
        let lanes = unsafeBitCast(SIMD16<UInt8>(repeating: 0).replacing(with: 0xFF, where: hits), to: SIMD2<UInt64>.self)
        let low = UInt64(littleEndian: lanes[0])
        if low != 0 { return low.trailingZeroBitCount &>> 3 }
        let high = UInt64(littleEndian: lanes[1])
        return high != 0 ? 8 &+ high.trailingZeroBitCount &>> 3 : nil
    }
}
