internal import CUsageTapVector

/// One data line's value read as a JSON document of its own, from the line tier of stage 1 (C):
/// its string edges (and which of them open a string) and its brackets outside strings, block
/// by block up to the line's end, a window of blocks a call, as far as a reader asks.
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

    /// The byte at `position`, nil outside the readable bytes.
    @inline(__always)
    func byte(at position: Int) -> UInt8? {
        guard UInt(bitPattern: position) < UInt(bitPattern: count) else { return nil }
        // Safe: 0 <= position < count, the readable bytes.
        return base.load(fromByteOffset: position, as: UInt8.self)
    }
}
