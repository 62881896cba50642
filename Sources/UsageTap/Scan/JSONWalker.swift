internal import CUsageTapVector

/// Reads one JSON document (an event's data, or a body) for what lies on the usage paths, from
/// the block masks of the slices it arrives in.
///
/// Structure comes from the masks: a string's end is the next string edge, a container that no
/// usage path enters is passed by its brackets outside strings, and line ends bound an event's
/// data line. Only the bytes between tokens, and the values on a usage path, are looked at one
/// by one. Keys are compared where they lie, a word at a time, against the names of the current
/// path (``UsagePath``).
///
/// Resumable: the state that survives a slice's end (the open token, the nesting, the string
/// state) is a few fixed-size fields. Nesting deeper than any usage path is only counted. It is
/// lenient inside the document: it validates only what it reads, and malformed JSON at worst
/// reads as nothing. The document counts only if it is one whole value followed by nothing but
/// whitespace (``isWhole``).
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

    /// Deeper than the deepest usage path (root, response, usage, details: four levels).
    private static let frameCapacity = 8

    private var lexeme = Lexeme.between
    /// The path of each open container the walker entered, outermost first.
    private var paths: InlineArray<8, UsagePath> = .init(repeating: .ignored)
    /// Bit d: the container at depth d is an object.
    private var objects: UInt8 = 0
    /// Bit d: the container at depth d expected a member name when the one inside it opened
    /// (malformed JSON such as `{{}"usage":…}`), restored when that one closes.
    private var keysExpected: UInt8 = 0
    private var depth = 0
    /// The innermost container is an object whose next token is a member name.
    private var expectsKey = false
    /// Open brackets inside the skipped container, itself included.
    private var skipDepth = 0
    /// The path of the value that comes next.
    private var valuePath = UsagePath.root
    private var key = ShortName()
    private var number = NumberToken()
    private var strings = StringView()

    // The run being read: the document's bytes in the cursor's current block, up to `runEnd`.
    private var runEnd = 0
    /// The run ends at a line end (an event's data line), not at the block's end.
    private var runEndsAtLine = false
    /// Line ends bound the runs (an event's data); a body runs across them.
    private var lineBounded = false
    private var runEdges: UInt64 = 0
    /// Openers and closers outside strings.
    private var runOpeners: UInt64 = 0
    private var runClosers: UInt64 = 0

    /// Where it stopped in the slice it was reading, at the brace of a usage object on one of
    /// `facts.stopsAt`'s paths, until the tap takes it.
    private(set) var stop: UsageObjectEnd.Brace?

    @inline(__always) init() {}

    mutating func reset() {
        lexeme = .between
        depth = 0
        expectsKey = false
        skipDepth = 0
        valuePath = .root
        strings.reset()
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
                guard !runEndsAtLine, runEnd < cursor.count else { break }
                advanceRun(&cursor)
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
        if runEndsAtLine { strings.endLine() }
        return runEnd
    }

    /// Takes the stop the walker made, to go on after the brace as if a slice had ended there:
    /// between tokens, so outside any string.
    mutating func takeStop() -> UsageObjectEnd.Brace? {
        guard let taken = stop else { return nil }
        stop = nil
        strings.reset()
        return taken
    }

    /// A slice this short may be taken whole by ``readStringTail(_:facts:)``.
    static let shortTail = 8

    /// A few bytes (a slice of one-byte slices and the like) inside a string, none of them a
    /// quote, a backslash or a line end: they add to the string or key being read and change
    /// nothing else, with no block to frame and no run to set up. False, with nothing read,
    /// for anything else.
    @inline(__always)
    mutating func readStringTail(_ bytes: UnsafeRawBufferPointer, facts: inout EventFacts) -> Bool {
        switch lexeme {
        case .key, .keptString, .unreadString, .skipping:
            guard strings.isPlainlyInString else { return false }
        case .between, .scalar, .finished, .trailingContent:
            return false
        }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D: return false
            default: continue
            }
        }
        switch lexeme {
        case .key: key.append(bytes)
        case .keptString: facts.stringPiece(bytes, at: valuePath)
        default: break
        }
        return true
    }

    /// The LF that joins two data lines of one event: whitespace between tokens, content in a
    /// string (where it is also the byte a pending backslash escapes), the end of a scalar.
    mutating func joinLines(facts: inout EventFacts) {
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
        // Line ends from `low` on; low < 64.
        let lineEnds = cursor.block.pointee.line_end & (~0 &<< UInt64(low))
        if lineBounded && lineEnds != 0 {
            high = lineEnds.trailingZeroBitCount
            runEndsAtLine = true
        } else {
            runEndsAtLine = false
        }
        runEnd = cursor.blockStart &+ high
        guard high > low else {
            runEdges = 0
            runOpeners = 0
            runClosers = 0
            return
        }
        (runEdges, runOpeners, runClosers) = strings.masks(cursor, low: low, high: high)
    }

    /// Moves on to the next block, where the run ended at a block's end inside the slice.
    @inline(__always)
    private mutating func advanceRun(_ cursor: inout BlockCursor) {
        assert(!runEndsAtLine && runEnd < cursor.count && runEnd == cursor.blockStart &+ 64)
        cursor.moveToNextBlock()
        if strings.isPlainlyInString, cursor.block.pointee.quote == 0 {
            // A long text: its blocks of nothing but string content hold nothing to read.
            cursor.passStringContent(lineBounded: lineBounded)
        }
        beginRun(cursor, at: cursor.blockStart)
    }

    /// The next string edge at or after `start`, moving through blocks as needed; nil when the
    /// run ends first (at a line end or the slice's end), with `runEnd` at that end.
    @inline(__always)
    private mutating func nextEdge(_ cursor: inout BlockCursor, from start: Int) -> Int? {
        if start < runEnd {
            // start < runEnd, so its bit is below 64.
            let edges = runEdges & (~0 &<< UInt64(cursor.bit(start)))
            if edges != 0 { return cursor.blockStart &+ edges.trailingZeroBitCount }
        }
        return nextEdgeInLaterBlocks(&cursor)
    }

    /// The first edge of the runs after this one: the rare case, kept out of line.
    @inline(never)
    private mutating func nextEdgeInLaterBlocks(_ cursor: inout BlockCursor) -> Int? {
        while !runEndsAtLine, runEnd < cursor.count {
            advanceRun(&cursor)
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
                let quote = index
                guard let edge = nextEdge(&cursor, from: quote &+ 1) else {
                    return stringCut(cursor, at: quote, facts: &facts)
                }
                index = edge &+ 1
                if expectsKey {
                    // Safe: the key's bytes lie between two edges inside the slice.
                    keyEnded(RawKey(cursor.base + quote + 1, count: edge &- quote &- 1, readable: cursor.count &- quote &- 1),
                             facts: &facts)
                    // A key's colon nearly always follows at once.
                    if index < runEnd, cursor.byte(at: index) == UInt8(ascii: ":") { index &+= 1 }
                    continue
                }
                if valuePath.capturesString {
                    facts.stringPiece(UnsafeRawBufferPointer(start: cursor.base + quote + 1, count: edge &- quote &- 1), at: valuePath)
                    facts.stringEnded(at: valuePath)
                }
                valueEnded()
            case 0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ":"):
                index &+= 1
                continue
            case UInt8(ascii: ","):
                comma()
                index &+= 1
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                index &+= 1
                if open(isObject: byte == UInt8(ascii: "{"), facts: &facts) { continue }
                // Most unread containers close in the same run: pass them here.
                index = skip(&cursor, from: index)
                if lexeme == .skipping { return index }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                index &+= 1
                guard depth > 0 else { continue }  // a stray closer is junk
                // An object whose next token would be a key is empty (or ends in a comma).
                let endsOpen = expectsKey
                close(facts: &facts)
                if paths[depth].isIn(facts.stopsAt), byte == UInt8(ascii: "}") {
                    stop = UsageObjectEnd.Brace(offset: index &- 1, membersBefore: !endsOpen)
                    // The run ends here, as at a line end: the slice is read no further.
                    runEnd = index
                    runEndsAtLine = true
                    return index
                }
            default:
                if depth > 0, valuePath.readsScalar, let (value, end) = plainInteger(cursor, from: index) {
                    // The usual count or code: a plain integer, whole in the run.
                    facts.scalarEnded(count: value, integer: value, at: valuePath)
                    valueEnded()
                    index = end
                } else if valuePath.readsScalar || depth == 0 {
                    lexeme = .scalar
                    number.reset()
                    index = continueScalar(cursor, from: index, facts: &facts)
                    // Cut by the run's end, or the document's value ended with it.
                    guard lexeme == .between else { return index }
                    // The byte that ended the scalar is read next.
                    continue
                } else {
                    index = passScalar(cursor, from: index)
                    guard index < runEnd else {
                        lexeme = .scalar
                        return index
                    }
                    valueEnded()
                }
            }
            // After a value: the top-level one may have ended; else a comma nearly always follows.
            guard depth > 0 else { return index }
            if index < runEnd, cursor.byte(at: index) == UInt8(ascii: ",") {
                comma()
                index &+= 1
            }
        }
        return index
    }

    /// A string whose closing edge is not in this run: the rest of the run is its start.
    @inline(never)
    private mutating func stringCut(_ cursor: BlockCursor, at index: Int, facts: inout EventFacts) -> Int {
        let content = UnsafeRawBufferPointer(start: cursor.base + index + 1, count: runEnd &- index &- 1)
        if expectsKey {
            lexeme = .key
            key.reset()
            key.append(content)
        } else if valuePath.capturesString {
            lexeme = .keptString
            facts.stringPiece(content, at: valuePath)
        } else {
            lexeme = .unreadString
        }
        return runEnd
    }

    /// A comma: in an object the next token is a key; in an array, the next element.
    @inline(__always)
    private mutating func comma() {
        guard depth > 0 else { return }
        if objects & (1 &<< UInt8(truncatingIfNeeded: depth &- 1)) != 0 {
            expectsKey = true
            valuePath = .ignored
        } else {
            valuePath = paths[depth &- 1].element
        }
    }

    /// An opening bracket: enters the container if a usage path goes in (returns true), else
    /// starts skipping it.
    @inline(__always)
    private mutating func open(isObject: Bool, facts: inout EventFacts) -> Bool {
        let descends = isObject ? valuePath.isObject : valuePath.isArray
        guard descends, depth < Self.frameCapacity else {
            lexeme = .skipping
            skipDepth = 1
            return false
        }
        paths[depth] = valuePath
        let bit: UInt8 = 1 &<< UInt8(truncatingIfNeeded: depth)
        objects = isObject ? objects | bit : objects & ~bit
        if depth > 0 {
            let parent = bit &>> 1
            keysExpected = expectsKey ? keysExpected | parent : keysExpected & ~parent
        }
        depth &+= 1
        facts.opened(valuePath)
        expectsKey = isObject
        valuePath = isObject ? .ignored : valuePath.element
        return true
    }

    /// A closing bracket of an entered container.
    @inline(__always)
    private mutating func close(facts: inout EventFacts) {
        depth &-= 1
        facts.closed(paths[depth])
        expectsKey = depth > 0 && keysExpected & (1 &<< UInt8(truncatingIfNeeded: depth &- 1)) != 0
        valueEnded()
    }

    /// A member name ended: the value that follows has the path it names.
    @inline(__always)
    private mutating func keyEnded<Key: KeyText>(_ name: Key, facts: inout EventFacts) {
        lexeme = .between
        expectsKey = false
        let path = paths[depth &- 1].member(name)
        // Most members are on no path, or on one this stream's readers no longer use: skip the
        // call for them.
        guard path != .ignored, !path.isIn(facts.unwanted) else {
            valuePath = .ignored
            return
        }
        valuePath = path
        facts.memberFound(path)
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
        let keepsDigits = valuePath.readsScalar
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

    /// The value of a plain non-negative JSON integer of at most 18 digits (below 2^63 either
    /// way) starting at `start`, and the offset of the byte after it, when that byte ends a
    /// scalar inside the run: what `NumberToken` would give as both a count and an integer.
    /// Nil for anything else (a sign, a fraction, an exponent, a leading zero, junk, a cut), which
    /// `NumberToken` reads a byte at a time.
    @inline(__always)
    private func plainInteger(_ cursor: BlockCursor, from start: Int) -> (value: Int64, end: Int)? {
        var index = start
        var value: Int64 = 0
        while index < runEnd {
            let digit = cursor.byte(at: index) &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            value = value &* 10 &+ Int64(digit)
            index &+= 1
        }
        let digits = index &- start
        guard digits > 0, digits <= 18, index < runEnd, Self.endsScalar(cursor.byte(at: index)),
              digits == 1 || cursor.byte(at: start) != UInt8(ascii: "0")
        else { return nil }
        return (value, index)
    }

    /// Passes a scalar no path reads, inside a container: returns the offset of the byte that
    /// ends it, or the run's end.
    @inline(__always)
    private func passScalar(_ cursor: BlockCursor, from start: Int) -> Int {
        var index = start &+ 1
        while index < runEnd, !Self.endsScalar(cursor.byte(at: index)) { index &+= 1 }
        return index
    }

    /// Whitespace, `,`, `:`, `"` and brackets end a scalar: one bit test against a constant for
    /// the bytes below 64, one for those from 64 to 127.
    @inline(__always)
    private static func endsScalar(_ byte: UInt8) -> Bool {
        // TAB LF CR SPACE " , :
        let low: UInt64 = 1 << 0x09 | 1 << 0x0A | 1 << 0x0D | 1 << 0x20 | 1 << 0x22 | 1 << 0x2C | 1 << 0x3A
        // [ ] { }
        let high: UInt64 = 1 << (0x5B - 64) | 1 << (0x5D - 64) | 1 << (0x7B - 64) | 1 << (0x7D - 64)
        guard byte < 128 else { return false }
        return (byte < 64 ? low : high) &>> UInt64(byte & 63) & 1 != 0
    }

    /// Passes the rest of an unread container by its brackets outside strings, through as many
    /// blocks as it takes, and returns where it stopped: after its closing bracket, or where the
    /// line or the slice ends.
    @inline(__always)
    private mutating func skip(_ cursor: inout BlockCursor, from start: Int) -> Int {
        guard start < runEnd else { return runEnd }
        // start < runEnd, so its bit is below 64.
        let from: UInt64 = ~0 &<< UInt64(cursor.bit(start))
        if let end = skipBrackets(cursor, openers: runOpeners & from, closers: runClosers & from) { return end }
        while !runEndsAtLine, runEnd < cursor.count {
            advanceRun(&cursor)
            if let end = skipBrackets(cursor, openers: runOpeners, closers: runClosers) { return end }
        }
        return runEnd
    }

    /// Counts the brackets of one run (bits a popcount would take in software: Swift's baseline
    /// x86-64 has no POPCNT): the offset after the one that closes the skipped container, or nil.
    @inline(__always)
    private mutating func skipBrackets(_ cursor: BlockCursor, openers: UInt64, closers: UInt64) -> Int? {
        var brackets = openers | closers
        while brackets != 0 {
            let bit = brackets.trailingZeroBitCount
            if closers &>> UInt64(bit) & 1 != 0 {
                skipDepth &-= 1
                if skipDepth == 0 {
                    valueEnded()
                    return cursor.blockStart &+ bit &+ 1
                }
            } else {
                skipDepth &+= 1
            }
            brackets &= brackets &- 1
        }
        return nil
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
