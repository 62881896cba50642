import EventStream

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
public struct UsageTap: Sendable {
    private enum Framing: Sendable {
        /// Only whitespace, or part of a BOM, so far.
        case undecided
        case eventStream
        case body
        /// The body's top-level value has been read; what follows it is ignored.
        case bodyRead
        /// ``finish()`` was called; further input is ignored.
        case finished
    }

    private var framing = Framing.undecided
    private var byteOrderMark = ByteOrderMarkMatcher()
    private var tokenizer = EventStreamTokenizer()
    private var reader: EventReader

    /// A tap for one response. With `.auto`, the first event (or the body) that tells the
    /// protocol decides it; otherwise the input is read by the named protocol's rules.
    public init(protocol selection: ProtocolSelection = .auto) {
        reader = EventReader(tally: StreamTally(apiProtocol: selection.fixed))
    }

    /// The usage read so far. A body's usage appears once the body is complete.
    public var record: UsageRecord { reader.tally.record }

    /// Reads the next slice of the response. `bytes` is only read, and not kept past the call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        var bodyStart = 0
        if framing == .undecided {
            guard let start = decideFraming(bytes) else {
                // Whitespace and BOM only: harmless to the tokenizer, which must see them if
                // this turns out to be an event stream.
                tokenizer.feed(bytes, to: &reader)
                return
            }
            bodyStart = start
        }
        switch framing {
        case .eventStream:
            tokenizer.feed(bytes, to: &reader)
        case .body:
            reader.readBody(UnsafeRawBufferPointer(rebasing: bytes[bodyStart...]))
            if reader.bodyIsComplete {
                reader.endBody()
                framing = .bodyRead
            }
        case .undecided, .bodyRead, .finished:
            break
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
    /// counted (it was never dispatched); a body cut off is counted as far as it was read, and
    /// is not finished. Input fed after this is ignored.
    @discardableResult
    public mutating func finish() -> UsageRecord {
        switch framing {
        case .undecided, .eventStream:
            tokenizer.finish(to: &reader)
        case .body:
            reader.endBody()
        case .bodyRead, .finished:
            break
        }
        framing = .finished
        return record
    }

    /// Looks for the first byte that is neither whitespace nor part of a leading BOM, and sets
    /// the framing from it. Returns that byte's offset, or nil if the slice holds none.
    private mutating func decideFraming(_ bytes: UnsafeRawBufferPointer) -> Int? {
        for (offset, byte) in bytes.enumerated() {
            if !byteOrderMark.isSettled {
                switch byteOrderMark.consume(byte) {
                case .partOfMark:
                    continue
                case .content(let matchedBefore) where matchedBefore > 0:
                    // Part of a BOM that is not one: those bytes are content, and not `{`.
                    framing = .eventStream
                    return offset
                case .content:
                    break
                }
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "{"):
                framing = .body
                return offset
            default:
                framing = .eventStream
                return offset
            }
        }
        return nil
    }
}
