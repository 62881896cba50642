/// An error object's `code` and `type`, as far as the error value rule needs them.
/// Whether the member was an object at all is kept by ``EventFacts``.
struct ErrorCapture: Sendable {
    var code = CodeCapture()
    var type = CapturedString()
    var typeIsString = false

    mutating func reset() {
        code.reset()
        type.reset()
        typeIsString = false
    }

    /// The error value: `code` if a non-empty string or an integer, else `type` if a non-empty
    /// string, else `"error"`.
    var value: CapturedString {
        if let codeValue = code.value { return codeValue }
        if typeIsString && !type.isEmpty { return type }
        return CodeCapture.genericError
    }
}

/// A `code` member, which providers send as a string (`"tool_use_failed"`) or an integer (`400`).
struct CodeCapture: Sendable {
    enum Kind: Sendable { case absent, string, integer }

    var kind = Kind.absent
    var text = CapturedString()

    static let genericError: CapturedString = {
        var text = CapturedString()
        withUnsafeBytes(of: (UInt8(ascii: "e"), UInt8(ascii: "r"), UInt8(ascii: "r"), UInt8(ascii: "o"), UInt8(ascii: "r"))) {
            text.append($0)
        }
        return text
    }()

    mutating func reset() {
        kind = .absent
        text.reset()
    }

    mutating func setInteger(_ value: Int64) {
        kind = .integer
        text.setDecimal(value)
    }

    /// The code as the error value, if it qualifies: a non-empty string, or an integer.
    var value: CapturedString? {
        switch kind {
        case .string where !text.isEmpty, .integer: text
        default: nil
        }
    }
}
