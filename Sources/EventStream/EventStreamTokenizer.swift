/// A WHATWG `text/event-stream` tokenizer over raw bytes, fed one slice at a time.
///
/// Slices may split the input anywhere: inside a line, a CRLF pair, the byte order mark or a
/// multi-byte character. The tokenizer never copies or buffers input, never looks at a byte
/// twice, and keeps a few bytes of state whatever the length of a line: values are lent to the
/// ``EventStreamHandler`` as pieces of the caller's slice.
///
/// ```swift
/// var tokenizer = EventStreamTokenizer()
/// tokenizer.feed(slice, to: &handler)   // as often as bytes arrive
/// tokenizer.finish(to: &handler)        // at the end of the input
/// ```
///
/// The rules: one UTF-8 BOM is dropped at the very start only; lines end at CR, LF or CRLF; a
/// line starting with `:` is a comment; a field's name runs to the first `:` (the whole line
/// when there is none) and one space after the colon is dropped; a blank line ends an event.
/// U+2028, U+2029 and U+0085 are ordinary bytes, not line ends.
public struct EventStreamTokenizer: Sendable {
    @usableFromInline
    enum LinePosition: UInt8, Sendable {
        case start, name, valueStart, value, comment
    }

    // Computed, not stored: a stored static would be a lazily initialised global, checked on
    // every use in the inlined loop.
    @inlinable static var lineFeed: UInt8 { 0x0A }
    @inlinable static var carriageReturn: UInt8 { 0x0D }
    @inlinable static var colon: UInt8 { 0x3A }
    @inlinable static var space: UInt8 { 0x20 }

    @usableFromInline var position = LinePosition.start
    /// The last line ended at a CR, so an LF that comes next belongs to that line end. The CR
    /// already ended the line (an event is dispatched without waiting for the next slice); the
    /// flag only stops that LF from being read as a second, blank line.
    @usableFromInline var lineEndedAtCR = false
    @usableFromInline var byteOrderMark = ByteOrderMarkMatcher()
    @usableFromInline var name = FieldName()
    /// The field of the current line, once its name is known; nil for ignored fields.
    @usableFromInline var field: EventStreamField?
    @usableFromInline var valueIsValid = true
    @usableFromInline var valueIsEmpty = true
    @usableFromInline var eventHasData = false
    @usableFromInline var eventHasFields = false

    @inlinable public init() {}

    /// Reads the next slice of the stream, calling `handler` for everything it completes.
    @inlinable
    public mutating func feed<Handler: EventStreamHandler>(_ bytes: RawSpan, to handler: inout Handler) {
        bytes.withUnsafeBytes { feed($0, to: &handler) }
    }

    /// Reads the next slice of the stream. `bytes` must stay valid for the duration of the call.
    @inlinable
    public mutating func feed<Handler: EventStreamHandler>(
        _ bytes: UnsafeRawBufferPointer, to handler: inout Handler
    ) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        var index = 0
        if !byteOrderMark.isSettled {
            index = skipByteOrderMark(base, count: bytes.count, handler: &handler)
        }
        read(base, from: index, to: bytes.count, handler: &handler)
    }

    /// Ends the input: an event still open is discarded, as the standard says, and the
    /// tokenizer is ready for a new stream.
    @inlinable
    public mutating func finish<Handler: EventStreamHandler>(to handler: inout Handler) {
        if eventHasFields { handler.eventDiscarded() }
        self = EventStreamTokenizer()
    }

    /// Consumes the byte order mark, or as much of it as this slice holds, and returns where the
    /// stream proper starts. A partial mark that turns out to be content is read as content.
    @inlinable
    mutating func skipByteOrderMark<Handler: EventStreamHandler>(
        _ base: UnsafeRawPointer, count: Int, handler: inout Handler
    ) -> Int {
        var index = 0
        while index < count, !byteOrderMark.isSettled {
            // Safe: index < count.
            let outcome = byteOrderMark.consume(base.load(fromByteOffset: index, as: UInt8.self))
            guard outcome == .partOfMark else {
                // Not a BOM after all: the bytes matched so far (maybe in earlier slices) are content.
                if case .content(let matched) = outcome, matched > 0 {
                    withUnsafeBytes(of: ByteOrderMarkMatcher.bytes) { markBytes in
                        read(markBytes.baseAddress!, from: 0, to: matched, handler: &handler)
                    }
                }
                return index
            }
            index += 1
        }
        return index
    }

    @inlinable
    mutating func read<Handler: EventStreamHandler>(
        _ base: UnsafeRawPointer, from start: Int, to end: Int, handler: inout Handler
    ) {
        var index = start
        while index < end {
            // Safe throughout: every load below is at an index checked against `end`.
            if lineEndedAtCR {
                lineEndedAtCR = false
                if base.load(fromByteOffset: index, as: UInt8.self) == Self.lineFeed {
                    index += 1
                    continue
                }
            }
            switch position {
            case .start:
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                if byte == Self.lineFeed || byte == Self.carriageReturn {
                    endEvent(handler: &handler)
                    lineEndedAtCR = byte == Self.carriageReturn
                    index += 1
                } else if byte == Self.colon {
                    position = .comment
                    index += 1
                } else if let (field, length) = Self.commonFieldName(base, at: index, end: end) {
                    // The name and its colon are whole in this slice: no need to read them a byte at a time.
                    name = field
                    beginField(handler: &handler)
                    index += length
                    position = .valueStart
                } else {
                    name.reset()
                    position = .name
                }
            case .name:
                var byte: UInt8 = 0
                while index < end {
                    byte = base.load(fromByteOffset: index, as: UInt8.self)
                    if byte == Self.colon || byte == Self.lineFeed || byte == Self.carriageReturn { break }
                    name.append(byte)
                    index += 1
                }
                guard index < end else { return }
                beginField(handler: &handler)
                index += 1
                if byte == Self.colon {
                    position = .valueStart
                } else {
                    endLine(endedAtCR: byte == Self.carriageReturn, handler: &handler)
                }
            case .valueStart:
                if base.load(fromByteOffset: index, as: UInt8.self) == Self.space { index += 1 }
                position = .value
            case .value:
                let lineEnd = _UnsafeByteSearch.firstIndex(
                    of: Self.lineFeed, or: Self.carriageReturn, in: base, from: index, to: end)
                if lineEnd > index, let field {
                    lendValue(UnsafeRawBufferPointer(start: base + index, count: lineEnd - index),
                              of: field, handler: &handler)
                }
                guard lineEnd < end else { return }
                let byte = base.load(fromByteOffset: lineEnd, as: UInt8.self)
                index = lineEnd + 1
                endLine(endedAtCR: byte == Self.carriageReturn, handler: &handler)
            case .comment:
                let lineEnd = _UnsafeByteSearch.firstIndex(
                    of: Self.lineFeed, or: Self.carriageReturn, in: base, from: index, to: end)
                guard lineEnd < end else { return }
                lineEndedAtCR = base.load(fromByteOffset: lineEnd, as: UInt8.self) == Self.carriageReturn
                position = .start
                index = lineEnd + 1
            }
        }
    }

    /// `data:` or `event:` at `index`, with the length of the name and colon, when the slice
    /// holds eight bytes from there; nil otherwise, for the byte-wise path.
    @inlinable @inline(__always)
    static func commonFieldName(_ base: UnsafeRawPointer, at index: Int, end: Int) -> (FieldName, Int)? {
        guard index + 8 <= end else { return nil }
        // Safe: index + 8 <= end.
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
        // The name's bytes, then a colon (0x3A) above them.
        if word & 0xFF_FFFF_FFFF == 0x3A << 32 | FieldName.data.packed { return (.data, 5) }
        if word & 0xFFFF_FFFF_FFFF == 0x3A << 40 | FieldName.event.packed { return (.event, 6) }
        return nil
    }

    @inlinable
    mutating func beginField<Handler: EventStreamHandler>(handler: inout Handler) {
        field = name.field
        guard let field else { return }
        eventHasFields = true
        valueIsValid = true
        valueIsEmpty = true
        handler.fieldBegan(field)
        if field == .data {
            if eventHasData {
                var joiner = Self.lineFeed
                withUnsafeBytes(of: &joiner) { handler.fieldValue($0.bytes, of: .data) }
            }
            eventHasData = true
        }
    }

    @inlinable
    mutating func lendValue<Handler: EventStreamHandler>(
        _ piece: UnsafeRawBufferPointer, of field: EventStreamField, handler: inout Handler
    ) {
        valueIsEmpty = false
        switch field {
        case .id: if piece.contains(0) { valueIsValid = false }
        case .retry: if !piece.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { valueIsValid = false }
        case .data, .event: break
        }
        handler.fieldValue(piece.bytes, of: field)
    }

    @inlinable
    mutating func endLine<Handler: EventStreamHandler>(endedAtCR: Bool, handler: inout Handler) {
        if let field {
            let isValid = field == .retry ? valueIsValid && !valueIsEmpty : valueIsValid
            handler.fieldEnded(field, isValid: isValid)
        }
        field = nil
        lineEndedAtCR = endedAtCR
        position = .start
    }

    @inlinable
    mutating func endEvent<Handler: EventStreamHandler>(handler: inout Handler) {
        if eventHasData {
            handler.eventDispatched()
        } else if eventHasFields {
            handler.eventDiscarded()
        }
        eventHasData = false
        eventHasFields = false
    }
}
