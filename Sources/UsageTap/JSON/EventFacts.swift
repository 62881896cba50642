/// What one JSON document (an event's data, or a whole body) said on the paths the tap reads.
///
/// Key order in JSON is free, so nothing here is interpreted while the document is read: a
/// `type` may come after the `usage` it qualifies. The protocol readers decide what counts
/// once the event is dispatched. Fixed size; `reset()` only clears flags and lengths.
@_spi(Reference) public struct EventFacts: Sendable {
    /// The document is a JSON object, and whether its closing brace was seen.
    var isObject = false
    var isClosed = false

    var type = ShortName()
    var typeIsString = false
    var object = ShortName()
    var objectIsString = false
    var hasChoices = false
    var hasCandidates = false
    var hasUsageMetadata = false
    var hasFinishReason = false

    var model = CapturedString()
    var responseModel = CapturedString()
    var messageModel = CapturedString()
    var modelVersion = CapturedString()
    var code = CodeCapture()

    var counts: InlineArray<5, CountSlots> = .init(repeating: CountSlots())
    var errors: InlineArray<2, ErrorCapture> = .init(repeating: ErrorCapture())
    var webSearchCalls: InlineArray<2, Int> = .init(repeating: 0)
    private var outputItemType = ShortName()

    @_spi(Reference) public mutating func reset() {
        isObject = false
        isClosed = false
        type.reset()
        typeIsString = false
        object.reset()
        objectIsString = false
        hasChoices = false
        hasCandidates = false
        hasUsageMetadata = false
        hasFinishReason = false
        model.reset()
        responseModel.reset()
        messageModel.reset()
        modelVersion.reset()
        code.reset()
        for group in 0..<counts.count { counts[group].reset() }
        errors[0].reset()
        errors[1].reset()
        webSearchCalls[0] = 0
        webSearchCalls[1] = 0
    }

    subscript(group: CountGroup) -> CountSlots { counts[group.rawValue] }
    subscript(owner: UsagePath.ErrorOwner) -> ErrorCapture { errors[owner.rawValue] }
    subscript(owner: UsagePath.OutputOwner) -> Int { webSearchCalls[owner.rawValue] }

    // MARK: Called by the scanner as it reads

    /// A member with this path was found. Where a key repeats, the last one counts, so each
    /// occurrence clears what an earlier one said.
    @_spi(Reference) public mutating func memberFound(_ path: UsagePath) {
        switch path {
        case .model: model.reset()
        case .responseModel: responseModel.reset()
        case .messageModel: messageModel.reset()
        case .modelVersion: modelVersion.reset()
        case .type: type.reset(); typeIsString = false
        case .object: object.reset(); objectIsString = false
        case .code: code.reset()
        case .choices: hasChoices = true
        case .candidates: hasCandidates = true
        case .usage(let group):
            counts[group.rawValue].reset()
            if group == .usageMetadata { hasUsageMetadata = true }
        case .count(let group, let field):
            // Present, whatever its value: anything but a valid count is 0.
            counts[group.rawValue].set(field, to: 0)
        case .error(let owner): errors[owner.rawValue].reset()
        case .errorCode(let owner): errors[owner.rawValue].code.reset()
        case .errorType(let owner): errors[owner.rawValue].type.reset(); errors[owner.rawValue].typeIsString = false
        case .output(let owner): webSearchCalls[owner.rawValue] = 0
        default: break
        }
    }

    @_spi(Reference) public mutating func opened(_ path: UsagePath) {
        switch path {
        case .root: isObject = true
        case .usage(let group): counts[group.rawValue].isObject = true
        case .error(let owner): errors[owner.rawValue].isObject = true
        case .outputItem: outputItemType.reset()
        default: break
        }
    }

    @_spi(Reference) public mutating func closed(_ path: UsagePath) {
        switch path {
        case .root: isClosed = true
        case .outputItem(let owner): if outputItemType == Names.webSearchCall { webSearchCalls[owner.rawValue] += 1 }
        default: break
        }
    }

    /// Whether the string value at `path` is kept; the others are skipped unread.
    @_spi(Reference) public static func capturesString(at path: UsagePath) -> Bool {
        switch path {
        case .model, .responseModel, .messageModel, .modelVersion, .type, .object, .code,
             .errorCode, .errorType, .outputItemType, .finishReason: true
        default: false
        }
    }

    /// Whether a number or literal at `path` is read; the others are skipped unread.
    @_spi(Reference) public static func readsScalar(at path: UsagePath) -> Bool {
        switch path {
        case .count, .code, .errorCode: true
        default: false
        }
    }

    @_spi(Reference) public mutating func stringPiece(_ run: UnsafeRawBufferPointer, at path: UsagePath) {
        switch path {
        case .model: model.append(run)
        case .responseModel: responseModel.append(run)
        case .messageModel: messageModel.append(run)
        case .modelVersion: modelVersion.append(run)
        case .type: type.append(run)
        case .object: object.append(run)
        case .code: code.text.append(run)
        case .errorCode(let owner): errors[owner.rawValue].code.text.append(run)
        case .errorType(let owner): errors[owner.rawValue].type.append(run)
        case .outputItemType: outputItemType.append(run)
        default: break
        }
    }

    @_spi(Reference) public mutating func stringEnded(at path: UsagePath) {
        switch path {
        case .type: typeIsString = true
        case .object: objectIsString = true
        case .code: code.kind = .string
        case .errorCode(let owner): errors[owner.rawValue].code.kind = .string
        case .errorType(let owner): errors[owner.rawValue].typeIsString = true
        case .finishReason: hasFinishReason = true
        default: break
        }
    }

    @inline(__always)
    mutating func scalarEnded(_ token: NumberToken, at path: UsagePath) {
        scalarEnded(count: token.count, integer: token.integer, at: path)
    }

    /// A scalar at `path` ended: `count` is its value as a usage count, `integer` as an integer
    /// error code (nil if it is none).
    @_spi(Reference) public mutating func scalarEnded(count: @autoclosure () -> Int64, integer: @autoclosure () -> Int64?, at path: UsagePath) {
        switch path {
        case .count(let group, let field): counts[group.rawValue].set(field, to: count())
        case .code: if let integer = integer() { code.setInteger(integer) }
        case .errorCode(let owner): if let integer = integer() { errors[owner.rawValue].code.setInteger(integer) }
        default: break
        }
    }

    // MARK: Read by the protocol readers

    var typeName: ShortName? { typeIsString ? type : nil }
    /// `candidates` or `usageMetadata`, which only Gemini sends.
    var hasGeminiMembers: Bool { hasCandidates || hasUsageMetadata }
    var objectName: ShortName? { objectIsString ? object : nil }
}
