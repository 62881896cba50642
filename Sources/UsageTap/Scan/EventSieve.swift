internal import CUsageTapVector

/// Tells, from its raw bytes alone, that an event cannot change the record, so that its JSON
/// need not be walked at all.
///
/// Once a stream's protocol is known, its reader uses an event only for a few names: chat
/// chunks only for a `usage` object, `x_groq` or `error` (and `model`, until one is known);
/// Responses events only when their `type` is `response.completed`, `.incomplete`, `.failed` or
/// `error` (and `response`, for the model); Anthropic's only for `message_start`,
/// `message_delta`, `message_stop` and `error`; Gemini's only for `finishReason` (and
/// `modelVersion`, until a model is known), and for their `usageMetadata`. Every Gemini chunk
/// carries its usage so far, but a chunk's usage replaces the usage of all the chunks before it:
/// the sieve passes chunks with usage, and the framer then reads the usage of the last one
/// passed. A member or `type` with one of those names has that name as a JSON
/// string, between two quotes, in the raw bytes: keys and values are compared as raw bytes, so
/// an escaped name is not the name. An event whose data holds none of them, as a string
/// starting at a quote, leaves the record as it was, whatever else it holds, so the tap passes
/// it by its line ends. (`"usage":null`, which OpenAI sends in every chunk, is no usage object.)
///
/// Stage 1 marks the quotes before the letters those names start with (`candidate`: those of e f
/// m r u x that the stream's protocol needs), each compared in place; a block with no candidate
/// and no line end is passed a test each. The sieve is only an answer of "cannot matter": any
/// candidate it cannot rule out sends the event to the walker.
struct EventSieve: Sendable {
    private let apiProtocol: APIProtocol
    /// A model is known already: the names that carry one no longer matter.
    private let hasModel: Bool

    /// The letters the names that matter start with: stage 1 marks the quotes before them.
    let letters: ut_lead_set

    /// The sieve for a stream of `apiProtocol`.
    init(for apiProtocol: APIProtocol, hasModel: Bool) {
        self.apiProtocol = apiProtocol
        self.hasModel = hasModel
        letters = switch apiProtocol {
        case .chat: hasModel ? UT_LEADS_CHAT : UT_LEADS_CHAT_MODEL
        case .responses: UT_LEADS_RESPONSES
        case .messages: UT_LEADS_MESSAGES
        case .gemini: hasModel ? UT_LEADS_GEMINI : UT_LEADS_GEMINI_MODEL
        }
    }

    /// Reads the data line whose value starts at `start`, moving the cursor through its blocks:
    /// its line end, if the line ends in the slice and its value holds no name that matters.
    /// Nil otherwise, and the caller rewinds the cursor to read the line.
    @inline(__always)
    func passableLineEnd(_ cursor: inout BlockCursor, from start: Int) -> Int? {
        cursor.moveTo(start)
        // The bits from `start` on; its bit is below 64.
        var from: UInt64 = ~0 &<< UInt64(truncatingIfNeeded: cursor.bit(start))
        while true {
            // Safe: the cursor's current block, valid while the cursor is.
            let block = cursor.block.pointee
            let lineEnds = block.line_end & from
            // The candidates before the line end, or in the whole block.
            var candidates = block.candidate & from
            if lineEnds != 0 { candidates &= (lineEnds &- 1) & ~lineEnds }
            while candidates != 0 {
                let quote = cursor.blockStart &+ candidates.trailingZeroBitCount
                if matters(cursor.base, count: cursor.count, at: quote &+ 1) { return nil }
                candidates &= candidates &- 1
            }
            if lineEnds != 0 { return cursor.blockStart &+ lineEnds.trailingZeroBitCount }
            // Blocks with neither are passed a load and a test each.
            guard cursor.moveToNextMarkedBlock() else { return nil }
            from = ~0
        }
    }

    /// Whether the string starting at `start` (after its opening quote) of the slice at `base`
    /// may be one of the names that matter. Its first four bytes pick the name it could be
    /// (most candidates are none); that name is then compared whole, with its closing quote.
    /// Near the slice's end it may be anything.
    @inline(__always)
    private func matters(_ base: UnsafeRawPointer, count: Int, at start: Int) -> Bool {
        guard start &+ 8 <= count else { return true }
        // Safe: eight bytes from `start` lie inside the slice.
        let word = UInt64(littleEndian: (base + start).loadUnaligned(as: UInt64.self))
        let prefix = UInt32(truncatingIfNeeded: word)
        // Four bytes, first lowest: "usag" "x_gr" "erro" "mode" "resp" "mess" "fini".
        switch (apiProtocol, prefix) {
        case (.chat, 0x6761_7375):
            return Self.named(Names.usage, word) && !Self.isNull(base, count: count, after: start &+ Names.usage.count)
        case (.chat, 0x7267_5F78): return Self.named(Names.x_groq, word)
        case (.chat, 0x6F72_7265), (.responses, 0x6F72_7265), (.messages, 0x6F72_7265):
            return Self.named(Names.error, word)
        case (.chat, 0x6564_6F6D): return !hasModel && Self.named(Names.model, word)
        case (.responses, 0x7073_6572):
            // "response", then a quote (the key) or a dot and the kind of event.
            guard word == Names.response.word(0), start &+ 13 <= count else { return false }
            // Safe: start + 13 <= count.
            switch base.load(fromByteOffset: start &+ 8, as: UInt8.self) {
            case UInt8(ascii: "\""): return !hasModel
            case UInt8(ascii: "."):
                // Safe: the four bytes after the dot lie inside the slice.
                switch UInt32(littleEndian: (base + start + 9).loadUnaligned(as: UInt32.self)) {
                case 0x706D_6F63: return Self.named(Names.responseCompleted, base, count: count, at: start)  // "comp"
                case 0x6F63_6E69: return Self.named(Names.responseIncomplete, base, count: count, at: start)  // "inco"
                case 0x6C69_6166: return Self.named(Names.responseFailed, base, count: count, at: start)  // "fail"
                default: return false
                }
            default: return false
            }
        case (.gemini, 0x696E_6966): return Self.named(Names.finishReason, base, count: count, at: start)
        case (.gemini, 0x6564_6F6D): return !hasModel && Self.named(Names.modelVersion, base, count: count, at: start)
        case (.messages, 0x7373_656D):
            return Self.named(Names.messageStart, base, count: count, at: start)
                || Self.named(Names.messageDelta, base, count: count, at: start)
                || Self.named(Names.messageStop, base, count: count, at: start)
        default: return false
        }
    }

    /// `name` (at most seven bytes) and its closing quote in `word`, the eight bytes at hand.
    @inline(__always)
    private static func named(_ name: ShortName, _ word: UInt64) -> Bool {
        assert(name.count < 8)
        let quoted = name.word(0) | UInt64(UInt8(ascii: "\"")) &<< UInt64(name.count &* 8)
        let bytes = UInt64(name.count &+ 1) &* 8
        return bytes == 64 ? word == quoted : word & ((1 &<< bytes) &- 1) == quoted
    }

    /// `name` and its closing quote at `start`.
    private static func named(_ name: ShortName, _ base: UnsafeRawPointer, count: Int, at start: Int) -> Bool {
        let available = count &- start
        // Safe: `available` bytes from `start` lie inside the slice; the quote's, when name.count < available.
        return name.count < available && ShortName(base + start, count: name.count, readable: available) == name
            && base.load(fromByteOffset: start &+ name.count, as: UInt8.self) == UInt8(ascii: "\"")
    }

    /// `:null` right after the closing quote at `quote`.
    @inline(__always)
    private static func isNull(_ base: UnsafeRawPointer, count: Int, after quote: Int) -> Bool {
        guard quote &+ 6 <= count else { return false }
        // ":null", first byte lowest; safe: the five bytes after `quote` lie inside the slice.
        let word = UInt64(UInt32(littleEndian: (base + quote + 1).loadUnaligned(as: UInt32.self)))
            | UInt64(base.load(fromByteOffset: quote &+ 5, as: UInt8.self)) &<< 32
        return word == 0x6C_6C75_6E3A
    }
}
