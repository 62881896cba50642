import UsageTap

/// One input every contender reads: the bytes of a response, the slice size they arrive in, and
/// the record a correct reader must report, so that a fast wrong answer cannot pass as a result.
public struct Workload: Sendable {
    /// The benchmark name's suffix: `chat`, `worst.giant_line`…
    public let name: String
    public let bytes: [UInt8]
    /// The size of the slices the input is fed in, as a proxy receives it.
    public let sliceSize: Int
    /// The events dispatched in the stream (1 for a body).
    public let events: Int
    public let expected: UsageRecord

    public init(name: String, bytes: [UInt8], sliceSize: Int, events: Int, expected: UsageRecord) {
        self.name = name
        self.bytes = bytes
        self.sliceSize = sliceSize
        self.events = events
        self.expected = expected
    }

    /// Calls `body` with each slice of the input in order. The slices are valid only inside `body`.
    @inlinable
    public func forEachSlice(_ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { all in
            var start = 0
            while start < all.count {
                let end = min(start + sliceSize, all.count)
                body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    /// The same bytes in other slices: worst cases reuse a realistic stream one byte at a time.
    public func sliced(by size: Int, name: String) -> Workload {
        Workload(name: name, bytes: bytes, sliceSize: size, events: events, expected: expected)
    }
}

extension Workload {
    /// The 16 KiB slices of a proxy's socket reads.
    public static let proxySliceSize = 16 * 1024

    /// Every workload of a full run. `scale` multiplies the realistic streams' length: 1 gives
    /// streams of about 16 MiB.
    public static func all(scale: Double = 1) -> [Workload] {
        let realistic = realistic(scale: scale)
        return realistic + WorstCases.all(scale: scale, realistic: realistic)
    }

    /// One long stream per protocol, at the shapes the providers send.
    public static func realistic(scale: Double = 1) -> [Workload] {
        let target = Int(16 * 1024 * 1024 * scale)
        return [
            ChatStream(targetBytes: target).workload,
            ResponsesStream(targetBytes: target).workload,
            MessagesStream(targetBytes: target).workload,
            GeminiStream(targetBytes: target).workload,
        ]
    }
}
