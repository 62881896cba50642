import EventStream
@_spi(Reference) import UsageTap

/// Today's glue between the tokenizer and the scanner, kept as the reference: reads each
/// event's data through the reference scanner and folds dispatched events into the tally, now
/// only those whose data is one whole JSON value (or `[DONE]`).
struct ReferenceEventReader: EventStreamHandler, Sendable {
    var tally: StreamTally
    var scanner = ReferenceScanner()
    /// The first bytes of the event's data, to tell an event whose data is exactly `[DONE]`.
    private var dataPrefix = ShortName()
    private static let done: ShortName = withUnsafeBytes(of: (UInt8(ascii: "["), UInt8(ascii: "D"), UInt8(ascii: "O"), UInt8(ascii: "N"), UInt8(ascii: "E"), UInt8(ascii: "]"))) {
        ShortName($0.baseAddress!, count: 6, readable: 6)
    }

    init(tally: StreamTally) {
        self.tally = tally
    }

    mutating func fieldValue(_ piece: RawSpan, of field: EventStreamField) {
        guard field == .data else { return }
        piece.withUnsafeBytes { bytes in
            dataPrefix.append(bytes)
            scanner.scan(bytes, into: &tally.facts)
        }
    }

    mutating func eventDispatched() {
        scanner.end(into: &tally.facts)
        let isDone = dataPrefix == Self.done
        if isDone || scanner.isWhole { tally.readEvent(dataIsDone: isDone) }
        startNextEvent()
    }

    mutating func eventDiscarded() {
        startNextEvent()
    }

    /// A body is one document, read by the same scanner without the event framing.
    mutating func readBody(_ bytes: UnsafeRawBufferPointer) {
        scanner.scan(bytes, into: &tally.facts)
    }

    mutating func endBody() {
        scanner.end(into: &tally.facts)
        if scanner.isWhole { tally.readBody() }
    }

    var bodyIsComplete: Bool { scanner.isFinished }

    private mutating func startNextEvent() {
        tally.facts.reset()
        scanner.reset()
        dataPrefix.reset()
    }
}
