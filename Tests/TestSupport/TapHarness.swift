import UsageTap

/// Runs bytes through a fresh tap, sliced as asked, and returns the record.
public func usage(
    of bytes: [UInt8], protocol selection: ProtocolSelection = .auto, slicing: Slicing = .whole
) -> UsageRecord {
    var tap = UsageTap(protocol: selection)
    slicing.forEachSlice(of: bytes) { tap.feed($0) }
    return tap.finish()
}

/// The same, from text.
public func usage(
    of text: String, protocol selection: ProtocolSelection = .auto, slicing: Slicing = .whole
) -> UsageRecord {
    usage(of: Array(text.utf8), protocol: selection, slicing: slicing)
}

/// The record for `text` under each of the standard slicings, which must all agree; returns it.
/// Any disagreement is returned too, so the test can show which slicing differed.
public func usageUnderEverySlicing(
    of bytes: [UInt8], protocol selection: ProtocolSelection = .auto
) -> (record: UsageRecord, disagreements: [String]) {
    let reference = usage(of: bytes, protocol: selection)
    var disagreements: [String] = []
    var slicings: [Slicing] = [.every(1), .every(2), .every(3), .every(7), .every(64)]
    if bytes.count <= 4096 {
        slicings += (1..<bytes.count).map { .at([$0]) }
    }
    for slicing in slicings {
        let record = usage(of: bytes, protocol: selection, slicing: slicing)
        if record != reference { disagreements.append("\(slicing.testDescription): \(record.jsonLine)") }
    }
    return (reference, disagreements)
}

public func usageUnderEverySlicing(of text: String, protocol selection: ProtocolSelection = .auto)
    -> (record: UsageRecord, disagreements: [String])
{
    usageUnderEverySlicing(of: Array(text.utf8), protocol: selection)
}
