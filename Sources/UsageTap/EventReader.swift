import EventStream

/// Reads each event's data through the JSON scanner and folds dispatched events into the tally.
struct EventReader: EventStreamHandler, Sendable {
    var tally: StreamTally
    var scanner = JSONUsageScanner()
    /// The first bytes of the event's data, to tell an event whose data is exactly `[DONE]`.
    private var dataPrefix = ShortName()

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
        tally.readEvent(dataIsDone: dataPrefix == Names.done)
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
        tally.readBody()
    }

    var bodyIsComplete: Bool { scanner.isFinished }

    private mutating func startNextEvent() {
        tally.facts.reset()
        scanner.reset()
        dataPrefix.reset()
    }
}
