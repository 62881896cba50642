import EventStream
@_spi(Reference) import UsageTap

/// Today's scanner before the block-mask rewrite, kept unchanged as the reference the new tap is
/// tested against, except for the two contract changes it must share: a scalar is read by
/// ``ReferenceScalarToken`` (whole-valued numbers count), and bytes after the top-level value
/// are checked for anything but whitespace (``hasTrailingContent``).
///
/// A resumable, string-aware JSON reader that follows only the usage paths.
///
/// Feed it one document (an event's data, or a body) in slices of any size; it tells
/// ``EventFacts`` what it finds on the paths of ``UsagePath`` and skips everything else without
/// interpreting it. It never buffers input: the state that survives a slice boundary (a partial
/// key, a partial number, a pending escape, the nesting) is a few fixed-size fields. Nesting
/// deeper than any usage path is only counted, so a million-deep document costs nothing more.
///
/// It is lenient: it validates only what it reads. Malformed JSON never stops it; at worst the
/// malformed part reads as nothing.
struct ReferenceScanner: Sendable {
    private enum Lexeme: UInt8, Sendable {
        /// Between tokens: whitespace, punctuation, or the start of the next token.
        case between
        /// Inside a member name.
        case key
        /// Inside a string value that a usage path keeps (a model name, a type…).
        case string
        /// Inside a number, literal or junk outside quotes.
        case scalar
        /// Inside a container no usage path enters: only brackets and strings are tracked.
        case skipping
        /// Inside a string within a skipped container.
        case skippedString
        /// Inside a string value that no usage path reads.
        case ignoredString
        /// The document's top-level value has ended; the rest is ignored.
        case finished
    }

    private struct Frame: Sendable {
        var path: UsagePath
        var isObject: Bool
        var expectsKey: Bool
    }

    /// Deeper than the deepest usage path (root, response, usage, details: four levels).
    private static let frameCapacity = 8

    private var lexeme = Lexeme.between
    /// Inside a string, the last byte was an unescaped backslash.
    private var escaped = false
    private var frames: InlineArray<8, Frame> = .init(repeating: Frame(path: .ignored, isObject: false, expectsKey: false))
    private var depth = 0
    /// Open brackets inside the skipped container, itself included.
    private var skipDepth = 0
    /// The path of the value that comes next.
    private var valuePath = UsagePath.root
    private var key = ShortName()
    private var scalar = ReferenceScalarToken()

    init() {}

    /// Something other than whitespace followed the top-level value.
    private(set) var hasTrailingContent = false

    mutating func reset() {
        hasTrailingContent = false
        lexeme = .between
        escaped = false
        depth = 0
        skipDepth = 0
        valuePath = .root
    }

    /// The document's top-level value has been read to its end.
    var isFinished: Bool { lexeme == .finished }

    /// After ``end(into:)``: the document was one whole value, then nothing but whitespace.
    var isWhole: Bool { lexeme == .finished && !hasTrailingContent }

    /// Reads the next slice of the document.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, into facts: inout EventFacts) {
        guard let base = bytes.baseAddress else { return }
        let end = bytes.count
        var index = 0
        // A token cut by the previous slice's end is finished first; whole tokens are read by
        // `readTokens` without coming back here.
        while index < end {
            switch lexeme {
            case .finished:
                // Contract change "whole values only": only whitespace may follow the value.
                for offset in index..<end where ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[offset]) {
                    hasTrailingContent = true
                }
                return
            case .between:
                index = readTokens(base, from: index, to: end, facts: &facts)
            case .key, .string:
                index = continueString(base, from: index, to: end, facts: &facts)
            case .ignoredString, .skippedString:
                index = continueUnreadString(base, from: index, to: end)
            case .scalar:
                index = continueScalar(base, from: index, to: end, facts: &facts)
            case .skipping:
                index = skip(base, from: index, to: end)
            }
        }
    }

    /// Reads whole tokens from `start`, each in one go, until the slice ends (leaving the
    /// lexeme of a token it cuts), the document ends, or a token needs the byte-wise path.
    /// Returns where it stopped.
    @inline(__always)
    private mutating func readTokens(
        _ base: UnsafeRawPointer, from start: Int, to end: Int, facts: inout EventFacts
    ) -> Int {
        var index = start
        // Safe throughout: every load is at an index checked against `end`.
        while index < end {
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index &+= 1
            switch byte {
            case UInt8(ascii: "\""):
                if depth > 0 && frames[depth &- 1].expectsKey {
                    guard let quote = Self.unescapedStringEnd(base, from: index, to: end) else {
                        lexeme = .key
                        key.reset()
                        return index
                    }
                    keyEnded(ShortName(base + index, count: quote &- index, readable: end &- index), facts: &facts)
                    index = quote &+ 1
                } else if EventFacts.capturesString(at: valuePath) {
                    guard let quote = Self.unescapedStringEnd(base, from: index, to: end) else {
                        lexeme = .string
                        return index
                    }
                    facts.stringPiece(UnsafeRawBufferPointer(start: base + index, count: quote &- index), at: valuePath)
                    facts.stringEnded(at: valuePath)
                    index = quote &+ 1
                    valueEnded()
                } else {
                    lexeme = .ignoredString
                    index = continueUnreadString(base, from: index, to: end)
                }
            case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":"):
                continue
            case UInt8(ascii: ","):
                comma()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                open(isObject: byte == UInt8(ascii: "{"), facts: &facts)
                if lexeme == .skipping { index = skip(base, from: index, to: end) }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { continue }  // a stray closer is junk
                depth &-= 1
                facts.closed(frames[depth].path)
                valueEnded()
            default:
                lexeme = .scalar
                scalar.reset()
                index = continueScalar(base, from: index &- 1, to: end, facts: &facts)
            }
            guard lexeme == .between else { return index }
            // A key's colon and a value's comma nearly always follow at once: taking them here,
            // on branches that predict well, saves a trip through the switch for each.
            if index < end {
                let next = base.load(fromByteOffset: index, as: UInt8.self)
                if next == UInt8(ascii: ":") {
                    index &+= 1
                } else if next == UInt8(ascii: ",") {
                    index &+= 1
                    comma()
                }
            }
        }
        return index
    }

    /// A comma: in an object the next token is a key; in an array, the next element.
    @inline(__always)
    private mutating func comma() {
        guard depth > 0 else { return }
        if frames[depth &- 1].isObject {
            frames[depth &- 1].expectsKey = true
            valuePath = .ignored
        } else {
            valuePath = frames[depth &- 1].path.element
        }
    }

    /// Continues a key or a string value that is kept, lending its contents a run at a time.
    private mutating func continueString(
        _ base: UnsafeRawPointer, from start: Int, to end: Int, facts: inout EventFacts
    ) -> Int {
        var index = start
        // Safe throughout: loads are at indices below `end`; runs lie inside the slice.
        while index < end {
            if escaped {
                // The byte after a backslash is content, whatever it is.
                escaped = false
                stringContent(UnsafeRawBufferPointer(start: base + index, count: 1), facts: &facts)
                index &+= 1
                continue
            }
            let stop = _UnsafeByteSearch.firstIndex(
                of: UInt8(ascii: "\""), or: UInt8(ascii: "\\"), in: base, from: index, to: end)
            if stop > index {
                stringContent(UnsafeRawBufferPointer(start: base + index, count: stop &- index), facts: &facts)
            }
            guard stop < end else { return end }
            index = stop &+ 1
            guard base.load(fromByteOffset: stop, as: UInt8.self) == UInt8(ascii: "\"") else {
                stringContent(UnsafeRawBufferPointer(start: base + stop, count: 1), facts: &facts)
                escaped = true
                continue
            }
            switch lexeme {
            case .key:
                keyEnded(key, facts: &facts)
            default:
                facts.stringEnded(at: valuePath)
                valueEnded()
            }
            return index
        }
        return index
    }

    /// Continues a string whose contents no path reads, in a value or inside a skipped
    /// container, up to its closing quote.
    @inline(__always)
    private mutating func continueUnreadString(_ base: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var index = start
        if escaped {
            guard index < end else { return end }
            escaped = false
            index &+= 1
        }
        while true {
            let stop = _UnsafeByteSearch.firstIndex(
                of: UInt8(ascii: "\""), or: UInt8(ascii: "\\"), in: base, from: index, to: end)
            guard stop < end else { return end }
            // Safe: stop < end.
            if base.load(fromByteOffset: stop, as: UInt8.self) == UInt8(ascii: "\\") {
                // The escaped byte is content; it may lie in the next slice.
                guard stop &+ 1 < end else {
                    escaped = true
                    return end
                }
                index = stop &+ 2
                continue
            }
            if lexeme == .skippedString {
                lexeme = .skipping
            } else {
                valueEnded()
            }
            return stop &+ 1
        }
    }

    /// Continues a number, literal or junk outside quotes, up to the byte that ends it (which
    /// is left for the caller). Only the paths that hold counts and codes keep its digits.
    @inline(__always)
    private mutating func continueScalar(
        _ base: UnsafeRawPointer, from start: Int, to end: Int, facts: inout EventFacts
    ) -> Int {
        var index = start
        let keepsDigits = EventFacts.readsScalar(at: valuePath)
        while index < end {
            // Safe: index < end.
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            if Self.endsScalar(byte) {
                facts.scalarEnded(count: scalar.count, integer: scalar.integer, at: valuePath)
                valueEnded()
                return index
            }
            if keepsDigits { scalar.append(byte) }
            index &+= 1
        }
        return end
    }

    /// The offset of the quote that closes a string starting at `start`, if the slice holds it
    /// and the string has no escape before it.
    @inline(__always)
    private static func unescapedStringEnd(_ base: UnsafeRawPointer, from start: Int, to end: Int) -> Int? {
        let stop = _UnsafeByteSearch.firstIndex(of: UInt8(ascii: "\""), or: UInt8(ascii: "\\"), in: base, from: start, to: end)
        // Safe: stop < end is checked first.
        return stop < end && base.load(fromByteOffset: stop, as: UInt8.self) == UInt8(ascii: "\"") ? stop : nil
    }

    /// Skips through the contents of an unread container to its closing bracket, stepping over
    /// strings, and returns where it stopped.
    @inline(__always)
    private mutating func skip(_ base: UnsafeRawPointer, from start: Int, to end: Int) -> Int {
        var index = start
        while true {
            index = _UnsafeByteSearch.firstIndex(of: UInt8(ascii: "\""), orMaybeBracketIn: base, from: index, to: end)
            guard index < end else { return end }
            // Safe: index < end.
            let byte = base.load(fromByteOffset: index, as: UInt8.self)
            index &+= 1
            switch byte {
            case UInt8(ascii: "\""):
                lexeme = .skippedString
                index = continueUnreadString(base, from: index, to: end)
                guard lexeme == .skipping else { return index }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                skipDepth &+= 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                skipDepth &-= 1
                if skipDepth == 0 {
                    valueEnded()
                    return index
                }
            default:
                break  // `y`, `Y`, `_` or DEL, which the bracket search lets through
            }
        }
    }

    /// The document ended: a number cut off by the end still counts as read.
    mutating func end(into facts: inout EventFacts) {
        if lexeme == .scalar {
            facts.scalarEnded(count: scalar.count, integer: scalar.integer, at: valuePath)
            valueEnded()
        }
    }

    @inline(__always)
    private static func endsScalar(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"),
             UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "["):
            true
        default:
            false
        }
    }

    @inline(__always)
    private mutating func open(isObject: Bool, facts: inout EventFacts) {
        let descends = isObject ? valuePath.isObject : valuePath.isArray
        guard descends, depth < Self.frameCapacity else {
            lexeme = .skipping
            skipDepth = 1
            return
        }
        frames[depth] = Frame(path: valuePath, isObject: isObject, expectsKey: isObject)
        depth &+= 1
        facts.opened(valuePath)
        valuePath = isObject ? .ignored : valuePath.element
    }

    @inline(__always)
    private mutating func stringContent(_ run: UnsafeRawBufferPointer, facts: inout EventFacts) {
        if lexeme == .key {
            key.append(run)
        } else {
            facts.stringPiece(run, at: valuePath)
        }
    }

    /// A member name ended: the value that follows has the path it names.
    @inline(__always)
    private mutating func keyEnded(_ name: ShortName, facts: inout EventFacts) {
        lexeme = .between
        frames[depth &- 1].expectsKey = false
        valuePath = frames[depth &- 1].path.member(name)
        // Most members are on no path: skip the call for them.
        if valuePath != .ignored { facts.memberFound(valuePath) }
    }

    /// A value ended: the next one has no path until a key or a comma gives it one.
    @inline(__always)
    private mutating func valueEnded() {
        valuePath = .ignored
        lexeme = depth == 0 ? .finished : .between
    }
}
