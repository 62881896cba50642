/// Splits a fuzzer's input into a few leading control bytes and the stream proper, and cuts the
/// stream at points the control bytes choose, so that the fuzzer explores slicing as well.
public struct FuzzInput {
    public let control: [UInt8]
    public let stream: UnsafeRawBufferPointer

    /// The first `controlBytes` bytes steer the run (zero-padded when the input is shorter).
    public init(_ data: UnsafeRawBufferPointer, controlBytes: Int) {
        let taken = min(controlBytes, data.count)
        control = Array(data[0..<taken]) + [UInt8](repeating: 0, count: controlBytes - taken)
        stream = UnsafeRawBufferPointer(rebasing: data[taken...])
    }

    /// Slice sizes drawn from `seed`: 1 to 64 bytes, with a bias towards the smallest.
    public func forEachSlice(seed: UInt8, _ body: (UnsafeRawBufferPointer) -> Void) {
        var state = UInt32(seed) &* 2_654_435_761 | 1
        var offset = 0
        while offset < stream.count {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let size = Int(state % 64) >> Int(state >> 30) + 1
            let end = min(offset + size, stream.count)
            body(UnsafeRawBufferPointer(rebasing: stream[offset..<end]))
            offset = end
        }
    }
}
