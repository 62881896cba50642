/// The fields of a `text/event-stream` line that the WHATWG rules give a meaning to.
///
/// Lines naming any other field are ignored by the tokenizer, as the standard says.
public enum EventStreamField: UInt8, Sendable, Hashable, CaseIterable {
    /// `data`: the event's payload. The values of an event's data lines join with LF.
    case data
    /// `event`: the event type; each `event` line replaces the one before it in the same event.
    case event
    /// `id`: the last event ID, which outlives the event it came in.
    case id
    /// `retry`: the reconnection time in milliseconds, as ASCII digits.
    case retry
}
