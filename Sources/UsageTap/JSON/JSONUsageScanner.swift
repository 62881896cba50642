import EventStream

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
struct JSONUsageScanner: Sendable {
    private enum Lexeme: UInt8, Sendable {
        /// Between tokens: whitespace, punctuation, or the start of the next token.
        case between
        /// Inside a member name.
        case key
        /// Inside a string value on a usage path (kept if the path captures strings).
        case string
        /// Inside a number, literal or junk outside quotes.
        case scalar
        /// Inside a container no usage path enters: only brackets and strings are tracked.
        case skipping
        /// Inside a string within a skipped container.
        case skippedString
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
    private var scalar = ScalarToken()

    init() {}

    mutating func reset() {
        lexeme = .between
        escaped = false
        depth = 0
        skipDepth = 0
        valuePath = .root
    }

    /// The document's top-level value has been read to its end.
    var isFinished: Bool { lexeme == .finished }

    /// Reads the next slice of the document.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, into facts: inout EventFacts) {
        guard let base = bytes.baseAddress else { return }
        let end = bytes.count
        var index = 0
        // Safe throughout: every load is at an index checked against `end`, and every run
        // handed on lies inside `bytes`.
        while index < end {
            switch lexeme {
            case .finished:
                return
            case .between:
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                index &+= 1
                between(byte, facts: &facts)
            case .key, .string, .skippedString:
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
                    stringContent(UnsafeRawBufferPointer(start: base + index, count: stop - index), facts: &facts)
                }
                guard stop < end else { return }
                index = stop &+ 1
                if base.load(fromByteOffset: stop, as: UInt8.self) == UInt8(ascii: "\\") {
                    stringContent(UnsafeRawBufferPointer(start: base + stop, count: 1), facts: &facts)
                    escaped = true
                } else {
                    stringEnded(facts: &facts)
                }
            case .scalar:
                while index < end {
                    let byte = base.load(fromByteOffset: index, as: UInt8.self)
                    if Self.endsScalar(byte) {
                        facts.scalarEnded(scalar, at: valuePath)
                        valueEnded()
                        break
                    }
                    scalar.append(byte)
                    index &+= 1
                }
            case .skipping:
                while index < end {
                    let byte = base.load(fromByteOffset: index, as: UInt8.self)
                    index &+= 1
                    if byte == UInt8(ascii: "\"") {
                        lexeme = .skippedString
                        break
                    } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                        skipDepth &+= 1
                    } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                        skipDepth &-= 1
                        if skipDepth == 0 {
                            valueEnded()
                            break
                        }
                    }
                }
            }
        }
    }

    /// The document ended: a number cut off by the end still counts as read.
    mutating func end(into facts: inout EventFacts) {
        if lexeme == .scalar {
            facts.scalarEnded(scalar, at: valuePath)
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

    private mutating func between(_ byte: UInt8, facts: inout EventFacts) {
        switch byte {
        case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":"):
            break
        case UInt8(ascii: "\""):
            if depth > 0 && frames[depth &- 1].expectsKey {
                lexeme = .key
                key.reset()
            } else {
                lexeme = .string
            }
        case UInt8(ascii: "{"):
            open(isObject: true, facts: &facts)
        case UInt8(ascii: "["):
            open(isObject: false, facts: &facts)
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            guard depth > 0 else { break }  // a stray closer is junk
            depth &-= 1
            facts.closed(frames[depth].path)
            valueEnded()
        case UInt8(ascii: ","):
            guard depth > 0 else { break }
            if frames[depth &- 1].isObject {
                frames[depth &- 1].expectsKey = true
                valuePath = .ignored
            } else {
                valuePath = frames[depth &- 1].path.element
            }
        default:
            lexeme = .scalar
            scalar.reset()
            scalar.append(byte)
        }
    }

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
        switch lexeme {
        case .key: key.append(run)
        case .string: facts.stringPiece(run, at: valuePath)
        default: break
        }
    }

    private mutating func stringEnded(facts: inout EventFacts) {
        switch lexeme {
        case .key:
            lexeme = .between
            frames[depth &- 1].expectsKey = false
            valuePath = frames[depth &- 1].path.member(key)
            facts.memberFound(valuePath)
        case .string:
            facts.stringEnded(at: valuePath)
            valueEnded()
        default:
            lexeme = .skipping
        }
    }

    /// A value ended: the next one has no path until a key or a comma gives it one.
    @inline(__always)
    private mutating func valueEnded() {
        valuePath = .ignored
        lexeme = depth == 0 ? .finished : .between
    }
}
