/// The closing brace of a usage object that holds a response's usage as it stands, found by
/// ``UsageTap/readUntilUsage(_:)``: where a proxy that adds members to that object (a cost)
/// puts them, and the record to price them from.
public struct UsageObjectEnd: Sendable, Equatable {
    /// The brace's offset in the slice given to ``UsageTap/readUntilUsage(_:)``.
    public let offset: Int
    /// The object has members before the brace, so a member added before it starts with a
    /// comma. (False for `{}`, and for an object whose last member is followed by a comma.)
    public let hasMembers: Bool
    /// The response's record as it stands with this object's usage counted: the record once the
    /// event (or body) that holds it ends, unless something after the brace changes it.
    public let record: UsageRecord

    /// Where the walker stopped, in the slice it was reading.
    struct Brace: Sendable {
        let offset: Int
        let membersBefore: Bool
    }
}
