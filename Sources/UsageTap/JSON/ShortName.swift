/// Up to 32 bytes of a JSON key or short string value, packed into four words, plus the length.
///
/// Every key and value the tap compares against is at most 32 bytes, so longer text only needs
/// to be known as "longer", which the saturated `count` records. Comparison is on raw bytes, as
/// simdjson's On-Demand API does: an escaped key such as `"\u0075sage"` is not `usage`.
///
/// The words are four separate integers, not an array, so that a name read in place stays in
/// registers and is compared a word at a time: wider loads of freshly stored words stall.
@_spi(Reference) public struct ShortName: Sendable, Equatable, KeyText {
    static let capacity = 32

    /// Bytes 0-7, 8-15, 16-23 and 24-31, each word's first byte lowest.
    private var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0
    /// The number of bytes appended, saturating at `capacity + 1`.
    @_spi(Reference) public private(set) var count = 0

    @_spi(Reference) public init() {}

    @inline(__always)
    init(_ text: StaticString) {
        precondition(text.utf8CodeUnitCount <= Self.capacity, "\(text) is too long for ShortName")
        self.init(text.utf8Start, count: text.utf8CodeUnitCount, readable: text.utf8CodeUnitCount)
    }

    /// A name given as its words: for constants (see `Names`).
    @inline(__always)
    init(count: Int, w0: UInt64, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
        self.count = count
    }

    /// The `count` bytes at `start`, read a word at a time where the `readable` bytes from
    /// `start` allow it. `count` must not exceed `readable`.
    @inline(__always)
    @_spi(Reference) public init(_ start: UnsafeRawPointer, count: Int, readable: Int) {
        assert(count <= readable)
        let kept = min(count, Self.capacity)
        if readable >= Self.capacity {
            // The usual case, well inside a slice: four loads, each masked to the name's bytes.
            // Safe: 32 bytes are readable from `start`.
            w0 = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) & Self.mask(kept)
            w1 = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & Self.mask(kept &- 8)
            w2 = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 16, as: UInt64.self)) & Self.mask(kept &- 16)
            w3 = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: 24, as: UInt64.self)) & Self.mask(kept &- 24)
        } else {
            w0 = Self.word(start, from: 0, kept: kept, readable: readable)
            if kept > 8 { w1 = Self.word(start, from: 8, kept: kept, readable: readable) }
            if kept > 16 { w2 = Self.word(start, from: 16, kept: kept, readable: readable) }
            if kept > 24 { w3 = Self.word(start, from: 24, kept: kept, readable: readable) }
        }
        self.count = count > Self.capacity ? Self.capacity &+ 1 : count
    }

    /// The low `length` bytes of a word set (all of them from 8 on, none at 0 or below).
    @inline(__always)
    private static func mask(_ length: Int) -> UInt64 {
        length >= 8 ? ~0 : length <= 0 ? 0 : (1 &<< UInt64(length &* 8)) &- 1
    }

    /// The up to eight bytes of `start[offset..<kept]` as a word, first byte lowest.
    @inline(__always)
    static func word(_ start: UnsafeRawPointer, from offset: Int, kept: Int, readable: Int) -> UInt64 {
        let length = min(8, kept &- offset)
        guard length > 0 else { return 0 }
        if offset &+ 8 <= readable {
            // Safe: the eight bytes from `offset` lie within the `readable` ones.
            let value = UInt64(littleEndian: start.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            return length == 8 ? value : value & ((1 &<< UInt64(length &* 8)) &- 1)
        }
        var value: UInt64 = 0
        for byte in 0..<length {
            // Safe: offset + byte < kept <= readable.
            value |= UInt64(start.load(fromByteOffset: offset &+ byte, as: UInt8.self)) &<< UInt64(byte &* 8)
        }
        return value
    }

    /// Bytes `8 * index ..< 8 * index + 8`, for index 0...3.
    @inline(__always)
    @_spi(Reference) public func word(_ index: Int) -> UInt64 {
        switch index {
        case 0: w0
        case 1: w1
        case 2: w2
        default: w3
        }
    }

    var isEmpty: Bool { count == 0 }

    @_spi(Reference) public mutating func reset() {
        self = ShortName()
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count < Self.capacity {
            let bits = UInt64(byte) &<< UInt64((count & 7) &* 8)
            switch count &>> 3 {
            case 0: w0 |= bits
            case 1: w1 |= bits
            case 2: w2 |= bits
            default: w3 |= bits
            }
        }
        if count <= Self.capacity { count &+= 1 }
    }

    /// Appends the bytes of `run`, stopping once the name is known to be too long.
    @inline(__always)
    @_spi(Reference) public mutating func append(_ run: UnsafeRawBufferPointer) {
        guard let start = run.baseAddress else { return }
        if count == 0 {
            // The usual case, a name that arrives whole: read it a word at a time.
            self = ShortName(start, count: run.count, readable: run.count)
            return
        }
        for byte in run {
            guard count <= Self.capacity else { return }
            append(byte)
        }
    }

    /// True when this text starts with all of `prefix`.
    func hasPrefix(_ prefix: ShortName) -> Bool {
        guard prefix.count <= count, prefix.count <= Self.capacity else { return false }
        func masked(_ word: UInt64, from offset: Int) -> UInt64 {
            let length = prefix.count - offset
            return length >= 8 ? word : length <= 0 ? 0 : word & ((1 << UInt64(length * 8)) - 1)
        }
        return masked(w0, from: 0) == prefix.w0 && masked(w1, from: 8) == prefix.w1
            && masked(w2, from: 16) == prefix.w2 && masked(w3, from: 24) == prefix.w3
    }

    @inline(__always)
    @_spi(Reference) public static func == (lhs: ShortName, rhs: ShortName) -> Bool {
        lhs.count == rhs.count && lhs.w0 == rhs.w0 && lhs.w1 == rhs.w1 && lhs.w2 == rhs.w2 && lhs.w3 == rhs.w3
    }
}
