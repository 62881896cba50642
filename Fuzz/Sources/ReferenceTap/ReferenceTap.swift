import EventStream
@_spi(Reference) import UsageTap

/// Today's tap before the block-mask rewrite, the reference that `Differential` and the tests
/// compare the new tap with, and the `reference` row of the benchmarks: the `EventStream`
/// tokenizer, the reference reader and scanner. Only the two contract changes of DESIGN.md
/// are applied to it ("Whole values only", whole-valued numbers), each in one marked place.
/// Not part of the library.
public struct ReferenceTap: Sendable {
    private enum Framing: Sendable {
        /// Only whitespace, or part of a BOM, so far.
        case undecided
        case eventStream
        case body
        /// ``finish()`` was called; further input is ignored.
        case finished
    }

    private var framing = Framing.undecided
    private var byteOrderMark = ByteOrderMarkMatcher()
    private var tokenizer = EventStreamTokenizer()
    private var reader: ReferenceEventReader

    /// A tap for one response. With `.auto`, the first event (or the body) that tells the
    /// protocol decides it; otherwise the input is read by the named protocol's rules.
    public init(protocol selection: ProtocolSelection = .auto) {
        reader = ReferenceEventReader(tally: StreamTally(apiProtocol: selection.fixed))
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
            // Contract change "whole values only": the bytes after the value are read too.
            reader.readBody(UnsafeRawBufferPointer(rebasing: bytes[bodyStart...]))
        case .undecided, .finished:
            break
        }
    }

    /// Reads the next slice of the response from an array (the oracles' prefixes).
    public mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Ends the response and returns its record. An event cut off before its blank line is not
    /// counted (it was never dispatched), nor is a body that is not one whole value. Input fed
    /// after this is ignored.
    @discardableResult
    public mutating func finish() -> UsageRecord {
        switch framing {
        case .undecided, .eventStream:
            tokenizer.finish(to: &reader)
        case .body:
            reader.endBody()
        case .finished:
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
