internal import CUsageTapVector

/// Which classifier turns blocks into masks in this process.
public enum BlockClassifier: String, Sendable {
    case scalar, sse2, avx2, avx512, neon

    /// The one picked for this process: the widest the CPU has, unless `USAGETAP_VECTOR=scalar`
    /// (or `sse2`, `avx2`) in the environment asked for another at the first use.
    public static var current: BlockClassifier {
        switch ut_classifier() {
        case UT_SSE2: .sse2
        case UT_AVX2: .avx2
        case UT_AVX512: .avx512
        case UT_NEON: .neon
        default: .scalar
        }
    }

    /// The classifiers this CPU can run: the scalar one, and the vector ones it has.
    public static var available: [BlockClassifier] {
        #if arch(x86_64)
        var kinds: [BlockClassifier] = [.scalar, .sse2]
        if ut_cpu_has_avx2() != 0 { kinds.append(.avx2) }
        if ut_cpu_has_avx512bw() != 0 { kinds.append(.avx512) }
        return kinds
        #elseif arch(arm64)
        return [.scalar, .neon]
        #else
        return [.scalar]
        #endif
    }

    var kind: ut_classifier_kind {
        switch self {
        case .scalar: UT_SCALAR
        case .sse2: UT_SSE2
        case .avx2: UT_AVX2
        case .avx512: UT_AVX512
        case .neon: UT_NEON
        }
    }
}

/// A walk over one slice, a 64-byte block at a time: stage 1's framing tier (C,
/// `UsageTapVector.h`) makes each block's framing masks once, a batch of blocks a call, when the
/// walk first reaches them; its strings tier makes a run's strings and brackets when the JSON
/// reader asks (``strings(low:high:state:)``).
///
/// Blocks are aligned to the slice's start. Positions are offsets into the slice; the block
/// holding `position` is the current one once `moveTo(_:)` has been called for it.
struct BlockCursor {
    /// The slice; readable for the duration of the walk.
    let base: UnsafeRawPointer
    let count: Int
    private let kind: ut_classifier_kind
    /// The classifier's strings tier, called directly.
    private let stringsReader: ut_strings_reader
    /// The letters whose quotes the framing tier marks as candidates.
    private var leads: UnsafePointer<ut_leads>
    /// The room for the outline tier's outline, if the walk has one.
    let outlineRoom: UnsafeMutablePointer<ut_outline>?
    /// The classifier's outline tier.
    var outlineReader: ut_outline_reader {
        // Safe: every classifier kind has an outline tier.
        ut_outline_reader_for(kind).unsafelyUnwrapped
    }
    /// The offset of the current block's first byte (a multiple of 64).
    private(set) var blockStart: Int
    /// The current block's framing masks, in the batch (read in place).
    @inline(__always) var block: UnsafePointer<ut_frame> { UnsafePointer(batch + blockIndex) }
    private var blockIndex = 0
    /// Room for a batch of blocks, lent by the tap; stage 1 writes a block before it is read.
    private let batch: UnsafeMutablePointer<ut_frame>
    /// The offset of the batch's first block, and how many blocks it holds.
    private var batchStart = 0
    private var batchCount = 0

    /// A cursor over the slice, with stage 1's batch written to `room`, and the outline tier's
    /// outline to `outlineRoom` if there is one; both must stay valid (and be used by nothing
    /// else) while the cursor is. Unless the slice is shorter than a block, no block is current
    /// until the first `moveTo(_:)`: a walk that passes its events by the outline tier alone
    /// frames none. The candidates are those of `letters`: the sieve's, which must not need more
    /// letters for the rest of the slice (it needs fewer, once the protocol or the model is known:
    /// see ``markCandidates(of:)``).
    init(_ base: UnsafeRawPointer, count: Int, classifier: BlockClassifier, room: UnsafeMutablePointer<ut_frame_batch>,
         outlineRoom: UnsafeMutablePointer<ut_outline>? = nil, letters: ut_lead_set = UT_LEADS_ALL) {
        assert(count > 0)
        self.base = base
        self.count = count
        kind = classifier.kind
        // Safe: every classifier kind has a strings tier.
        stringsReader = ut_strings_reader_for(kind).unsafelyUnwrapped
        // Safe: a batch is UT_BATCH blocks laid out as an array of them.
        batch = UnsafeMutableRawPointer(room).assumingMemoryBound(to: ut_frame.self)
        self.outlineRoom = outlineRoom
        // Safe: every set has its letters in static storage.
        leads = ut_leads_for(letters)
        if count < 64 {
            // A slice of a few bytes (one-byte slices and the like) is framed here, without a call.
            blockStart = 0
            framePartialBlock(from: 0)
        } else {
            // Before the first block: the first `moveTo(_:)` frames the batch it needs.
            blockStart = -64
        }
    }

    /// One past the current block's last byte in the slice.
    @inline(__always) var blockEnd: Int { min(blockStart &+ 64, count) }

    /// The bit of `position` in the current block's masks.
    @inline(__always) func bit(_ position: Int) -> Int {
        assert(position >= blockStart && position < blockStart &+ 64)
        return position &- blockStart
    }

    /// The strings tier over bits `low..<high` of the current block, given the document's string
    /// state before `low`: true, with `out` and `state` set, or false where the run needs the
    /// exact reading (see `ut_finish_strings`).
    @inline(__always)
    func strings(low: Int, high: Int, state: inout ut_string_state, out: inout ut_strings) -> Bool {
        assert(low < high && high <= 64 && blockStart &+ high <= count)
        // Safe: the block's bytes from `blockStart`, min(64, count - blockStart) of them readable.
        return stringsReader((base + blockStart).assumingMemoryBound(to: UInt8.self), count &- blockStart,
                             block.pointee.quote, Int32(low), Int32(high), &state, &out) == 0
    }

    /// The blocks framed from now on mark the candidates of `letters`, those of a sieve that
    /// needs no more letters than the cursor's did (a stream whose protocol, or model, has just
    /// become known): the blocks framed already keep theirs, a few more than it needs.
    @inline(__always)
    mutating func markCandidates(of letters: ut_lead_set) {
        // Safe: every set has its letters in static storage.
        leads = ut_leads_for(letters)
    }

    /// Makes the block holding `position` current; `position` must be at or after the current
    /// block and inside the slice.
    @inline(__always)
    mutating func moveTo(_ position: Int) {
        assert(position >= blockStart && position < count)
        guard position >= blockStart &+ 64 else { return }
        let start = position & ~63
        let index = (start &- batchStart) &>> 6
        if index < batchCount {
            // The usual case: the next block, made by the same call of stage 1.
            blockStart = start
            blockIndex = index
        } else {
            moveOn(to: start)
        }
    }

    /// Makes the block holding `position` current again, after the cursor has looked further
    /// on: the framing tier keeps no state from block to block, so that blocks no longer in the
    /// batch are simply made again.
    @inline(__always)
    mutating func rewind(to position: Int) {
        assert(position >= 0 && position < count)
        let start = position & ~63
        guard start < blockStart else { return moveTo(position) }
        if start >= batchStart {
            blockStart = start
            blockIndex = (start &- batchStart) &>> 6
        } else {
            fillBatch(from: start)
            blockStart = start
            blockIndex = 0
        }
    }

    /// Makes the next block current; it must start inside the slice.
    @inline(__always)
    mutating func moveToNextBlock() {
        assert(blockStart &+ 64 < count)
        blockStart &+= 64
        blockIndex &+= 1
        if blockIndex == batchCount { moveOn(to: blockStart) }
    }

    /// Passes the blocks of string content from the current one on: those with no line end (when
    /// `lineBounded`) that do not end in a backslash, and whose quotes, if any, each follow a
    /// lone backslash. Entered inside a string with no escape pending, such a block leaves the
    /// string's state as it was. The slice's last block is never passed. (Out of line, so that
    /// the reader's run loop that calls it stays small.)
    @inline(never)
    mutating func passStringContent(lineBounded: Bool) {
        let lineEnds: UInt64 = lineBounded ? ~0 : 0
        // Through the batch in registers, a load and a test or two a block.
        var index = blockIndex, start = blockStart
        while start &+ 64 < count {
            if index == batchCount {
                moveOn(to: start)
                index = blockIndex
            }
            // Safe: index < batchCount, the blocks the batch holds.
            assert(index < batchCount)
            let frame = batch[index]
            guard frame.line_end & lineEnds == 0, byte(at: start &+ 63) != UInt8(ascii: "\\"),
                  frame.quote == 0 || quotesAreEscaped(frame.quote, inBlockAt: start) else { break }
            index &+= 1
            start &+= 64
        }
        if index == batchCount {
            moveOn(to: start)
        } else {
            blockIndex = index
            blockStart = start
        }
    }

    /// Each quote of the block at `start` follows exactly one backslash: inside a string entered
    /// with no escape pending, a run of one backslash is odd, so each quote is escaped. (A quote
    /// at bit 1 after a backslash at bit 0: nothing escapes that backslash, as no escape was
    /// pending. A quote at bit 0, or after a longer run, is left to the strings tier.)
    @inline(__always)
    private func quotesAreEscaped(_ quotes: UInt64, inBlockAt start: Int) -> Bool {
        var quotes = quotes
        while quotes != 0 {
            let bit = quotes.trailingZeroBitCount
            guard bit > 0, byte(at: start &+ bit &- 1) == UInt8(ascii: "\\"),
                  bit == 1 || byte(at: start &+ bit &- 2) != UInt8(ascii: "\\") else { return false }
            quotes &= quotes &- 1
        }
        return true
    }

    /// Makes current the first block after the current one that holds a line end or a sieve
    /// candidate, passing the blocks between a load and a test each. False when the slice ends
    /// first, with its last block current.
    @inline(__always)
    mutating func moveToNextMarkedBlock() -> Bool {
        var index = blockIndex &+ 1
        while true {
            while index < batchCount {
                // Safe: index < batchCount, the blocks the batch holds.
                let frame = batch[index]
                if frame.line_end | frame.candidate != 0 {
                    blockIndex = index
                    blockStart = batchStart &+ index &<< 6
                    return true
                }
                index &+= 1
            }
            let next = batchStart &+ batchCount &<< 6
            guard next < count else {
                blockIndex = batchCount &- 1
                blockStart = batchStart &+ blockIndex &<< 6
                return false
            }
            fillBatch(from: next)
            index = 0
        }
    }

    /// Each block's framing masks of `bytes` (not empty) as `classifier` makes them, with the
    /// candidates `sieve` needs (all letters without one), the slice's last partial block
    /// included: for the tests that hold every classifier against a byte-at-a-time definition.
    static func frames(of bytes: UnsafeRawBufferPointer, classifier: BlockClassifier, sieve: EventSieve? = nil) -> [ut_frame] {
        precondition(!bytes.isEmpty)
        return withUnsafeTemporaryAllocation(of: ut_frame_batch.self, capacity: 1) { room in
            // Safe: a temporary allocation of capacity 1 has a base address; `bytes` is not empty.
            var cursor = BlockCursor(bytes.baseAddress.unsafelyUnwrapped, count: bytes.count, classifier: classifier,
                                     room: room.baseAddress.unsafelyUnwrapped, letters: sieve?.letters ?? UT_LEADS_ALL)
            cursor.moveTo(0)
            var frames = [cursor.block.pointee]
            while cursor.blockStart &+ 64 < bytes.count {
                cursor.moveToNextBlock()
                frames.append(cursor.block.pointee)
            }
            return frames
        }
    }

    @inline(__always)
    func byte(at position: Int) -> UInt8 {
        assert(position >= 0 && position < count)
        // Safe: 0 <= position < count, the slice's length.
        return base.load(fromByteOffset: position, as: UInt8.self)
    }

    @inline(never)
    private mutating func moveOn(to start: Int) {
        // The framing tier keeps nothing from block to block: blocks the walk passed by other
        // means (the outline tier) are never framed.
        if start < batchStart || start >= batchStart &+ batchCount &* 64 { fillBatch(from: start) }
        blockStart = start
        blockIndex = (start &- batchStart) &>> 6
        assert(blockIndex >= 0 && blockIndex < batchCount)
    }

    /// Runs the framing tier over the blocks from `start`: up to a batch of whole ones, or the
    /// last, partial one. Out of line: inlined, its classifiers' constants would be loaded on
    /// every entry to the loops that may call it.
    @inline(never)
    private mutating func fillBatch(from start: Int) {
        assert(start < count && start & 63 == 0)
        let whole = min((count &- start) &>> 6, Int(UT_BATCH))
        guard whole > 0 else { return framePartialBlock(from: start) }
        batchStart = start
        // Safe: `whole` blocks of 64 bytes from `start` lie inside the slice, and the batch has
        // room for UT_BATCH >= whole blocks.
        ut_frames(kind, (base + start).assumingMemoryBound(to: UInt8.self), whole, batch, leads)
        batchCount = whole
    }

    /// The batch of the last, partial block: read in place, a byte at a time.
    @inline(__always)
    private mutating func framePartialBlock(from start: Int) {
        assert(count &- start < 64)
        batchStart = start
        // Safe: the `count - start` (< 64) bytes from `start` lie inside the slice.
        batch[0] = ut_frame_partial((base + start).assumingMemoryBound(to: UInt8.self), count &- start, leads)
        batchCount = 1
    }
}

extension UInt64 {
    /// The bits at and above `bit` (0...64).
    @inline(__always) static func bits(from bit: Int) -> UInt64 {
        bit >= 64 ? 0 : ~0 &<< UInt64(bit)
    }

    /// The bits below `bit` (0...64).
    @inline(__always) static func bits(below bit: Int) -> UInt64 {
        bit >= 64 ? ~0 : (1 &<< UInt64(bit)) &- 1
    }
}
