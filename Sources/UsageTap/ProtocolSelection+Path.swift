extension ProtocolSelection {
    /// The protocol a request's target names, read from its path alone (the query is ignored).
    ///
    /// Gateways often put a prefix before the provider's own path (`/openai/v1/chat/completions`),
    /// so the path's end decides: `…/chat/completions`, `…/responses`, `…/messages`, and Gemini's
    /// `…:streamGenerateContent` / `…:generateContent`. Any other path is read with `auto`. The
    /// target is compared as UTF-8 bytes: a proxy asks for every request.
    public init(requestTarget target: UnsafeBufferPointer<UInt8>) {
        let path = UnsafeBufferPointer(rebasing: target[..<(target.firstIndex(of: UInt8(ascii: "?")) ?? target.endIndex)])
        if path.hasSuffix("/chat/completions") {
            self = .chat
        } else if path.hasSuffix("/responses") {
            self = .responses
        } else if path.hasSuffix("/messages") {
            self = .messages
        } else if path.hasSuffix(":streamGenerateContent") || path.hasSuffix(":generateContent") {
            self = .gemini
        } else {
            self = .auto
        }
    }
}

private extension UnsafeBufferPointer<UInt8> {
    func hasSuffix(_ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard self.count >= count else { return false }
        return self[(self.count - count)...].elementsEqual(UnsafeBufferPointer(start: suffix.utf8Start, count: count))
    }
}
