import EventStream
internal import CUsageTapVector

/// The event-stream layer of the tap: WHATWG framing read from the block masks' line ends,
/// with each event's data handed to the ``JSONWalker`` where it lies, and each dispatched event
/// folded into the tally.
///
/// It keeps only what the tap needs of the standard's rules: which lines are `data` lines,
/// where an event ends, and whether its data is exactly `[DONE]`. Other fields and comments are
/// passed by their line ends alone. The same bytes give the same calls to the tally as
/// `EventStreamTokenizer` would give, for any slicing.
struct EventFramer: Sendable {
    private enum Line: UInt8, Sendable {
        /// At a line's first byte.
        case start
        /// Inside a field name (cut by a slice's end).
        case name
        /// After `data:`, where one space may follow.
        case dataValueStart
        /// Inside a data line's value.
        case dataValue
        /// Inside a comment or a line of another field: only its end matters.
        case skipped
    }

    private var line = Line.start
    /// The last line ended at a CR, so an LF that comes next belongs to that line end.
    private var lineEndedAtCR = false
    /// How a field name cut by a slice's end compares with `data`.
    private var name = DataNameMatch()
    private var eventHasData = false
    private var done = DoneMatch()
    var walker = JSONWalker()

    @inline(__always) init() {}

    /// Reads the slice's bytes from `start`, folding each event that ends in it into `tally`.
    mutating func read(_ cursor: inout BlockCursor, from start: Int, tally: inout StreamTally) {
        var index = start
        let end = cursor.count
        // Up to where Gemini chunks that the sieve passed are read one by one: the last of them
        // did not tell which usage counts.
        var chunksToRead = 0
        while index < end {
            if index < chunksToRead, line == .start, !eventHasData, !lineEndedAtCR {
                // Those whose structure alone tells what they change are passed so, without the
                // framing tier or the walker.
                index = passGeminiChunks(cursor, from: index, tally: &tally)
                guard index < end else { continue }
            }
            cursor.moveTo(index)
            switch line {
            case .start:
                if !eventHasData, !lineEndedAtCR, index >= chunksToRead, let sieve = tally.sieve {
                    // Between events: those that cannot change the record are passed whole. (The
                    // sieve may be new in this slice: the blocks framed from here on mark its
                    // candidates alone.)
                    cursor.markCandidates(of: sieve.letters)
                    let runStart = index
                    var lastData = -1
                    index = Self.passEvents(sieve, &cursor, from: index, lastData: &lastData)
                    if lastData >= 0, tally.apiProtocol == .gemini, !keepUsage(ofChunkAt: lastData, cursor, tally: &tally) {
                        chunksToRead = index
                        index = runStart
                        cursor.rewind(to: index)
                        continue
                    }
                    guard index < end else { continue }
                }
                let byte = cursor.byte(at: index)
                if lineEndedAtCR {
                    lineEndedAtCR = false
                    if byte == 0x0A {
                        index &+= 1
                        continue
                    }
                }
                if byte == 0x0A || byte == 0x0D {
                    endEvent(tally: &tally)
                    lineEndedAtCR = byte == 0x0D
                    index &+= 1
                } else if byte == UInt8(ascii: ":") {
                    line = .skipped
                    index &+= 1
                } else if index &+ 5 <= end {
                    // The name's first five bytes are in this slice: no need to read it a byte at a
                    // time. Only `data:` (or `data` alone on its line, left to the byte reader)
                    // names a data line; any other line is passed by its line end.
                    switch Self.lineKind(cursor.base + index) {
                    case .dataField:
                        beginData(facts: &tally.facts)
                        index &+= 5
                        // The one space a value may start with, when it is in this slice too.
                        if index < end {
                            if cursor.byte(at: index) == 0x20 { index &+= 1 }
                            line = .dataValue
                        } else {
                            line = .dataValueStart
                        }
                    case .dataName:
                        name = DataNameMatch()
                        line = .name
                    case .otherLine:
                        // Passed by its line end, when that is in this slice.
                        guard let lineEnd = Self.nextLineEnd(&cursor, from: index &+ 1) else {
                            line = .skipped
                            return
                        }
                        endLine(at: cursor.byte(at: lineEnd))
                        index = lineEnd &+ 1
                    }
                } else {
                    name = DataNameMatch()
                    line = .name
                }
            case .name:
                let byte = cursor.byte(at: index)
                index &+= 1
                if byte == UInt8(ascii: ":") {
                    if name.isData {
                        beginData(facts: &tally.facts)
                        line = .dataValueStart
                    } else {
                        line = .skipped
                    }
                } else if byte == 0x0A || byte == 0x0D {
                    // A line with no colon names a field with an empty value.
                    if name.isData { beginData(facts: &tally.facts) }
                    endLine(at: byte)
                } else {
                    name.append(byte)
                }
            case .dataValueStart:
                if cursor.byte(at: index) == 0x20 { index &+= 1 }
                line = .dataValue
            case .dataValue:
                let stop = walker.read(&cursor, from: index, lineBounded: true, facts: &tally.facts)
                done.read(cursor.base + index, count: stop &- index)
                // Stopped at a usage object's brace, inside the line: the tap's caller goes on.
                if walker.stop != nil { return }
                index = stop
                if stop < end {
                    endLine(at: cursor.byte(at: stop))
                    index &+= 1
                }
            case .skipped:
                guard let lineEnd = Self.nextLineEnd(&cursor, from: index) else { return }
                endLine(at: cursor.byte(at: lineEnd))
                index = lineEnd &+ 1
            }
        }
    }

    /// Takes a slice of a few bytes that only continue a string in a data line's value (see
    /// `JSONWalker.readStringTail`): true if it did, false with nothing read.
    @inline(__always)
    mutating func readStringTail(_ bytes: UnsafeRawBufferPointer, facts: inout EventFacts) -> Bool {
        guard line == .dataValue, walker.readStringTail(bytes, facts: &facts) else { return false }
        // Safe: `bytes` is not empty (a slice).
        done.read(bytes.baseAddress.unsafelyUnwrapped, count: bytes.count)
        return true
    }

    /// The input ended: an event still open is never dispatched.
    mutating func finish(facts: inout EventFacts) {
        if eventHasData { startNextEvent(facts: &facts) }
    }

    @inline(__always)
    private mutating func endLine(at byte: UInt8) {
        lineEndedAtCR = byte == 0x0D
        line = .start
    }

    /// A `data` line starts: the second and later ones join the data with an LF.
    @inline(__always)
    private mutating func beginData(facts: inout EventFacts) {
        if eventHasData {
            walker.joinLines(facts: &facts)
            done.fail()
        }
        eventHasData = true
    }

    /// A blank line: an event with data is dispatched, if its data is one whole JSON value or
    /// exactly `[DONE]`.
    @inline(__always)
    private mutating func endEvent(tally: inout StreamTally) {
        guard eventHasData else { return }
        let isDone = done.isDone
        if isDone || walker.isWhole { tally.readEvent(dataIsDone: isDone) }
        startNextEvent(facts: &tally.facts)
    }

    @inline(__always)
    private mutating func startNextEvent(facts: inout EventFacts) {
        facts.reset()
        walker.reset()
        done = DoneMatch()
        eventHasData = false
    }

    /// Gemini chunks that the sieve passed, the last of which starts at `eventStart`: a chunk's
    /// usage replaces the usage of every chunk before it, and nothing else in them can change the
    /// record (the sieve found no `finishReason`, and the model is known). So where the last
    /// chunk is one whose usage the walker would take (one object, with a `usageMetadata`
    /// object), that usage is kept, and counts for all of them: true. False where it does not
    /// tell (it has no usage, or is not one whole object, or not one ``GeminiChunk`` can read):
    /// the chunks are then read one by one.
    @inline(__always)
    private func keepUsage(ofChunkAt eventStart: Int, _ cursor: BlockCursor, tally: inout StreamTally) -> Bool {
        guard let chunk = GeminiChunk.skim(cursor, at: eventStart, hasModel: tally.hasModel), let usage = chunk.usage else {
            return false
        }
        Self.keep(usage, of: cursor, in: &tally)
        return true
    }

    /// Keeps the usage object at `usage` in the cursor's slice, a passed Gemini chunk's, as the
    /// usage that counts so far.
    @inline(__always)
    private static func keep(_ usage: Range<Int>, of cursor: BlockCursor, in tally: inout StreamTally) {
        assert(usage.lowerBound >= 0 && usage.upperBound <= cursor.count)
        // Safe: the chunk's usage object lies inside the slice (asserted).
        tally.readGeminiChunk(usage: UnsafeRawBufferPointer(start: cursor.base + usage.lowerBound, count: usage.count))
    }

    /// Passes the Gemini chunks from `start`, a line start between events, that ``GeminiChunk``
    /// can pass, each folded into the tally as its event ends, and returns the line start where
    /// it stopped.
    @inline(__always)
    private mutating func passGeminiChunks(_ cursor: BlockCursor, from start: Int, tally: inout StreamTally) -> Int {
        var index = start
        // Only the last of these chunks' usage counts: it alone is kept, once they are passed.
        var usage: Range<Int>?
        while let chunk = GeminiChunk.skim(cursor, at: index, hasModel: tally.hasModel) {
            if let chunkUsage = chunk.usage { usage = chunkUsage }
            index = chunk.next
            if chunk.endedAtCR { lineEndedAtCR = true }
            guard index < cursor.count else { break }
        }
        if let usage { Self.keep(usage, of: cursor, in: &tally) }
        return index
    }

    /// Passes the whole events from `start`, a line start between events, that cannot change
    /// the record, and returns the line start where it stopped: the first line of an event that
    /// may matter, or that the slice cuts. An event is passed when it ends in the slice, has at
    /// most one data line, and that line's value is an object in which `sieve` finds nothing
    /// that could change the record. (An event with more data lines is read: the join of its
    /// lines is its data.) Its other lines (comments, other fields) are passed by their ends.
    /// `lastData` is set to where the last event passed with a data line starts, if any.
    @inline(__always)
    private static func passEvents(_ sieve: EventSieve, _ cursor: inout BlockCursor, from start: Int, lastData: inout Int) -> Int {
        let count = cursor.count
        var eventStart = start
        var lineStart = start
        var hasData = false
        lines: while true {
            // Room for `data: {` and a byte after: nearer the slice's end, the lines are read.
            guard lineStart &+ 8 <= count else { break }
            let first = cursor.byte(at: lineStart)
            let isBlank = first == 0x0A || first == 0x0D
            let lineEnd: Int
            if isBlank {
                // The event ends: passed (with no data, it is dispatched as nothing).
                lineEnd = lineStart
            } else {
                switch lineKind(cursor.base + lineStart) {
                case .dataField:
                    var value = lineStart &+ 5
                    if cursor.byte(at: value) == 0x20 { value &+= 1 }
                    guard !hasData, cursor.byte(at: value) == UInt8(ascii: "{"),
                          let end = sieve.passableLineEnd(&cursor, from: value) else { break lines }
                    hasData = true
                    lineEnd = end
                case .dataName:
                    break lines
                case .otherLine:
                    guard let end = nextLineEnd(&cursor, from: lineStart &+ 1) else { break lines }
                    lineEnd = end
                }
            }
            // The next line starts after LF, CR, or CRLF (a CR that ends the slice leaves that open).
            // `nextLineStart(after:in:)` written out: its optional, in this loop, cost 0.12
            // instructions a byte of small events (callgrind, worst.event_storm).
            lineStart = lineEnd &+ 1
            if cursor.byte(at: lineEnd) == 0x0D {
                guard lineStart < count else { break }
                if cursor.byte(at: lineStart) == 0x0A { lineStart &+= 1 }
            }
            if isBlank {
                if hasData { lastData = eventStart }
                eventStart = lineStart
                hasData = false
            }
        }
        // The sieve may have looked ahead: the cursor goes back to the line it stopped at.
        if eventStart < count { cursor.rewind(to: eventStart) }
        return eventStart
    }

    enum LineStart {
        /// `data:`: a data line whose value follows.
        case dataField
        /// `data` and then not a colon: perhaps `data` alone on its line.
        case dataName
        /// A comment, or a field other than `data`.
        case otherLine
    }

    /// How the line at `start`, whose five bytes are readable, begins.
    @inline(__always)
    static func lineKind(_ start: UnsafeRawPointer) -> LineStart {
        // Safe: the caller checked that five bytes are readable from `start`.
        let name = UInt32(littleEndian: start.loadUnaligned(as: UInt32.self))
        // "data" is 64 61 74 61, first byte lowest.
        guard name == 0x6174_6164 else { return .otherLine }
        return start.load(fromByteOffset: 4, as: UInt8.self) == UInt8(ascii: ":") ? .dataField : .dataName
    }

    /// Where the line after the line end at `lineEnd` starts: after its LF, CR or CRLF. Nil when
    /// a CR ends the slice: whether an LF follows is the next slice's to say.
    @inline(__always)
    static func nextLineStart(after lineEnd: Int, in cursor: BlockCursor) -> Int? {
        let next = lineEnd &+ 1
        guard cursor.byte(at: lineEnd) == 0x0D else { return next }
        guard next < cursor.count else { return nil }
        return cursor.byte(at: next) == 0x0A ? next &+ 1 : next
    }

    /// The next LF or CR at or after `start` (which may lie in a later block than the
    /// cursor's), moving through blocks; nil at the slice's end.
    @inline(__always)
    private static func nextLineEnd(_ cursor: inout BlockCursor, from start: Int) -> Int? {
        guard start < cursor.count else { return nil }
        cursor.moveTo(start)
        // The bits from `start` on (its bit is below 64: no shift to check).
        var ends = cursor.block.pointee.line_end & ~0 &<< UInt64(truncatingIfNeeded: cursor.bit(start))
        while ends == 0 {
            let next = cursor.blockStart &+ 64
            guard next < cursor.count else { return nil }
            cursor.moveTo(next)
            ends = cursor.block.pointee.line_end
        }
        return cursor.blockStart &+ ends.trailingZeroBitCount
    }
}

/// Whether a field name read a byte at a time is exactly `data`.
struct DataNameMatch: Sendable {
    /// Bytes of `data` matched so far; 5 once the name is known to be something else.
    private var matched: UInt8 = 0

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        let expected: UInt8 = switch matched {
        case 0: UInt8(ascii: "d")
        case 2: UInt8(ascii: "t")
        default: UInt8(ascii: "a")
        }
        matched = matched < 4 && byte == expected ? matched &+ 1 : 5
    }

    var isData: Bool { matched == 4 }
}

/// Whether an event's data is exactly `[DONE]`, read piece by piece.
struct DoneMatch: Sendable {
    /// Bytes of `[DONE]` matched so far; 7 once the data is known to be something else.
    private var matched: UInt8 = 0

    @inline(__always)
    mutating func read(_ start: UnsafeRawPointer, count: Int) {
        var offset = 0
        while offset < count, matched < 7 {
            // Safe: offset < count, the bytes the caller lends.
            let byte = start.load(fromByteOffset: offset, as: UInt8.self)
            matched = matched < 6 && byte == Self.byte(matched) ? matched &+ 1 : 7
            offset &+= 1
        }
    }

    mutating func fail() { matched = 7 }

    var isDone: Bool { matched == 6 }

    @inline(__always)
    private static func byte(_ index: UInt8) -> UInt8 {
        switch index {
        case 0: UInt8(ascii: "[")
        case 1: UInt8(ascii: "D")
        case 2: UInt8(ascii: "O")
        case 3: UInt8(ascii: "N")
        case 4: UInt8(ascii: "E")
        default: UInt8(ascii: "]")
        }
    }
}
