/// Where strings lie in one JSON document's bytes, and the two bits of state that carry the
/// string from one run of them to the next (across blocks, data lines and slices).
///
/// A quote is a string's edge unless a backslash escapes it, and a backslash escapes the byte
/// after it only inside a string. Stage 1's strings tier (C) works both out for a run at once,
/// from the document's state where the run starts: the escapes from runs of backslashes (a byte
/// is escaped when the run of backslashes just before it has odd length), the strings from a
/// prefix XOR of the quotes that are left. That treats every backslash as inside a string, which
/// is true of JSON; where a backslash lies outside the strings so found (malformed JSON such as
/// `{"a":\"b"}`), ``StringMasks`` works the run out one quote and backslash at a time, so that
/// the answer is the one a byte-at-a-time reader gives. ``StringView`` carries the state.
internal import CUsageTapVector

struct StringCarry: Sendable {
    /// The run so far ended inside a string.
    var inString = false
    /// The run so far ended with a backslash that escapes the next byte.
    var escapePending = false
}

/// A document's strings, run by run: the strings tier of stage 1 (C) from the document's own
/// string state where each run starts, carried from run to run across blocks, data lines and
/// slices. Where a backslash lies outside the strings so found (malformed JSON), the bit-parallel
/// reading is not the sequential one, and the run is worked out a quote and backslash at a time
/// (``StringMasks``) instead.
struct StringView: Sendable {
    /// The document's string state after the bytes read so far.
    private var state = ut_string_state(in_string: 0, escape: 0)

    /// The document's string edges and the brackets outside its strings, in bits `low..<high` of
    /// the cursor's current block; the state moves past them.
    @inline(__always)
    mutating func masks(_ cursor: BlockCursor, low: Int, high: Int) -> (edges: UInt64, opener: UInt64, closer: UInt64) {
        // The block's bytes, which the byte-at-a-time readers take instead of a copy of the cursor.
        let block = cursor.base + cursor.blockStart
        if high &- low <= Self.shortRun { return shortMasks(block, low: low, high: high) }
        // The run's quotes: bits from `low`, then those from `high` shifted out at the top.
        if state.in_string != 0, ((cursor.block.pointee.quote &>> UInt64(low)) &<< UInt64(low)) &<< UInt64(64 &- high) == 0 {
            // Inside a string with no quote before the run ends (a long text): no edge, no
            // bracket outside a string; only a backslash run at the end carries on.
            state.escape = escapeAfterBackslashes(block, low: low, high: high)
            return (0, 0, 0)
        }
        var strings = ut_strings()
        guard cursor.strings(low: low, high: high, state: &state, out: &strings) else {
            return exactMasks(quote: cursor.block.pointee.quote, strings, low: low, high: high)
        }
        return (strings.edges, strings.opener, strings.closer)
    }

    /// Runs up to this long (as one-byte slices make them) are read a byte at a time: cheaper
    /// than a call of the strings tier, which costs about a hundred instructions whatever the
    /// run's length.
    private static let shortRun = 8

    /// A short run, read a byte at a time as the sequential reader reads: a backslash escapes
    /// the next byte only inside a string.
    private mutating func shortMasks(_ block: UnsafeRawPointer, low: Int, high: Int) -> (edges: UInt64, opener: UInt64, closer: UInt64) {
        var edges: UInt64 = 0, opener: UInt64 = 0, closer: UInt64 = 0
        var inString = state.in_string != 0, escape = state.escape != 0
        for bit in low..<high {
            // Safe: bits low..<high of the block lie inside the slice.
            let byte = block.load(fromByteOffset: bit, as: UInt8.self)
            // An escaped byte is neither an edge nor an escape; a bracket is one or not by where
            // it lies, as in the strings tier.
            let escaped = escape
            escape = false
            switch byte {
            case UInt8(ascii: "\""):
                if escaped { break }
                edges |= 1 &<< UInt64(bit)
                inString.toggle()
            case UInt8(ascii: "\\"):
                escape = inString && !escaped
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if !inString { opener |= 1 &<< UInt64(bit) }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !inString { closer |= 1 &<< UInt64(bit) }
            default:
                break
            }
        }
        state = ut_string_state(in_string: inString ? 1 : 0, escape: escape ? 1 : 0)
        return (edges, opener, closer)
    }

    /// Inside a string, whether the byte after bit `high - 1` is escaped: the backslashes ending
    /// the run, counted back (with the one escaped from before the run, if any), are odd.
    @inline(__always)
    private func escapeAfterBackslashes(_ block: UnsafeRawPointer, low: Int, high: Int) -> UInt64 {
        var bit = high &- 1, count: UInt64 = 0
        // Safe: bits low..<high of the block lie inside the slice.
        while bit >= low, block.load(fromByteOffset: bit, as: UInt8.self) == UInt8(ascii: "\\") {
            count &+= 1
            bit &-= 1
        }
        // A run of backslashes back to the start, whose first byte the state escapes: that one
        // is content, not an escape.
        if bit < low && state.escape != 0 { count &-= 1 }
        return count & 1
    }

    /// The rare case, worked out from the run's quotes and backslashes and the state before it
    /// (which the strings tier left as it was).
    @inline(never)
    private mutating func exactMasks(quote: UInt64, _ strings: ut_strings, low: Int, high: Int)
        -> (edges: UInt64, opener: UInt64, closer: UInt64)
    {
        var carry = StringCarry(inString: state.in_string != 0, escapePending: state.escape != 0)
        let exact = StringMasks(quote: quote, backslash: strings.backslash, low: low, high: high, carry: &carry)
        state = ut_string_state(in_string: carry.inString ? 1 : 0, escape: carry.escapePending ? 1 : 0)
        return (exact.quotes, strings.opener & ~exact.inString, strings.closer & ~exact.inString)
    }

    /// Inside a string, with no escape pending: a block with no quote that does not end in a
    /// backslash leaves the state as it is.
    var isPlainlyInString: Bool { state.in_string != 0 && state.escape == 0 }

    /// The line ends: the LF that joins it to the next data line is the byte a pending
    /// backslash escapes, and nothing after it.
    @inline(__always)
    mutating func endLine() {
        state.escape = 0
    }

    /// A new document.
    mutating func reset() {
        state = ut_string_state(in_string: 0, escape: 0)
    }

    /// The masks of bits `low..<high` of the first block of `bytes` (1 to 64 of them) read by
    /// `classifier` after `carry`, which moves past them: for the tests that hold every
    /// classifier against a byte-at-a-time reader.
    static func masks(of bytes: UnsafeRawBufferPointer, classifier: BlockClassifier, low: Int, high: Int, carry: inout StringCarry)
        -> (edges: UInt64, opener: UInt64, closer: UInt64)
    {
        precondition(!bytes.isEmpty && bytes.count <= 64 && low < high && high <= bytes.count)
        return withUnsafeTemporaryAllocation(of: ut_frame_batch.self, capacity: 1) { room in
            // Safe: a temporary allocation of capacity 1 has a base address; `bytes` is not empty.
            var cursor = BlockCursor(bytes.baseAddress.unsafelyUnwrapped, count: bytes.count, classifier: classifier,
                                     room: room.baseAddress.unsafelyUnwrapped)
            cursor.moveTo(0)
            var view = StringView()
            view.state = ut_string_state(in_string: carry.inString ? 1 : 0, escape: carry.escapePending ? 1 : 0)
            let masks = view.masks(cursor, low: low, high: high)
            carry = StringCarry(inString: view.state.in_string != 0, escapePending: view.state.escape != 0)
            return masks
        }
    }
}

/// The exact reading of a run, for the runs where the strings tier's bit-parallel one is not
/// the sequential one.
struct StringMasks {
    /// The quotes that open or close a string.
    var quotes: UInt64
    /// The bytes inside strings: from an opening quote up to, not including, its closing quote.
    var inString: UInt64

    /// The masks of the bytes in bits `low..<high` of a block from its quote and backslash
    /// masks alone, read in order, given what the bytes before them carried; updates `carry` to
    /// what the byte at `high - 1` carries on.
    init(quote: UInt64, backslash: UInt64, low: Int, high: Int, carry: inout StringCarry) {
        assert(low < high && high <= 64)
        let run = UInt64.bits(from: low) & UInt64.bits(below: high)
        var backslashes = backslash & run
        var quotes = quote & run
        if carry.escapePending {
            // The run's first byte is escaped: it is content, neither an edge nor an escape.
            let first: UInt64 = 1 &<< UInt64(low)
            backslashes &= ~first
            quotes &= ~first
        }
        let (edges, escapers) = Self.sequential(backslashes | quotes, backslashes: backslashes, inString: carry.inString)
        self.quotes = edges
        inString = Self.prefixXOR(edges) ^ (carry.inString ? ~0 : 0)
        carry.inString = inString &>> UInt64(high &- 1) & 1 != 0
        // The last byte escapes the next one when it is an escaping backslash.
        carry.escapePending = escapers &>> UInt64(high &- 1) & 1 != 0
    }

    /// For each bit, the XOR of it and every bit below it: 1 from an opening quote up to its
    /// closing quote.
    @inline(__always)
    static func prefixXOR(_ bits: UInt64) -> UInt64 {
        var value = bits
        value ^= value &<< 1
        value ^= value &<< 2
        value ^= value &<< 4
        value ^= value &<< 8
        value ^= value &<< 16
        value ^= value &<< 32
        return value
    }

    /// The string edges and escaping backslashes of `interesting` (quotes and backslashes),
    /// read in order as a byte-at-a-time reader would: a backslash escapes only inside a string.
    private static func sequential(_ interesting: UInt64, backslashes: UInt64, inString start: Bool)
        -> (edges: UInt64, escapers: UInt64)
    {
        var edges: UInt64 = 0, escapers: UInt64 = 0
        var inString = start
        var remaining = interesting
        while remaining != 0 {
            let bit = UInt64(remaining.trailingZeroBitCount)
            let single: UInt64 = 1 &<< bit
            remaining &= remaining &- 1
            if backslashes & single == 0 {
                edges |= single
                inString.toggle()
            } else if inString {
                escapers |= single
                // The next byte is escaped: if it is a quote or a backslash, it is content.
                if bit < 63 { remaining &= ~(single &<< 1) }
            }
        }
        return (edges, escapers)
    }
}
