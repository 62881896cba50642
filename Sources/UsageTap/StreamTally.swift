/// What a stream has said so far, across its events: the state behind the ``UsageRecord``.
///
/// The protocol readers (one file each under `Readers/`) fold each dispatched event's
/// ``EventFacts`` into it. Strings stay raw bytes until a record is asked for.
@_spi(Reference) public struct StreamTally: Sendable {
    /// What the event (or body) being read says. It lives here, beside the state it is folded
    /// into, so that the readers use it in place: passed as an argument, its 3 KB were copied
    /// to the stack on every event.
    @_spi(Reference) public var facts = EventFacts()
    var apiProtocol: APIProtocol?
    var finished = false
    var tokens: TokenCounts? {
        didSet { usageReads &+= 1 }
    }
    /// How many times a reader has taken usage: a preview tells by it whether the document's
    /// usage counts.
    private var usageReads: UInt32 = 0
    /// Gemini's usage from the last chunk passed by its structure, newer than `tokens` while kept.
    var geminiUsageCopy = GeminiUsageCopy()
    var webSearchRequests: Int64 = 0
    /// Anthropic's counts as reported, before they are folded into `tokens`.
    var messagesUsage: MessagesUsage?
    private var model = CapturedString()
    private(set) var hasModel = false
    private var error = CapturedString()
    private var hasError = false

    /// Which events cannot change the record, once the protocol is known (events only).
    private(set) var sieve: EventSieve?
    /// Whether the walker stops at the usage objects a reader may count, for a cost to be added
    /// to them: Gemini's chunks are then all walked, none passed by the sieve.
    private var stopsAtUsage = false
    /// What `facts.unwanted` and `sieve` were last set for: events only (a body's reader needs
    /// other paths).
    private var unwantedFor: (apiProtocol: APIProtocol?, hasModel: Bool) = (nil, false)

    @inline(__always) @_spi(Reference) public init(apiProtocol: APIProtocol?) {
        self.apiProtocol = apiProtocol
    }

    /// Takes the document's model at `path` as the model unless one was already taken: the
    /// first non-empty wins. (Asked only while there is none, so that a model is copied out of
    /// the facts only until one is taken.)
    @inline(__always)
    mutating func adoptModel(at path: UsagePath) {
        guard !hasModel, let candidate = facts.model(at: path), !candidate.isEmpty else { return }
        model = candidate
        hasModel = true
    }

    /// The last error reported wins.
    mutating func setError(_ value: CapturedString) {
        error = value
        hasError = true
    }

    @inline(__always) @_spi(Reference) public var record: UsageRecord {
        let tokens = geminiUsageCopy.tokens ?? tokens
        return UsageRecord(
            apiProtocol: apiProtocol,
            model: hasModel ? model.decoded() : nil,
            finished: finished,
            error: hasError ? error.decoded() : nil,
            inputTokens: tokens.map { Int($0.input) },
            outputTokens: tokens.map { Int($0.output) },
            totalTokens: tokens.map { Int($0.total) },
            cachedInputTokens: tokens.map { Int($0.cachedInput) },
            cacheWriteTokens: tokens.map { Int($0.cacheWrite) },
            cacheWrite1hTokens: tokens.map { Int($0.cacheWriteOneHour) },
            reasoningTokens: tokens.map { Int($0.reasoning) },
            webSearchRequests: Int(webSearchRequests)
        )
    }

    // MARK: Dispatch to the protocol readers

    @_spi(Reference) public mutating func readEvent(dataIsDone: Bool) {
        if apiProtocol == nil { apiProtocol = ProtocolDetector.protocolOfEvent(facts, dataIsDone: dataIsDone) }
        switch apiProtocol {
        case .chat: readChatEvent(dataIsDone: dataIsDone)
        case .responses: readResponsesEvent()
        case .messages: readMessagesEvent()
        case .gemini: readGeminiEvent()
        case nil: readUnrecognised()
        }
        if unwantedFor != (apiProtocol, hasModel) {
            unwantedFor = (apiProtocol, hasModel)
            facts.setUnwanted(for: apiProtocol, hasModel: hasModel)
            if stopsAtUsage { facts.stopsAt = Self.usageObjects(of: apiProtocol, inBody: false) }
            // The sieve never passes an event whose usage counts, but for Gemini's chunks, whose
            // usage is kept by their structure alone: a tap that stops at usage objects walks
            // those.
            sieve = stopsAtUsage && apiProtocol == .gemini ? nil : apiProtocol.map { EventSieve(for: $0, hasModel: hasModel) }
        }
    }

    // MARK: Stopping at usage objects

    /// From now on the walker stops at the closing brace of each usage object a reader of this
    /// input (events, or a body) may count.
    mutating func stopAtUsage(inBody: Bool) {
        stopsAtUsage = true
        facts.stopsAt = Self.usageObjects(of: apiProtocol, inBody: inBody)
    }

    /// The paths of the usage objects that carry a protocol's usage as it stands (bits by `raw`):
    /// each protocol's own, or all of them while the protocol is not known. Anthropic's
    /// `message_start` usage is not one: a `message_delta` follows it.
    private static func usageObjects(of apiProtocol: APIProtocol?, inBody: Bool) -> UInt64 {
        switch apiProtocol {
        case .chat: return UsagePath.set(.usage(.usage), .usage(.groqUsage))
        case .messages: return UsagePath.set(.usage(.usage))
        case .responses: return UsagePath.set(.usage(inBody ? .usage : .responseUsage))
        case .gemini: return UsagePath.set(.usage(.usageMetadata))
        case nil:
            return inBody ? UsagePath.set(.usage(.usage), .usage(.usageMetadata))
                : UsagePath.set(.usage(.usage), .usage(.groqUsage), .usage(.responseUsage), .usage(.usageMetadata))
        }
    }

    /// The record as it would stand if the document being read (an event's data, or a body)
    /// ended now, when its reader would take the usage it holds so far; nil when it would not.
    func recordIfDocumentEnded(inBody: Bool) -> UsageRecord? {
        var preview = self
        if inBody { preview.readBody() } else { preview.readEvent(dataIsDone: false) }
        return preview.usageReads != usageReads ? preview.record : nil
    }

    /// A whole JSON body, read up to its end or to the end of the input.
    @_spi(Reference) public mutating func readBody() {
        if apiProtocol == nil { apiProtocol = ProtocolDetector.protocolOfBody(facts) }
        switch apiProtocol {
        case .chat: readChatEvent(dataIsDone: false)
        case .responses: readResponsesBody()
        case .messages: readMessagesBody()
        case .gemini: readGeminiEvent()
        case nil: readUnrecognised()
        }
        // A body has no terminal event: a complete one counts as finished.
        finished = facts.isClosed
    }

    /// Nothing is known of the protocol, but an error object at the top is still worth keeping.
    private mutating func readUnrecognised() {
        if facts.hasErrorObject(.root) { setError(facts[UsagePath.ErrorOwner.root].value) }
    }
}

/// The seven counts of a record, once a stream has reported usage.
struct TokenCounts: Sendable, Equatable {
    var input: Int64 = 0
    var output: Int64 = 0
    var total: Int64 = 0
    var cachedInput: Int64 = 0
    var cacheWrite: Int64 = 0
    var reasoning: Int64 = 0
    /// The part of `cacheWrite` written to a one-hour cache (Anthropic's only).
    var cacheWriteOneHour: Int64 = 0

    /// The reported total, else input + output (saturating: counts are each below 2^63, but
    /// their sum need not be).
    static func total(reported: Int64?, input: Int64, output: Int64) -> Int64 {
        reported ?? input.saturatingAdd(output)
    }
}

extension TokenCounts {
    /// The counts of an OpenAI-style usage object, which reports each of the six directly.
    init(_ usage: CountSlots, fields: UsageFields) {
        input = usage[fields.input] ?? 0
        output = usage[fields.output] ?? 0
        total = Self.total(reported: usage[fields.total], input: input, output: output)
        cachedInput = usage[fields.cachedInput] ?? 0
        cacheWrite = usage[fields.cacheWrite] ?? 0
        reasoning = usage[fields.reasoning] ?? 0
    }
}

/// Which field of an OpenAI-style usage object holds each of the six counts it can report (the
/// one-hour cache writes are Anthropic's alone).
struct UsageFields: Sendable {
    var input, output, total, cachedInput, cacheWrite, reasoning: CountField
}

extension Int64 {
    /// The sum, or `Int64.max` where it would overflow (counts are each below 2^63; a sum of
    /// them need not be). Package-wide: pricing adds counts too.
    package func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
