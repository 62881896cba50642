/// The bytes of a member name as the usage paths compare them: a word of eight bytes at a
/// time, first byte lowest, only as far as a comparison needs.
///
/// Two kinds exist: a ``ShortName`` (a name gathered across slices, already packed) and a
/// ``RawKey`` (a name lying whole in the slice, read where it lies). The paths are written once,
/// against this protocol, so that both give the same answer.
@_spi(Reference) public protocol KeyText {
    /// The name's length in bytes (a ``ShortName`` saturates above its capacity; no name on a
    /// path is that long).
    var count: Int { get }
    /// Bytes `8 * index ..< 8 * index + 8` of the name (those past its end are 0), for index 0...3.
    func word(_ index: Int) -> UInt64
}

extension KeyText {
    /// Exactly the bytes of `name`: the lengths first, then as many words as the name has.
    @inline(__always)
    static func == (key: Self, name: ShortName) -> Bool {
        guard key.count == name.count else { return false }
        guard key.word(0) == name.word(0) else { return false }
        guard name.count > 8 else { return true }
        guard key.word(1) == name.word(1) else { return false }
        guard name.count > 16 else { return true }
        guard key.word(2) == name.word(2) else { return false }
        return name.count <= 24 || key.word(3) == name.word(3)
    }

    /// Lets a `switch` over a key have names as its cases.
    @inline(__always)
    static func ~= (name: ShortName, key: Self) -> Bool { key == name }
}

/// A member name that lies whole in the slice, compared where it lies: no copy, and no word is
/// loaded that a comparison does not reach (most keys fail on their length alone).
struct RawKey: KeyText {
    private let start: UnsafeRawPointer
    let count: Int
    /// Bytes readable from `start`: at least `count`.
    private let readable: Int

    @inline(__always)
    init(_ start: UnsafeRawPointer, count: Int, readable: Int) {
        assert(count <= readable)
        self.start = start
        self.count = count
        self.readable = readable
    }

    @inline(__always)
    func word(_ index: Int) -> UInt64 {
        ShortName.word(start, from: index &* 8, kept: min(count, ShortName.capacity), readable: readable)
    }
}
