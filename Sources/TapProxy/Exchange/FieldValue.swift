/// The shapes of field values the proxy reads (RFC 9110 §5.6): comma-separated lists, and
/// optional white space (spaces and tabs) around values and their elements.
enum FieldValue {
    /// `value` without the spaces and tabs at either end.
    static func trimmed(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var first = 0, last = value.count
        while first < last, value[first] == 0x20 || value[first] == 0x09 { first += 1 }
        while last > first, value[last - 1] == 0x20 || value[last - 1] == 0x09 { last -= 1 }
        return UnsafeRawBufferPointer(rebasing: value[first..<last])
    }

    /// Calls `body` with each non-empty element of a comma-separated list, trimmed.
    static func forEachElement(of value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while start < value.count {
            var end = start
            while end < value.count, value[end] != UInt8(ascii: ",") { end += 1 }
            let element = trimmed(UnsafeRawBufferPointer(rebasing: value[start..<end]))
            if !element.isEmpty { body(element) }
            start = end + 1
        }
    }
}
