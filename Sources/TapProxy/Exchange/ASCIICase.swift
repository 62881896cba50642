/// ASCII case folding for header names and media types: HTTP compares them without regard to
/// case, and only ASCII letters fold.
enum ASCIICase {
    /// `byte` lowercased if it is an ASCII capital letter.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// `bytes` equal `lower` (already lowercase) but for the case of ASCII letters.
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, lowercase lower: some Collection<UInt8>) -> Bool {
        bytes.count == lower.count && zip(bytes, lower).allSatisfy { lowercased($0) == $1 }
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, lowercase lower: StaticString) -> Bool {
        lower.withUTF8Buffer { equal(bytes, lowercase: $0) }
    }

    /// `text` equals `lower` (already lowercase) but for the case of ASCII letters.
    static func equal(_ text: String, lowercase lower: some Collection<UInt8>) -> Bool {
        var text = text
        return text.withUTF8 { equal($0, lowercase: lower) }
    }
}
