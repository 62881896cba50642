/// The raw bytes of a JSON string value (escapes and all), kept in fixed storage.
///
/// Model names and error codes are short, so the first `capacity` bytes are kept and the rest
/// is dropped; the string is unescaped and made a `String` only when a record is read.
struct CapturedString: Sendable {
    static let capacity = 256

    private var bytes: InlineArray<256, UInt8> = .init(repeating: 0)
    private(set) var count = 0

    @inline(__always) init() {}

    var isEmpty: Bool { count == 0 }

    mutating func reset() {
        count = 0
    }

    mutating func append(_ run: UnsafeRawBufferPointer) {
        let kept = min(run.count, Self.capacity &- count)
        guard kept > 0, let source = run.baseAddress else { return }
        let start = count
        withUnsafeMutableBytes(of: &bytes) { storage in
            // Safe: start + kept <= capacity, the size of `storage`; `run` holds `kept` bytes.
            storage.baseAddress.unsafelyUnwrapped.advanced(by: start).copyMemory(from: source, byteCount: kept)
        }
        count &+= kept
    }

    /// Replaces the contents with the decimal digits of `value`.
    mutating func setDecimal(_ value: Int64) {
        count = 0
        var digits = String(value).utf8.makeIterator()
        while let digit = digits.next(), count < Self.capacity {
            bytes[count] = digit
            count += 1
        }
    }

    /// The JSON string's value: escapes decoded, and invalid UTF-8 (or a lone surrogate escape)
    /// replaced by U+FFFD, so that any input gives a valid string.
    func decoded() -> String {
        withUnsafeBytes(of: bytes) { storage in
            JSONStringText.decode(UnsafeRawBufferPointer(rebasing: storage[..<count]))
        }
    }
}
