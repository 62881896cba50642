/// A fast 64-bit hash of bytes, a multiplication and a shift per 8-byte word: for tables keyed
/// by bytes no outsider can choose to collide (the proxy's known keys) and for checksums that
/// tell a damaged record from a whole one. Not a defence against anyone, and not SipHash: a
/// fraction of its cost on short keys.
public enum WordHash {
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var offset = 0
        func mix(_ word: UInt64) {
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 32
        }
        while offset + 8 <= bytes.count {
            // In bounds: `offset + 8 <= bytes.count`.
            mix(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var tail: UInt64 = 0
        for byte in bytes[offset...].reversed() { tail = tail << 8 | UInt64(byte) }
        mix(tail)
        return hash
    }
}
