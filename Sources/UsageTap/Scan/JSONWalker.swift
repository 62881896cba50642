internal import CUsageTapVector

/// Reads one JSON document (an event's data, or a body) for what lies on the usage paths, from
/// the block masks of the slices it arrives in.
///
/// Structure comes from the masks: a string's end is the next string edge, a container that no
/// usage path enters is passed by walking the brackets outside strings, and line ends bound an
/// event's data line. Only the bytes between tokens, keys and the values on a usage path are
/// looked at one by one. Keys are compared as raw bytes, a word at a time, against the names of
/// the current path (``UsagePath``).
///
/// Resumable: the state that survives a slice's end (the open token, the nesting, two bits of
/// string state) is a few fixed-size fields. Nesting deeper than any usage path is only counted.
/// It is lenient inside the document: it validates only what it reads, and malformed JSON at
/// worst reads as nothing. The document counts only if it is one whole value followed by
/// nothing but whitespace (``isWhole``).
struct JSONWalker: Sendable {
    private enum Lexeme: UInt8, Sendable {
        /// Between tokens: whitespace, punctuation, or the start of the next token.
        case between
        /// Inside a member name.
        case key
        /// Inside a string value a usage path keeps (a model name, a type…).
        case keptString
        /// Inside a string value no usage path reads.
        case unreadString
        /// Inside a number, literal or junk outside quotes.
        case scalar
        /// Inside a container no usage path enters: only its brackets are counted.
        case skipping
        /// The top-level value has ended, and only whitespace has followed.
        case finished
        /// Something other than whitespace followed the top-level value.
        case trailingContent
    }

    private struct Frame: Sendable {
        var path: UsagePath
        var isObject: Bool
        var expectsKey: Bool
    }

    /// Deeper than the deepest usage path (root, response, usage, details: four levels).
    private static let frameCapacity = 8

    private var lexeme = Lexeme.between
    private var frames: InlineArray<8, Frame> = .init(repeating: Frame(path: .ignored, isObject: false, expectsKey: false))
    private var depth = 0
    /// Open brackets inside the skipped container, itself included.
    private var skipDepth = 0
    /// The path of the value that comes next.
    private var valuePath = UsagePath.root
    private var key = ShortName()
    private var number = NumberToken()
    private var carry = StringCarry()

    // The run being read: the document's bytes in the cursor's current block, up to `runEnd`.
    private var runEnd = 0
    /// The run ends at a line end (an event's data line), not at the block's end.
    private var runEndsAtLine = false
    /// Line ends bound the runs (an event's data); a body runs across them.
    private var lineBounded = false
    private var runEdges: UInt64 = 0
    private var runBrackets: UInt64 = 0

    init() {}

    mutating func reset() {
        lexeme = .between
        depth = 0
        skipDepth = 0
        valuePath = .root
        carry = StringCarry()
    }

    /// The document is exactly one JSON value followed by nothing but whitespace: only then does
    /// it count. (A top-level scalar ends with the document; it never carries usage.)
    var isWhole: Bool { lexeme == .finished || (lexeme == .scalar && depth == 0) }

    /// The top-level value has been read to its end.
    var valueHasEnded: Bool { lexeme == .finished || lexeme == .trailingContent }

    /// Reads the document's bytes from `start`, in the cursor's current block, onwards: to the
    /// first line end when `lineBounded` (an event's data line), else to the slice's end.
    /// Returns where it stopped: that line end, or the slice's end.
    mutating func read(
        _ cursor: inout BlockCursor, from start: Int, lineBounded: Bool, facts: inout EventFacts
    ) -> Int {
        self.lineBounded = lineBounded
        beginRun(cursor, at: start)
        var index = start
        while true {
            if index >= runEnd {
                // The usual way out, a line end or the slice's end, without a call.
                guard !runEndsAtLine, runEnd < cursor.count, advanceRun(&cursor) else { return runEnd }
                index = cursor.blockStart
            }
            switch lexeme {
            case .between:
                index = readTokens(&cursor, from: index, facts: &facts)
            case .key:
                if let edge = nextEdge(&cursor, from: index) {
                    key.append(UnsafeRawBufferPointer(start: cursor.base + index, count: edge &- index))
                    keyEnded(key, facts: &facts)
                    index = edge &+ 1
                } else {
                    key.append(UnsafeRawBufferPointer(start: cursor.base + index, count: runEnd &- index))
                    index = runEnd
                }
            case .keptString:
                if let edge = nextEdge(&cursor, from: index) {
                    facts.stringPiece(UnsafeRawBufferPointer(start: cursor.base + index, count: edge &- index), at: valuePath)
                    facts.stringEnded(at: valuePath)
                    valueEnded()
                    index = edge &+ 1
                } else {
                    facts.stringPiece(UnsafeRawBufferPointer(start: cursor.base + index, count: runEnd &- index), at: valuePath)
                    index = runEnd
                }
            case .unreadString:
                if let edge = nextEdge(&cursor, from: index) {
                    valueEnded()
                    index = edge &+ 1
                } else {
                    index = runEnd
                }
            case .scalar:
                index = continueScalar(cursor, from: index, facts: &facts)
            case .skipping:
                index = skip(&cursor, from: index)
            case .finished:
                index = checkTrailing(cursor, from: index)
            case .trailingContent:
                index = runEnd
            }
        }
    }

    /// The LF that joins two data lines of one event: whitespace between tokens, content in a
    /// string (where it is also the byte a pending backslash escapes), the end of a scalar.
    mutating func joinLines(facts: inout EventFacts) {
        carry.escapePending = false
        var lineFeed = UInt8(ascii: "\n")
        switch lexeme {
        case .key:
            withUnsafeBytes(of: &lineFeed) { key.append($0) }
        case .keptString:
            withUnsafeBytes(of: &lineFeed) { facts.stringPiece($0, at: valuePath) }
        case .scalar:
            facts.scalarEnded(number, at: valuePath)
            valueEnded()
        case .between, .unreadString, .skipping, .finished, .trailingContent:
            break
        }
    }

    // MARK: Runs

    /// Starts a run at `start` in the cursor's current block: up to the block's end, or to the
    /// first line end after `start` when line ends bound the document.
    @inline(__always)
    private mutating func beginRun(_ cursor: BlockCursor, at start: Int) {
        let low = cursor.bit(start)
        var high = cursor.blockEnd &- cursor.blockStart
        runEndsAtLine = false
        if lineBounded {
            let lineEnds = cursor.block.pointee.line_end & .bits(from: low)
            if lineEnds != 0 {
                high = lineEnds.trailingZeroBitCount
                runEndsAtLine = true
            }
        }
        runEnd = cursor.blockStart &+ high
        guard high > low else {
            runEdges = 0
            runBrackets = 0
            return
        }
        let strings = StringMasks(cursor.block, low: low, high: high, endsAtLine: runEndsAtLine, carry: &carry)
        runEdges = strings.quotes
        runBrackets = cursor.block.pointee.bracket & ~strings.inString & .bits(from: low) & .bits(below: high)
    }

    /// Moves on to the next block when the run ended at a block's end inside the slice.
    @inline(__always)
    private mutating func advanceRun(_ cursor: inout BlockCursor) -> Bool {
        guard !runEndsAtLine, runEnd < cursor.count else { return false }
        cursor.moveTo(runEnd)
        beginRun(cursor, at: runEnd)
        return true
    }

    /// The next string edge at or after `start`, moving through blocks as needed; nil when the
    /// run ends first (at a line end or the slice's end), with `runEnd` at that end.
    @inline(__always)
    private mutating func nextEdge(_ cursor: inout BlockCursor, from start: Int) -> Int? {
        if start < runEnd {
            let edges = runEdges & .bits(from: cursor.bit(start))
            if edges != 0 { return cursor.blockStart &+ edges.trailingZeroBitCount }
        }
        return nextEdgeInLaterBlocks(&cursor)
    }

    /// The first edge of the runs after this one: the rare case, kept out of line.
    @inline(never)
    private mutating func nextEdgeInLaterBlocks(_ cursor: inout BlockCursor) -> Int? {
        while !runEndsAtLine, runEnd < cursor.count, advanceRun(&cursor) {
            if runEdges != 0 { return cursor.blockStart &+ runEdges.trailingZeroBitCount }
        }
        return nil
    }

    // MARK: Tokens

    /// Reads whole tokens from `start` until the run ends or a token is cut by it (leaving the
    /// lexeme of that token), the document's value ends, or a container is to be skipped.
    @inline(__always)
    private mutating func readTokens(_ cursor: inout BlockCursor, from start: Int, facts: inout EventFacts) -> Int {
        var index = start
        while index < runEnd {
            let byte = cursor.byte(at: index)
            switch byte {
            case UInt8(ascii: "\""):
                if depth > 0 && frames[depth &- 1].expectsKey {
                    guard let edge = nextEdge(&cursor, from: index &+ 1) else {
                        lexeme = .key
                        key.reset()
                        key.append(UnsafeRawBufferPointer(start: cursor.base + index + 1, count: runEnd &- index &- 1))
                        return runEnd
                    }
                    // Safe: the key's bytes lie between two edges inside the slice.
                    keyEnded(RawKey(cursor.base + index + 1, count: edge &- index &- 1, readable: cursor.count &- index &- 1),
                             facts: &facts)
                    index = edge &+ 1
                } else if EventFacts.capturesString(at: valuePath) {
                    guard let edge = nextEdge(&cursor, from: index &+ 1) else {
                        lexeme = .keptString
                        facts.stringPiece(UnsafeRawBufferPointer(start: cursor.base + index + 1, count: runEnd &- index &- 1), at: valuePath)
                        return runEnd
                    }
                    facts.stringPiece(UnsafeRawBufferPointer(start: cursor.base + index + 1, count: edge &- index &- 1), at: valuePath)
                    facts.stringEnded(at: valuePath)
                    valueEnded()
                    index = edge &+ 1
                } else {
                    guard let edge = nextEdge(&cursor, from: index &+ 1) else {
                        lexeme = .unreadString
                        return runEnd
                    }
                    valueEnded()
                    index = edge &+ 1
                }
            case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":"):
                index &+= 1
                continue
            case UInt8(ascii: ","):
                comma()
                index &+= 1
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                open(isObject: byte == UInt8(ascii: "{"), facts: &facts)
                index &+= 1
                if lexeme == .skipping {
                    // Most unread containers close in the same run: pass them here.
                    index = skip(&cursor, from: index)
                    if lexeme == .skipping { return index }
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                index &+= 1
                guard depth > 0 else { continue }  // a stray closer is junk
                depth &-= 1
                facts.closed(frames[depth].path)
                valueEnded()
            default:
                lexeme = .scalar
                number.reset()
                index = continueScalar(cursor, from: index, facts: &facts)
                // Cut by the run's end, or the document's value ended with it.
                guard lexeme == .between else { return index }
                // The byte that ended the scalar is read next.
                continue
            }
            guard lexeme == .between else { return index }
            // A key's colon and a value's comma nearly always follow at once: taking them here,
            // on branches that predict well, saves a trip through the switch for each.
            if index < runEnd {
                let next = cursor.byte(at: index)
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

    /// A member name ended: the value that follows has the path it names.
    @inline(__always)
    private mutating func keyEnded<Key: KeyText>(_ name: Key, facts: inout EventFacts) {
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

    /// Continues a number, literal or junk outside quotes up to the byte that ends it, which is
    /// left for the token reader. Only the paths that hold counts and codes keep its digits.
    @inline(__always)
    private mutating func continueScalar(_ cursor: BlockCursor, from start: Int, facts: inout EventFacts) -> Int {
        var index = start
        let keepsDigits = EventFacts.readsScalar(at: valuePath)
        while index < runEnd {
            let byte = cursor.byte(at: index)
            if Self.endsScalar(byte) {
                facts.scalarEnded(number, at: valuePath)
                valueEnded()
                return index
            }
            if keepsDigits { number.append(byte) }
            index &+= 1
        }
        return runEnd
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

    /// Passes the rest of an unread container by its brackets outside strings, and returns
    /// where it stopped: after its closing bracket, or at the run's end.
    @inline(__always)
    private mutating func skip(_ cursor: inout BlockCursor, from start: Int) -> Int {
        guard start < runEnd else { return runEnd }
        var brackets = runBrackets & .bits(from: cursor.bit(start))
        while brackets != 0 {
            let position = cursor.blockStart &+ brackets.trailingZeroBitCount
            // Openers `{` (7B) and `[` (5B) have bit 1 set, closers `}` (7D) and `]` (5D) clear.
            let opens = cursor.byte(at: position) & 2 != 0
            skipDepth &+= opens ? 1 : -1
            if skipDepth == 0 {
                valueEnded()
                return position &+ 1
            }
            brackets &= brackets &- 1
        }
        return runEnd
    }

    /// After the top-level value: whitespace is allowed, anything else makes the document not
    /// one whole value.
    @inline(__always)
    private mutating func checkTrailing(_ cursor: BlockCursor, from start: Int) -> Int {
        var index = start
        while index < runEnd {
            switch cursor.byte(at: index) {
            case 0x20, 0x09, 0x0A, 0x0D:
                index &+= 1
            default:
                lexeme = .trailingContent
                return runEnd
            }
        }
        return runEnd
    }
}
