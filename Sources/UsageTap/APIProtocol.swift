/// The LLM APIs whose usage the tap reads.
public enum APIProtocol: String, Sendable, Hashable, CaseIterable {
    /// OpenAI Chat Completions, and the many APIs that copy it (Groq, DeepSeek, Mistral, OpenRouter…).
    case chat
    /// OpenAI Responses.
    case responses
    /// Anthropic Messages.
    case messages
    /// Google Gemini `generateContent` / `streamGenerateContent`.
    case gemini
}

/// Which protocol a ``UsageTap`` reads: one named up front, or the first event that tells.
public enum ProtocolSelection: Sendable, Hashable {
    case auto
    case chat
    case responses
    case messages
    case gemini

    /// The protocol named up front, or nil for ``auto``.
    public var fixed: APIProtocol? {
        switch self {
        case .auto: nil
        case .chat: .chat
        case .responses: .responses
        case .messages: .messages
        case .gemini: .gemini
        }
    }

    public init(_ fixed: APIProtocol?) {
        switch fixed {
        case nil: self = .auto
        case .chat: self = .chat
        case .responses: self = .responses
        case .messages: self = .messages
        case .gemini: self = .gemini
        }
    }
}
