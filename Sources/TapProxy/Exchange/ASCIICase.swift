/// ASCII case folding for header names and media types: HTTP compares them without regard to
/// case, and only ASCII letters fold.
enum ASCIICase {
    /// `byte` lowercased if it is an ASCII capital letter.
    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    /// `bytes` equal `lower` (already lowercase) but for the case of ASCII letters.
    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, lowercase lower: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == lower.count else { return false }
        for index in 0..<bytes.count where lowercased(bytes[index]) != lower[index] { return false }
        return true
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, lowercase lower: StaticString) -> Bool {
        lower.withUTF8Buffer { equal(bytes, lowercase: $0) }
    }

    static func equal(_ bytes: UnsafeRawBufferPointer, lowercase lower: StaticString) -> Bool {
        equal(bytes.bindMemory(to: UInt8.self), lowercase: lower)
    }

    static func equal(_ bytes: UnsafeBufferPointer<UInt8>, lowercase lower: [UInt8]) -> Bool {
        lower.withUnsafeBufferPointer { equal(bytes, lowercase: $0) }
    }

    /// `body` with `text`'s bytes, without the copy of the string that `String.withUTF8` (a
    /// mutating method) needs; a string not stored as UTF-8 is copied once.
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = text.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(text.utf8).withUnsafeBufferPointer(body)
    }
}
