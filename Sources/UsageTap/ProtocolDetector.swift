/// Tells the protocol from the first event (or the body) that says which it is.
enum ProtocolDetector {
    private static let messagesEventTypes = [
        Names.messageStart, Names.messageDelta, Names.messageStop,
        Names.contentBlockStart, Names.contentBlockDelta, Names.ping,
    ]

    /// The protocol an event decides, or nil if it decides none (the next one may).
    static func protocolOfEvent(_ facts: borrowing EventFacts, dataIsDone: Bool) -> APIProtocol? {
        if dataIsDone { return .chat }
        guard facts.isObject else { return nil }
        if let type = facts.typeName {
            if type.hasPrefix(Names.responsePrefix) { return .responses }
            if messagesEventTypes.contains(type) { return .messages }
        }
        if facts.objectName == Names.chatCompletionChunk { return .chat }
        if facts.hasChoices { return .chat }
        return facts.hasGeminiMembers ? .gemini : nil
    }

    /// The protocol of a non-streaming body, or nil when it is none of the four.
    static func protocolOfBody(_ facts: borrowing EventFacts) -> APIProtocol? {
        guard facts.isObject else { return nil }
        if facts.objectName == Names.chatCompletion { return .chat }
        if facts.objectName == Names.response { return .responses }
        if facts.typeName == Names.message { return .messages }
        return facts.hasGeminiMembers ? .gemini : nil
    }
}
