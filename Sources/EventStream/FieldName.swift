/// A field name read a byte at a time, in constant space, whatever its length.
///
/// Every name the standard knows has at most five bytes, so the first five are packed into an
/// integer (first byte lowest) and anything longer is an unknown field.
struct FieldName: Sendable {
    private var packed: UInt64 = 0
    private var length = 0

    mutating func reset() {
        packed = 0
        length = 0
    }

    mutating func append(_ byte: UInt8) {
        if length < 5 { packed |= UInt64(byte) << (8 * UInt64(length)) }
        if length <= 5 { length += 1 }
    }

    /// The field this name stands for, or nil for a name the standard ignores.
    var field: EventStreamField? {
        switch (length, packed) {
        case (4, Self.pack("data")): .data
        case (5, Self.pack("event")): .event
        case (2, Self.pack("id")): .id
        case (5, Self.pack("retry")): .retry
        default: nil
        }
    }

    private static func pack(_ name: StaticString) -> UInt64 {
        var value: UInt64 = 0
        name.withUTF8Buffer { bytes in
            for (offset, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(offset)) }
        }
        return value
    }
}
