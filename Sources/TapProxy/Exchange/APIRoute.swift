import UsageTap

/// Which protocol a request's response speaks, read from the request path alone.
///
/// Gateways often put a prefix before the provider's own path (`/openai/v1/chat/completions`),
/// so the path's end decides: `…/chat/completions`, `…/responses`, `…/messages`, and Gemini's
/// `…:streamGenerateContent` / `…:generateContent`. Any other path is read with `auto`.
enum APIRoute {
    static func protocolSelection(forPath target: Substring) -> ProtocolSelection {
        let path = target.firstIndex(of: "?").map { target[..<$0] } ?? target
        if path.hasSuffix("/chat/completions") { return .chat }
        if path.hasSuffix("/responses") { return .responses }
        if path.hasSuffix("/messages") { return .messages }
        if path.hasSuffix(":streamGenerateContent") || path.hasSuffix(":generateContent") { return .gemini }
        return .auto
    }
}
