internal import CUsageTapVector

/// One data line's value read as a JSON document of its own, from the line tier of stage 1 (C):
/// its string edges and its brackets outside strings, block by block up to the line's end, a
/// window of blocks a call, as far as a reader asks.
///
/// Blocks count from the value's first byte (not from the slice's), and positions are offsets
/// from it. The line tier reads bytes once, for the line only: a passed line costs no framing
/// tier besides. Where it cannot give the sequential reading (a backslash outside the strings
/// found, malformed JSON), or the line does not end in the slice, there is no structure, and the
/// line is left to the ``JSONWalker``.
struct LineStructure {
    /// The value's first byte, and how many bytes are readable from it (to the slice's end).
    let base: UnsafeRawPointer
    let count: Int
    private let reader: ut_line_reader
    /// Room for one window of blocks.
    private let window: UnsafeMutablePointer<ut_line_block>
    /// The index of the window's first block, and how many blocks it holds.
    private var windowStart = 0
    private var windowCount = 0
    /// The document's string state after the window.
    private var state = ut_string_state(in_string: 0, escape: 0)
    /// The window holds the line's last block, or the line has no structure: no window follows.
    private var isLast = false

    init(_ base: UnsafeRawPointer, count: Int, reader: ut_line_reader, window: UnsafeMutablePointer<ut_line_block>) {
        assert(count > 0)
        self.base = base
        self.count = count
        self.reader = reader
        self.window = window
    }

    /// The masks of block `index` (at or after the window's first), reading windows up to it;
    /// nil past the line's end, or where the line has no structure.
    @inline(__always)
    mutating func block(_ index: Int) -> ut_line_block? {
        assert(index >= windowStart)
        let slot = index &- windowStart
        // Safe: slot < windowCount, the blocks the window holds.
        if slot < windowCount { return window[slot] }
        return blockInNextWindows(index)
    }

    /// The rare case, a block past the window: out of line.
    @inline(never)
    private mutating func blockInNextWindows(_ index: Int) -> ut_line_block? {
        while index >= windowStart &+ windowCount {
            guard !isLast else { return nil }
            windowStart &+= windowCount
            let start = windowStart &* 64
            guard start < count else {
                isLast = true
                return nil
            }
            // Safe: `count - start` bytes are readable from `start`; the window has room for
            // UT_LINE_WINDOW blocks.
            let found = reader((base + start).assumingMemoryBound(to: UInt8.self), count &- start, &state, window)
            if found >= 0 {
                windowCount = found &>> 6 &+ 1
                isLast = true
            } else if found == Int(UT_LINE_GOES_ON) {
                windowCount = Int(UT_LINE_WINDOW)
            } else {
                windowCount = 0
                isLast = true
                return nil
            }
        }
        return window[index &- windowStart]
    }

    @inline(__always)
    func byte(at position: Int) -> UInt8? {
        guard position < count else { return nil }
        // Safe: 0 <= position < count, the readable bytes.
        return base.load(fromByteOffset: position, as: UInt8.self)
    }

    /// The first string edge after `position`: nil if the line ends first.
    @inline(__always)
    mutating func edge(after position: Int) -> Int? {
        var index = (position &+ 1) &>> 6
        var from = UInt64.bits(from: (position &+ 1) & 63)
        while let block = block(index) {
            let edges = block.edges & from
            if edges != 0 { return index &<< 6 &+ edges.trailingZeroBitCount }
            index &+= 1
            from = ~0
        }
        return nil
    }

    /// The bracket that closes the container opened at `open`: nil if the line ends first, or,
    /// when `watching`, if a string in it may be `finishReason` (a name the caller must then
    /// read for itself).
    @inline(__always)
    mutating func closer(of open: Int, watching: Bool) -> Int? {
        var index = open &>> 6
        var from = UInt64.bits(from: open & 63)
        var depth = 0
        while let block = block(index) {
            if watching, Self.mayHoldFinishReason(block.edges & from, base, count: count, blockStart: index &<< 6) {
                return nil
            }
            var brackets = block.brackets & from
            while brackets != 0 {
                let bit = brackets.trailingZeroBitCount
                // Safe: a bracket lies inside the line. `}` and `]` have bit 1 clear, `{` and `[` set.
                if base.load(fromByteOffset: index &<< 6 &+ bit, as: UInt8.self) & 2 == 0 {
                    depth &-= 1
                    if depth == 0 { return index &<< 6 &+ bit }
                } else {
                    depth &+= 1
                }
                brackets &= brackets &- 1
            }
            index &+= 1
            from = ~0
        }
        return nil
    }

    /// Whether a string of the block at `blockStart` may be `finishReason`: its opening edge is
    /// then one of `edges` with another edge 13 bytes on (where that one would lie in the next
    /// block, every edge counts), and its first eight bytes are `finishRe`.
    @inline(__always)
    private static func mayHoldFinishReason(_ edges: UInt64, _ base: UnsafeRawPointer, count: Int, blockStart: Int) -> Bool {
        var candidates = edges & (edges &>> 13 | ~0 &<< 51)
        while candidates != 0 {
            let start = blockStart &+ candidates.trailingZeroBitCount &+ 1
            guard start &+ 8 <= count else { return true }
            // "finishRe", first byte lowest; safe: eight bytes from `start` are readable.
            if UInt64(littleEndian: (base + start).loadUnaligned(as: UInt64.self)) == 0x6552_6873_696E_6966 { return true }
            candidates &= candidates &- 1
        }
        return false
    }
}
