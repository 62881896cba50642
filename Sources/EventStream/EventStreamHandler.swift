/// Receives what an ``EventStreamTokenizer`` reads, as it reads it.
///
/// Values are lent, never copied: each `piece` points into the bytes the caller passed to
/// ``EventStreamTokenizer/feed(_:to:)`` (or, for the LF that joins two data lines, at a byte on
/// the tokenizer's stack) and is valid only for the duration of the call. A value that spans
/// several slices arrives in several pieces, in order.
///
/// The calls for one event come in this order: for each field line, `fieldBegan`, zero or more
/// `fieldValue` pieces, `fieldEnded`; then, at the blank line, `eventDispatched` if the event had
/// at least one data line, else `eventDiscarded`. An event cut off by the end of the input ends
/// with `eventDiscarded` from ``EventStreamTokenizer/finish(to:)``, possibly without
/// `fieldEnded` for its last line. Every requirement has an empty default implementation.
public protocol EventStreamHandler {
    /// A line for `field` starts. For the second and later `data` lines of one event, the LF
    /// that joins them to the line before arrives as the first `fieldValue` piece.
    mutating func fieldBegan(_ field: EventStreamField)

    /// The next piece of the current line's value, leading space already dropped.
    mutating func fieldValue(_ piece: RawSpan, of field: EventStreamField)

    /// The current line ended. `isValid` is false where the standard says to ignore the line:
    /// an `id` whose value contains NUL, or a `retry` whose value is not one or more ASCII digits.
    mutating func fieldEnded(_ field: EventStreamField, isValid: Bool)

    /// A blank line ended an event that had data: it is dispatched.
    mutating func eventDispatched()

    /// A blank line, or the end of the input, ended an event that is not dispatched: it had no
    /// data line, or the input ended before its blank line. Forget its event type and data.
    mutating func eventDiscarded()
}

extension EventStreamHandler {
    public mutating func fieldBegan(_ field: EventStreamField) {}
    public mutating func fieldValue(_ piece: RawSpan, of field: EventStreamField) {}
    public mutating func fieldEnded(_ field: EventStreamField, isValid: Bool) {}
    public mutating func eventDispatched() {}
    public mutating func eventDiscarded() {}
}
