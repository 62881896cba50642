/// Up to 32 bytes of a JSON key or short string value, packed into four words, plus the length.
///
/// Every key and value the tap compares against is at most 32 bytes, so longer text only needs
/// to be known as "longer", which the saturated `count` records. Comparison is on raw bytes, as
/// simdjson's On-Demand API does: an escaped key such as `"\u0075sage"` is not `usage`.
struct ShortName: Sendable, Equatable {
    static let capacity = 32

    private var words: InlineArray<4, UInt64> = .init(repeating: 0)
    /// The number of bytes appended, saturating at `capacity + 1`.
    private(set) var count = 0

    init() {}

    init(_ text: StaticString) {
        precondition(text.utf8CodeUnitCount <= Self.capacity, "\(text) is too long for ShortName")
        text.withUTF8Buffer { bytes in
            for byte in bytes { append(byte) }
        }
    }

    var isEmpty: Bool { count == 0 }

    mutating func reset() {
        self = ShortName()
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count < Self.capacity {
            words[count &>> 3] |= UInt64(byte) << UInt64((count & 7) &* 8)
        }
        if count <= Self.capacity { count &+= 1 }
    }

    /// Appends the bytes of `run`, stopping once the name is known to be too long.
    mutating func append(_ run: UnsafeRawBufferPointer) {
        for byte in run {
            guard count <= Self.capacity else { return }
            append(byte)
        }
    }

    /// True when this text starts with all of `prefix`.
    func hasPrefix(_ prefix: ShortName) -> Bool {
        guard prefix.count <= count, prefix.count <= Self.capacity else { return false }
        var remaining = prefix.count
        var word = 0
        while remaining > 0 {
            let mask: UInt64 = remaining >= 8 ? ~0 : (1 << UInt64(remaining * 8)) &- 1
            if words[word] & mask != prefix.words[word] { return false }
            remaining -= min(remaining, 8)
            word += 1
        }
        return true
    }

    static func == (lhs: ShortName, rhs: ShortName) -> Bool {
        lhs.count == rhs.count && lhs.words[0] == rhs.words[0] && lhs.words[1] == rhs.words[1]
            && lhs.words[2] == rhs.words[2] && lhs.words[3] == rhs.words[3]
    }
}
