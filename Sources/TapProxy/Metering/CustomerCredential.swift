
/// How a client presented its key, which also decides the shape of the errors it gets back.
enum AuthStyle: Sendable {
    /// `Authorization: Bearer KEY`: OpenAI-style error bodies.
    case bearer
    /// `x-api-key: KEY`: Anthropic-style error bodies.
    case apiKey
}

/// The customer key a request carries, if any, and how it was carried.
///
/// Read for every metered request, so it works on UTF-8 bytes rather than characters.
struct CustomerCredential {
    var key: Substring?
    var style: AuthStyle

    /// Reads `x-api-key` first (Anthropic's clients send only that), else a Bearer token.
    init(_ fields: HeaderFields) {
        self.init(apiKey: fields.withValue(of: "x-api-key") { $0.map { String(decoding: $0, as: UTF8.self) } },
                  authorization: fields.withValue(of: "authorization") { $0.map { String(decoding: $0, as: UTF8.self) } })
    }

    private init(apiKey: String?, authorization: String?) {
        if let apiKey {
            key = Self.nonEmpty(apiKey[...])
            style = .apiKey
            return
        }
        style = .bearer
        guard let authorization = authorization?[...],
              let space = authorization.utf8.firstIndex(of: UInt8(ascii: " ")),
              Self.isBearer(authorization.utf8[..<space])
        else { return }
        key = Self.nonEmpty(authorization[space...])
    }

    /// Takes every customer credential out of headers about to go upstream.
    static func remove(from fields: inout HeaderFields) {
        fields.remove("authorization")
        fields.remove("x-api-key")
    }

    /// The scheme name is case-insensitive (RFC 9110, section 11.1).
    private static func isBearer(_ scheme: Substring.UTF8View) -> Bool {
        // Setting bit 5 lowercases an ASCII letter, and "bearer" is all letters.
        scheme.elementsEqual("bearer".utf8) { $0 | 0x20 == $1 }
    }

    /// The text without its leading blanks, or nil when nothing else is there.
    private static func nonEmpty(_ text: Substring) -> Substring? {
        guard let start = text.utf8.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else {
            return nil
        }
        return text[start...]
    }
}

/// The credential the proxy sends upstream in place of the customer's key: one header, made
/// once when the proxy starts.
public struct UpstreamCredential: Sendable {
    let name: String
    let value: String

    public static func bearer(_ token: String) -> UpstreamCredential {
        UpstreamCredential(name: "authorization", value: "Bearer " + token)
    }

    public static func apiKey(_ key: String) -> UpstreamCredential {
        UpstreamCredential(name: "x-api-key", value: key)
    }

    /// Adds this credential to headers that carry none (see ``CustomerCredential/remove(from:)``).
    func add(to fields: inout HeaderFields) {
        fields.append(name: name, value: value)
    }
}
