/// Bytes written in small pieces onto the end of an array: the pieces are gathered in a fixed
/// buffer and moved to the array 128 bytes at a time. One append to an array (a uniqueness and a
/// capacity check, and a call to copy) costs more than most pieces of a JSON line: a key, a
/// count, a comma.
package struct StagedBytes {
    private static let capacity = 128

    private var array: [UInt8]
    private var buffer: InlineArray<128, UInt8> = .init(repeating: 0)
    /// The bytes of `buffer` written, not yet in `array`.
    private var count = 0

    package init(appendingTo array: [UInt8] = []) {
        self.array = array
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        write(upTo: 1) { room in
            room.pointee = byte
            return 1
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        guard bytes.count <= Self.capacity else {
            flush()
            return array.append(contentsOf: bytes)
        }
        write(upTo: bytes.count) { room in
            // Safe: `room` has room for `bytes.count` bytes.
            UnsafeMutableRawPointer(room).copyMemory(from: source, byteCount: bytes.count)
            return bytes.count
        }
    }

    /// Lends room for up to `length` bytes (at most 128) to `body`, which writes them from the
    /// pointer on and returns how many it wrote.
    @inline(__always)
    mutating func write(upTo length: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        assert(length <= Self.capacity)
        if Self.capacity &- count < length { flush() }
        let start = count
        let written = withUnsafeMutableBytes(of: &buffer) { storage in
            // Safe: start + length <= capacity, the storage's size.
            body(storage.baseAddress.unsafelyUnwrapped.advanced(by: start).assumingMemoryBound(to: UInt8.self))
        }
        assert(written <= length)
        count = start &+ written
    }

    /// Everything written, as one array.
    package mutating func finish() -> [UInt8] {
        flush()
        return array
    }

    private mutating func flush() {
        guard count > 0 else { return }
        let staged = count
        withUnsafeBytes(of: &buffer) { storage in
            array.append(contentsOf: UnsafeRawBufferPointer(rebasing: storage[..<staged]))
        }
        count = 0
    }
}
