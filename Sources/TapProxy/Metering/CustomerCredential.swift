import NIOHTTP1

/// How a client presented its key, which also decides the shape of the errors it gets back.
enum AuthStyle: Sendable {
    /// `Authorization: Bearer KEY`: OpenAI-style error bodies.
    case bearer
    /// `x-api-key: KEY`: Anthropic-style error bodies.
    case apiKey
}

/// The customer key a request carries, if any, and how it was carried.
struct CustomerCredential {
    var key: Substring?
    var style: AuthStyle

    /// Reads `x-api-key` first (Anthropic's clients send only that), else a Bearer token.
    init(_ headers: HTTPHeaders) {
        if let apiKey = headers.first(name: "x-api-key") {
            key = Self.nonEmpty(apiKey[...])
            style = .apiKey
            return
        }
        style = .bearer
        guard let authorization = headers.first(name: "authorization") else { return }
        let scheme = authorization.prefix(while: { $0 != " " })
        guard scheme.lowercased() == "bearer" else { return }
        key = Self.nonEmpty(authorization.dropFirst(scheme.count).drop(while: { $0 == " " }))
    }

    /// Takes every customer credential out of headers about to go upstream.
    static func remove(from headers: inout HTTPHeaders) {
        headers.remove(name: "authorization")
        headers.remove(name: "x-api-key")
    }

    private static func nonEmpty(_ text: Substring) -> Substring? {
        let trimmed = text.drop(while: { $0 == " " || $0 == "\t" })
        return trimmed.isEmpty ? nil : trimmed
    }
}

/// The credential the proxy sends upstream in place of the customer's key.
public enum UpstreamCredential: Sendable {
    case bearer(String)
    case apiKey(String)

    /// Adds this credential to headers that carry none (see ``CustomerCredential/remove(from:)``).
    func add(to headers: inout HTTPHeaders) {
        switch self {
        case .bearer(let token): headers.add(name: "authorization", value: "Bearer " + token)
        case .apiKey(let key): headers.add(name: "x-api-key", value: key)
        }
    }
}
