import EventStream
import Testing
import TestSupport

/// A handler that does what a browser's EventSource does with the tokenizer's output: builds
/// whole events, so that tests can compare them as values.
struct EventCollector: EventStreamHandler {
    struct Event: Equatable, CustomStringConvertible {
        var type: String
        var data: String
        var lastEventID: String
        var description: String { "\(type)|\(data.debugDescription)|id=\(lastEventID)" }
    }

    var events: [Event] = []
    var retry: Int?
    var lastEventID = ""
    private var type: [UInt8] = []
    private var data: [UInt8] = []
    private var pendingID: [UInt8] = []

    mutating func fieldBegan(_ field: EventStreamField) {
        switch field {
        case .event: type = []
        case .id: pendingID = []
        case .data, .retry: break
        }
    }

    mutating func fieldValue(_ piece: RawSpan, of field: EventStreamField) {
        let bytes = piece.withUnsafeBytes { Array($0) }
        switch field {
        case .data: data += bytes
        case .event: type += bytes
        case .id, .retry: pendingID += bytes
        }
    }

    mutating func fieldEnded(_ field: EventStreamField, isValid: Bool) {
        guard isValid else { return pendingID = [] }
        switch field {
        case .id: lastEventID = String(decoding: pendingID, as: UTF8.self)
        case .retry: retry = Int(String(decoding: pendingID, as: UTF8.self))
        case .data, .event: break
        }
        pendingID = []
    }

    mutating func eventDispatched() {
        events.append(Event(
            type: type.isEmpty ? "message" : String(decoding: type, as: UTF8.self),
            data: String(decoding: data, as: UTF8.self), lastEventID: lastEventID))
        type = []
        data = []
    }

    mutating func eventDiscarded() {
        type = []
        data = []
    }
}

/// Tokenizes `bytes` under one slicing and returns what a collector built from it.
func collect(_ bytes: [UInt8], slicing: Slicing = .whole) -> EventCollector {
    var tokenizer = EventStreamTokenizer()
    var collector = EventCollector()
    slicing.forEachSlice(of: bytes) { tokenizer.feed($0, to: &collector) }
    tokenizer.finish(to: &collector)
    return collector
}

/// The slicings every tokenizer test runs under: whole, byte by byte, and every two-way split.
func everySlicing(of count: Int) -> [Slicing] {
    [.whole, .every(1), .every(2), .every(3)] + (1..<max(count, 1)).map { .at([$0]) }
}

/// The events of `text` as `(type, data)` pairs, checked to be the same under every slicing.
func events(of text: String) -> [EventCollector.Event] {
    events(ofBytes: Array(text.utf8))
}

func events(ofBytes bytes: [UInt8]) -> [EventCollector.Event] {
    let reference = collect(bytes).events
    for slicing in everySlicing(of: bytes.count) {
        let sliced = collect(bytes, slicing: slicing).events
        #expect(sliced == reference, "\(slicing.testDescription) gave \(sliced), whole gave \(reference)")
    }
    return reference
}

func dataOf(_ text: String) -> [String] {
    events(of: text).map(\.data)
}
