/// What one JSON document (an event's data, or a whole body) said on the paths the tap reads.
///
/// Key order in JSON is free, so nothing here is interpreted while the document is read: a
/// `type` may come after the `usage` it qualifies. The protocol readers decide what counts
/// once the event is dispatched.
///
/// Fixed size, and cleared in one store: each fact is valid only while its bit in `found` is
/// set, and a fact's storage is cleared when its member is found (where a key repeats, the last
/// one counts), not when an event starts. Events far outnumber the facts they carry.
@_spi(Reference) public struct EventFacts: Sendable {
    /// Which facts this document has given so far.
    private var found = Found()

    private var type = ShortName()
    private var object = ShortName()
    private var outputItemType = ShortName()
    private var model = CapturedString()
    private var responseModel = CapturedString()
    private var messageModel = CapturedString()
    private var modelVersion = CapturedString()
    private(set) var code = CodeCapture()
    private var counts: InlineArray<5, CountSlots> = .init(repeating: CountSlots())
    private var errors: InlineArray<2, ErrorCapture> = .init(repeating: ErrorCapture())
    private var webSearchCalls: InlineArray<2, Int> = .init(repeating: 0)

    /// One bit per fact.
    private struct Found: Sendable {
        var bits: UInt64 = 0

        static let isObject = 0, isClosed = 1, typeIsString = 2, objectIsString = 3
        static let choices = 4, candidates = 5, usageMetadata = 6, finishReason = 7
        static let model = 8, responseModel = 9, messageModel = 10, modelVersion = 11, code = 12
        /// Plus the group: the group's usage member was found this document, and was an object
        /// (its slots are then valid).
        static let countsObject = 16
        /// Plus the owner: the error member was found this document, and was an object.
        static let errorObject = 32
        /// Plus the owner: the `output` array was found (its web search count is valid).
        static let output = 36
        static let outputItemType = 38

        @inline(__always) subscript(bit: Int) -> Bool {
            get { bits & (1 &<< UInt64(bit)) != 0 }
            set { if newValue { bits |= 1 &<< UInt64(bit) } else { bits &= ~(1 &<< UInt64(bit)) } }
        }
    }

    /// Paths (bit `raw`, below 64) whose members no reader will use any more in this stream: the
    /// tally sets it once the protocol, and the model, are known, so that the walker passes those
    /// values unread instead of capturing them in every event. Not cleared by ``reset()``.
    private(set) var unwanted: UInt64 = 0

    /// Paths (bit `raw`, below 64) of the usage objects whose closing brace the walker stops at,
    /// for a cost to be added to them (``UsageTap/readUntilUsage(_:)``); 0 when it never stops.
    /// Set by the tally; not cleared by ``reset()``.
    var stopsAt: UInt64 = 0

    @inline(__always) @_spi(Reference) public init() {}

    /// Marks the paths no reader of `apiProtocol` (nil: not known yet) will use; with `hasModel`,
    /// the model paths too.
    mutating func setUnwanted(for apiProtocol: APIProtocol?, hasModel: Bool) {
        guard let apiProtocol else {
            unwanted = 0
            return
        }
        // Detection's members: needed only until the protocol is known.
        var paths = UsagePath.set(.object, .choices)
        if hasModel { paths |= UsagePath.set(.model, .responseModel, .messageModel, .modelVersion) }
        // Anthropic's `cache_creation`, for every other protocol.
        let cacheCreation = UsagePath.set(.usageCacheCreation, .messageUsageCacheCreation)
        switch apiProtocol {
        case .chat:
            paths |= UsagePath.set(.type, .code, .candidates, .response, .message, .output(.root), .usage(.usageMetadata)) | cacheCreation
        case .responses:
            paths |= UsagePath.set(.candidates, .message, .xGroq, .output(.root), .usage(.usage), .usage(.usageMetadata)) | cacheCreation
        case .messages:
            paths |= UsagePath.set(.code, .candidates, .response, .xGroq, .output(.root), .usage(.usageMetadata))
        case .gemini:
            paths |= UsagePath.set(.type, .code, .response, .message, .xGroq, .output(.root), .usage(.usage), .error(.root)) | cacheCreation
        }
        unwanted = paths
    }

    @inline(__always)
    @_spi(Reference) public mutating func reset() {
        found = Found()
    }

    // MARK: Read by the protocol readers

    /// The document is a JSON object, and whether its closing brace was seen.
    var isObject: Bool { found[Found.isObject] }
    var isClosed: Bool { found[Found.isClosed] }
    var hasChoices: Bool { found[Found.choices] }
    var hasFinishReason: Bool { found[Found.finishReason] }
    /// `candidates` or `usageMetadata`, which only Gemini sends.
    var hasGeminiMembers: Bool { found[Found.candidates] || found[Found.usageMetadata] }
    var typeName: ShortName? { found[Found.typeIsString] ? type : nil }
    var objectName: ShortName? { found[Found.objectIsString] ? object : nil }

    /// The model at `path` (one of the four model paths), if this document named one.
    func model(at path: UsagePath) -> CapturedString? {
        switch path {
        case .model: found[Found.model] ? model : nil
        case .responseModel: found[Found.responseModel] ? responseModel : nil
        case .messageModel: found[Found.messageModel] ? messageModel : nil
        default: found[Found.modelVersion] ? modelVersion : nil
        }
    }

    /// The group's usage member was an object in this document.
    func hasUsageObject(_ group: CountGroup) -> Bool { found[Found.countsObject &+ group.rawValue] }
    /// The group's slots; valid when ``hasUsageObject(_:)``.
    subscript(group: CountGroup) -> CountSlots { counts[group.rawValue] }

    /// The owner's error member was an object in this document.
    func hasErrorObject(_ owner: UsagePath.ErrorOwner) -> Bool { found[Found.errorObject &+ owner.rawValue] }
    /// The owner's error; valid when ``hasErrorObject(_:)``.
    subscript(owner: UsagePath.ErrorOwner) -> ErrorCapture { errors[owner.rawValue] }

    /// The web search calls in the owner's `output` array (0 when it had none).
    subscript(owner: UsagePath.OutputOwner) -> Int {
        found[Found.output &+ owner.rawValue] ? webSearchCalls[owner.rawValue] : 0
    }

    /// The top-level `code`, as an error value.
    var codeValue: CapturedString? { found[Found.code] ? code.value : nil }

    // MARK: Called by the scanner as it reads

    /// A member with this path was found. Where a key repeats, the last one counts, so each
    /// occurrence clears what an earlier one said.
    @_spi(Reference) public mutating func memberFound(_ path: UsagePath) {
        switch path.raw {
        case UsagePath.model.raw: model.reset(); found[Found.model] = true
        case UsagePath.responseModel.raw: responseModel.reset(); found[Found.responseModel] = true
        case UsagePath.messageModel.raw: messageModel.reset(); found[Found.messageModel] = true
        case UsagePath.modelVersion.raw: modelVersion.reset(); found[Found.modelVersion] = true
        case UsagePath.type.raw: type.reset(); found[Found.typeIsString] = false
        case UsagePath.object.raw: object.reset(); found[Found.objectIsString] = false
        case UsagePath.code.raw: code.reset(); found[Found.code] = true
        case UsagePath.choices.raw: found[Found.choices] = true
        case UsagePath.candidates.raw: found[Found.candidates] = true
        default:
            if let group = path.usageGroup {
                counts[group.rawValue].reset()
                found[Found.countsObject &+ group.rawValue] = false
                if group == .usageMetadata { found[Found.usageMetadata] = true }
            } else if let (group, field) = path.countSlot {
                // Present, whatever its value: anything but a valid count is 0.
                counts[group].set(field, to: 0)
            } else if path.isError {
                let owner = path.errorOwner.rawValue
                errors[owner].reset()
                found[Found.errorObject &+ owner] = false
            } else if path.isErrorCode {
                errors[path.errorOwner.rawValue].code.reset()
            } else if path.isErrorType {
                errors[path.errorOwner.rawValue].type.reset()
                errors[path.errorOwner.rawValue].typeIsString = false
            } else if path.isOutput {
                webSearchCalls[path.outputOwner.rawValue] = 0
                found[Found.output &+ path.outputOwner.rawValue] = true
            }
        }
    }

    @_spi(Reference) public mutating func opened(_ path: UsagePath) {
        if path == .root {
            found[Found.isObject] = true
        } else if let group = path.usageGroup {
            found[Found.countsObject &+ group.rawValue] = true
        } else if path.isError {
            found[Found.errorObject &+ path.errorOwner.rawValue] = true
        } else if path.isOutputItem {
            outputItemType.reset()
            found[Found.outputItemType] = true
        }
    }

    @_spi(Reference) public mutating func closed(_ path: UsagePath) {
        if path == .root {
            found[Found.isClosed] = true
        } else if path.isOutputItem, found[Found.outputItemType], outputItemType == Names.webSearchCall {
            webSearchCalls[path.outputOwner.rawValue] += 1
        }
    }

    /// Whether the string value at `path` is kept; the others are skipped unread.
    @_spi(Reference) public static func capturesString(at path: UsagePath) -> Bool { path.capturesString }

    /// Whether a number or literal at `path` is read; the others are skipped unread.
    @_spi(Reference) public static func readsScalar(at path: UsagePath) -> Bool { path.readsScalar }

    @_spi(Reference) public mutating func stringPiece(_ run: UnsafeRawBufferPointer, at path: UsagePath) {
        switch path.raw {
        case UsagePath.model.raw: model.append(run)
        case UsagePath.responseModel.raw: responseModel.append(run)
        case UsagePath.messageModel.raw: messageModel.append(run)
        case UsagePath.modelVersion.raw: modelVersion.append(run)
        case UsagePath.type.raw: type.append(run)
        case UsagePath.object.raw: object.append(run)
        case UsagePath.code.raw: code.text.append(run)
        default:
            if path.isErrorCode {
                errors[path.errorOwner.rawValue].code.text.append(run)
            } else if path.isErrorType {
                errors[path.errorOwner.rawValue].type.append(run)
            } else if path.isOutputItemType {
                outputItemType.append(run)
            }
        }
    }

    @_spi(Reference) public mutating func stringEnded(at path: UsagePath) {
        switch path.raw {
        case UsagePath.type.raw: found[Found.typeIsString] = true
        case UsagePath.object.raw: found[Found.objectIsString] = true
        case UsagePath.code.raw: code.kind = .string
        case UsagePath.finishReason.raw: found[Found.finishReason] = true
        default:
            if path.isErrorCode {
                errors[path.errorOwner.rawValue].code.kind = .string
            } else if path.isErrorType {
                errors[path.errorOwner.rawValue].typeIsString = true
            }
        }
    }

    @inline(__always)
    mutating func scalarEnded(_ token: NumberToken, at path: UsagePath) {
        scalarEnded(count: token.count, integer: token.integer, at: path)
    }

    /// A scalar at `path` ended: `count` is its value as a usage count, `integer` as an integer
    /// error code (nil if it is none).
    @_spi(Reference) public mutating func scalarEnded(count: @autoclosure () -> Int64, integer: @autoclosure () -> Int64?, at path: UsagePath) {
        if let (group, field) = path.countSlot {
            counts[group].set(field, to: count())
        } else if path == .code {
            if let integer = integer() { code.setInteger(integer) }
        } else if path.isErrorCode {
            if let integer = integer() { errors[path.errorOwner.rawValue].code.setInteger(integer) }
        }
    }
}
