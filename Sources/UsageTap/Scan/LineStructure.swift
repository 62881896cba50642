internal import CUsageTapVector

/// One data line's value read as a JSON document of its own, from the line tier of stage 1 (C):
/// its brackets outside strings and the opening quotes of its strings of 12 or 13 bytes, block
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
    /// Where the next window starts (a multiple of 64), and whether the line goes on there.
    private var nextStart = 0
    private var goesOn = true
    /// The document's string state after the windows read.
    private var state = ut_string_state(in_string: 0, escape: 0)

    init(_ base: UnsafeRawPointer, count: Int, reader: ut_line_reader, window: UnsafeMutablePointer<ut_line_block>) {
        assert(count > 0)
        self.base = base
        self.count = count
        self.reader = reader
        self.window = window
    }

    /// The next window's blocks, the first from the value's start, each 64 bytes on from the
    /// one before; nil once the window holding the line's end has been read, or where the line
    /// has no structure (the caller then leaves the line to the walker). The blocks are valid
    /// until the next call.
    @inline(__always)
    mutating func nextWindow() -> (blocks: UnsafeBufferPointer<ut_line_block>, start: Int)? {
        guard goesOn, nextStart < count else { return nil }
        let start = nextStart
        // Safe: `count - start` bytes are readable from `start`; the window has room for
        // UT_LINE_WINDOW blocks.
        let found = reader((base + start).assumingMemoryBound(to: UInt8.self), count &- start, &state, window)
        let blocks: Int
        if found >= 0 {
            blocks = found &>> 6 &+ 1
            goesOn = false
        } else if found == Int(UT_LINE_GOES_ON) {
            blocks = Int(UT_LINE_WINDOW)
            nextStart &+= blocks &<< 6
        } else {
            goesOn = false
            return nil
        }
        return (UnsafeBufferPointer(start: window, count: blocks), start)
    }

    /// The byte at `position`, nil outside the readable bytes.
    @inline(__always)
    func byte(at position: Int) -> UInt8? {
        guard UInt(bitPattern: position) < UInt(bitPattern: count) else { return nil }
        // Safe: 0 <= position < count, the readable bytes.
        return base.load(fromByteOffset: position, as: UInt8.self)
    }
}
