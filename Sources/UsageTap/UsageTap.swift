import EventStream
internal import CUsageTapVector

/// Reads the token usage of one LLM response from its bytes as they pass, without keeping them.
///
/// Feed it every slice of the response body, in order and of any size, then call ``finish()``:
///
/// ```swift
/// var tap = UsageTap(protocol: .auto)
/// tap.feed(slice)              // as often as bytes arrive; the bytes are only read
/// let record = tap.finish()    // at the end of the response
/// ```
///
/// The input may be a `text/event-stream` (Server-Sent Events) or a plain JSON body; the first
/// byte that is not whitespace (after an optional UTF-8 BOM) tells which: `{` starts a body.
/// Memory use is fixed, whatever the input: nothing is allocated per slice or per event, and no
/// part of the input is kept. Any split of the same bytes gives the same record.
///
/// Each slice is read in one pass of 64-byte blocks: every block becomes bitmasks of its
/// quotes, backslashes, line ends and brackets once (with the widest vector instructions the
/// CPU has, see ``BlockClassifier``), and both the event framing and the JSON reading work
/// from those masks.
public struct UsageTap: Sendable {
    private enum Framing: Sendable {
        /// Only whitespace, or part of a BOM, so far.
        case undecided
        case eventStream
        case body
        /// The body's value was followed by something other than whitespace: it counts nothing,
        /// and the rest is ignored.
        case bodyRejected
        /// ``finish()`` was called; further input is ignored.
        case finished
    }

    private let selection: APIProtocol?
    private let classifier: BlockClassifier
    private var framing = Framing.undecided
    private var byteOrderMark = ByteOrderMarkMatcher()
    private var framer = EventFramer()
    private var tally: StreamTally
    /// The body's value has ended whole, and has been folded into the tally.
    private var bodyCounted = false
    /// Made to stop at usage objects (``readUntilUsage(_:)``).
    private let stopsAtUsage: Bool

    /// A tap for one response. With `.auto`, the first event (or the body) that tells the
    /// protocol decides it; otherwise the input is read by the named protocol's rules.
    ///
    /// With `stopsAtUsage`, ``readUntilUsage(_:)`` finds the usage objects a cost can be added
    /// to. Gemini's chunks, which all carry usage, are then all walked, none passed by their
    /// structure alone (other protocols' events are sieved as usual).
    public init(protocol selection: ProtocolSelection = .auto, stopsAtUsage: Bool = false) {
        self.selection = selection.fixed
        self.stopsAtUsage = stopsAtUsage
        classifier = .current
        tally = StreamTally(apiProtocol: selection.fixed)
    }

    /// A tap whose blocks are classified by `classifier`, which this CPU must have: for tests
    /// that hold the vector and scalar paths against each other.
    @_spi(Reference) public init(protocol selection: ProtocolSelection, classifier: BlockClassifier) {
        precondition(BlockClassifier.available.contains(classifier), "this CPU has no \(classifier) classifier")
        self.selection = selection.fixed
        stopsAtUsage = false
        self.classifier = classifier
        tally = StreamTally(apiProtocol: selection.fixed)
    }

    /// The usage read so far. A body's usage appears once the body is complete.
    public var record: UsageRecord { tally.record }

    /// Reads the next slice of the response. `bytes` is only read, and not kept past the call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard stopsAtUsage else { return readSlice(bytes) }
        readPassingStops(bytes)
    }

    /// Reads the whole slice in a tap that stops at usage objects, going on after each stop.
    @inline(never)
    private mutating func readPassingStops(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while let end = readUntilUsage(rest) {
            rest = UnsafeRawBufferPointer(rebasing: rest[(end.offset &+ 1)...])
        }
    }

    /// Reads the next slice of the response up to the closing brace of the next usage object
    /// that holds the response's usage as it stands, in a tap made with `stopsAtUsage`: the chat
    /// usage chunk's `usage`, `response.completed`'s `response.usage`, a `message_delta`'s
    /// `usage`, each of Gemini's `usageMetadata`, a body's `usage` (or `usageMetadata`).
    ///
    /// Returns nil when it read the whole slice. Else `bytes` has been read up to and including
    /// that brace, at the returned offset, and the rest of the slice (after the brace) is to be
    /// given next, to this or to ``feed(_:)``. A proxy forwards the bytes before the brace, adds
    /// its members, and forwards the rest: the stream is never held back.
    public mutating func readUntilUsage(_ bytes: UnsafeRawBufferPointer) -> UsageObjectEnd? {
        assert(stopsAtUsage, "a tap made without stopsAtUsage never stops")
        var start = 0
        while start < bytes.count {
            readSlice(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            guard let brace = framer.walker.takeStop() else { return nil }
            let offset = start &+ brace.offset
            if let record = tally.recordIfDocumentEnded(inBody: framing == .body) {
                return UsageObjectEnd(offset: offset, hasMembers: brace.membersBefore, record: record)
            }
            // An object its reader does not take (a Responses usage in an event whose type is
            // not yet known): read on.
            start = offset &+ 1
        }
        return nil
    }

    /// Reads one slice (or, after a stop at a usage object, the rest of one).
    @inline(__always)
    private mutating func readSlice(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        // A few bytes inside a string (one-byte slices and the like) need no blocks at all.
        if bytes.count <= JSONWalker.shortTail, readStringTail(bytes) { return }
        // Stage 1's blocks for this slice go on the stack, uncleared (stage 1 writes each block
        // before it is read): nothing to allocate or zero, however short the slice. Two rooms,
        // each under the size the standard library keeps on the stack.
        withUnsafeTemporaryAllocation(of: ut_frame_batch.self, capacity: 1) { room in
            withUnsafeTemporaryAllocation(of: ut_outline.self, capacity: 1) { outline in
                // Safe: a temporary allocation of capacity 1 has a base address.
                read(base, count: bytes.count, room: Rooms(frames: room.baseAddress.unsafelyUnwrapped,
                                                            outline: outline.baseAddress.unsafelyUnwrapped))
            }
        }
    }

    /// Stage 1's room for one slice: the framing tier's batch and the outline tier's outline.
    private struct Rooms {
        let frames: UnsafeMutablePointer<ut_frame_batch>
        let outline: UnsafeMutablePointer<ut_outline>
    }

    /// Reads one slice, with `rooms` for stage 1's blocks while it does.
    private mutating func read(_ base: UnsafeRawPointer, count: Int, room rooms: Rooms) {
        var start = 0
        if framing == .undecided {
            guard let decided = decideFraming(base, count: count, room: rooms.frames) else { return }
            start = decided
        }
        switch framing {
        case .eventStream:
            var cursor = BlockCursor(base, count: count, classifier: classifier, room: rooms.frames, outlineRoom: rooms.outline,
                                     letters: tally.sieve?.letters ?? UT_LEADS_ALL)
            framer.read(&cursor, from: start, tally: &tally)
        case .body:
            var cursor = cursor(base, count: count, at: start, room: rooms.frames)
            _ = framer.walker.read(&cursor, from: start, lineBounded: false, facts: &tally.facts)
            settleBody()
        case .undecided, .bodyRejected, .finished:
            break
        }
    }

    /// Takes a short slice that only continues a string of the current document, if it is one.
    @inline(__always)
    private mutating func readStringTail(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch framing {
        case .eventStream: framer.readStringTail(bytes, facts: &tally.facts)
        case .body: framer.walker.readStringTail(bytes, facts: &tally.facts)
        case .undecided, .bodyRejected, .finished: false
        }
    }

    /// Reads the next slice of the response.
    public mutating func feed(_ bytes: RawSpan) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Reads the next slice of the response from any sequence of bytes, without copying it when
    /// it is contiguous (`[UInt8]`, `ArraySlice`, `Data`…).
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let wasContiguous: Void? = bytes.withContiguousStorageIfAvailable { feed(UnsafeRawBufferPointer($0)) }
        guard wasContiguous == nil else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buffer in
            var count = 0
            for byte in bytes {
                buffer[count] = byte
                count += 1
                if count == buffer.count {
                    feed(UnsafeRawBufferPointer(buffer))
                    count = 0
                }
            }
            feed(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[..<count])))
        }
    }

    /// Ends the response and returns its record. An event cut off before its blank line is not
    /// counted (it was never dispatched), and neither is a body cut off before its value ends.
    /// Input fed after this is ignored.
    @discardableResult
    public mutating func finish() -> UsageRecord {
        switch framing {
        case .undecided, .eventStream:
            framer.finish(facts: &tally.facts)
        case .body, .bodyRejected, .finished:
            break
        }
        framing = .finished
        return tally.record
    }

    /// A cursor over the slice at the block holding `start`.
    @inline(__always)
    private func cursor(_ base: UnsafeRawPointer, count: Int, at start: Int, room: UnsafeMutablePointer<ut_frame_batch>) -> BlockCursor {
        var cursor = BlockCursor(base, count: count, classifier: classifier, room: room)
        cursor.moveTo(start)
        return cursor
    }

    /// A body counts once its value has ended whole; if anything but whitespace follows, it
    /// counts nothing after all.
    private mutating func settleBody() {
        if !bodyCounted, framer.walker.isWhole {
            tally.readBody()
            bodyCounted = true
        } else if framer.walker.valueHasEnded, !framer.walker.isWhole {
            tally = StreamTally(apiProtocol: selection)
            framing = .bodyRejected
        }
    }

    /// The input is a body or an event stream: a tap that stops at usage objects now knows where
    /// they lie.
    private mutating func decide(_ decided: Framing) {
        framing = decided
        if stopsAtUsage { tally.stopAtUsage(inBody: decided == .body) }
    }

    /// Passes a leading BOM and whitespace, and sets the framing from the first byte that is
    /// neither. Returns that byte's offset, or nil if the slice holds none. Whitespace before an
    /// event stream is read by the framer (a space may begin a field name; a CR may end a line).
    private mutating func decideFraming(_ base: UnsafeRawPointer, count: Int, room: UnsafeMutablePointer<ut_frame_batch>) -> Int? {
        var offset = 0
        while offset < count, !byteOrderMark.isSettled {
            // Safe: offset < count.
            switch byteOrderMark.consume(base.load(fromByteOffset: offset, as: UInt8.self)) {
            case .partOfMark:
                offset += 1
            case .content(let matchedBefore) where matchedBefore > 0:
                // Part of a BOM that is not one: those bytes are content, and not `{`.
                decide(.eventStream)
                withUnsafeBytes(of: ByteOrderMarkMatcher.bytes) { mark in
                    var cursor = BlockCursor(mark.baseAddress!, count: matchedBefore, classifier: classifier, room: room)
                    framer.read(&cursor, from: 0, tally: &tally)
                }
                return offset
            case .content:
                break
            }
        }
        let whitespaceStart = offset
        while offset < count {
            // Safe: offset < count.
            switch base.load(fromByteOffset: offset, as: UInt8.self) {
            case 0x20, 0x09, 0x0A, 0x0D:
                offset += 1
            case UInt8(ascii: "{"):
                decide(.body)
                return offset
            default:
                decide(.eventStream)
                return whitespaceStart
            }
        }
        if whitespaceStart < count {
            var cursor = cursor(base, count: count, at: whitespaceStart, room: room)
            framer.read(&cursor, from: whitespaceStart, tally: &tally)
        }
        return nil
    }
}
