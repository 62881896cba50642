/// A field name read a byte at a time, in constant space, whatever its length.
///
/// Every name the standard knows has at most five bytes, so the first five are packed into an
/// integer (first byte lowest) and anything longer is an unknown field.
@usableFromInline
struct FieldName: Sendable {
    @usableFromInline var packed: UInt64 = 0
    @usableFromInline var length = 0

    @inlinable init() {}

    @inlinable
    init(packed: UInt64, length: Int) {
        self.packed = packed
        self.length = length
    }

    /// `data` and `event` packed as `append` packs them, first byte lowest: "data" is the
    /// bytes 64 61 74 61.
    @inlinable static var data: FieldName { FieldName(packed: 0x61_74_61_64, length: 4) }
    @inlinable static var event: FieldName { FieldName(packed: 0x74_6E_65_76_65, length: 5) }

    @inlinable
    mutating func reset() {
        packed = 0
        length = 0
    }

    @inlinable
    mutating func append(_ byte: UInt8) {
        if length < 5 { packed |= UInt64(byte) << (8 * UInt64(length)) }
        if length <= 5 { length += 1 }
    }

    /// The field this name stands for, or nil for a name the standard ignores. The constants
    /// are the names packed as above.
    @inlinable
    var field: EventStreamField? {
        switch (length, packed) {
        case (Self.data.length, Self.data.packed): .data
        case (Self.event.length, Self.event.packed): .event
        case (2, 0x64_69): .id
        case (5, 0x79_72_74_65_72): .retry
        default: nil
        }
    }
}
