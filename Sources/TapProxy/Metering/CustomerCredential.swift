
/// How a client presented its key, which also decides the shape of the errors it gets back.
enum AuthStyle: Sendable {
    /// `Authorization: Bearer KEY`: OpenAI-style error bodies.
    case bearer
    /// `x-api-key: KEY`: Anthropic-style error bodies.
    case apiKey
}

/// The customer key a request carries, if any, and how it was carried.
///
/// Read for every metered request, so it works on the header's bytes where they lie: no
/// `String` is made of a key the proxy already knows.
enum CustomerCredential {
    /// Calls `body` with the key's bytes (nil when the request carries none), valid for the
    /// call, and the way it was carried. Reads `x-api-key` first (Anthropic's clients send only
    /// that), else a Bearer token.
    static func withKey<R>(in fields: HeaderFields, _ body: (UnsafeRawBufferPointer?, AuthStyle) -> R) -> R {
        fields.withValue(of: "x-api-key") { apiKey in
            if let apiKey { return body(nonEmpty(apiKey), .apiKey) }
            return fields.withValue(of: "authorization") { authorization in body(authorization.flatMap(bearerToken), .bearer) }
        }
    }

    /// Takes every customer credential out of headers about to go upstream.
    static func remove(from fields: inout HeaderFields) {
        fields.remove("authorization")
        fields.remove("x-api-key")
    }

    /// The token of `Bearer TOKEN`; the scheme name is case-insensitive (RFC 9110, 11.1).
    private static func bearerToken(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let space = value.firstIndex(of: UInt8(ascii: " ")),
              ASCIICase.equal(UnsafeRawBufferPointer(rebasing: value[..<space]), lowercase: "bearer")
        else { return nil }
        return nonEmpty(UnsafeRawBufferPointer(rebasing: value[space...]))
    }

    /// The bytes without their leading blanks, or nil when nothing else is there.
    private static func nonEmpty(_ text: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let start = text.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else {
            return nil
        }
        return UnsafeRawBufferPointer(rebasing: text[start...])
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
