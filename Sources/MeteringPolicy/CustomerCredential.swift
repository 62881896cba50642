/// How a client presented its key, which also decides the shape of the errors it gets back.
package enum AuthStyle: Sendable {
    /// `Authorization: Bearer KEY`: OpenAI-style error bodies.
    case bearer
    /// `x-api-key: KEY`: Anthropic-style error bodies.
    case apiKey
}

/// The customer key a request carries, if any, and how it was carried.
///
/// Read for every metered request, so it works on the header's bytes where they lie: no
/// `String` is made of a key the proxy already knows.
package enum CustomerCredential {
    /// The header fields a key may come in, lowercase: every one is taken out of a request before
    /// it goes upstream.
    package static let fieldNames: [StaticString] = ["x-api-key", "authorization"]

    /// The key's bytes (nil when the request carries none) and the way it was carried, from the
    /// values of the request's `x-api-key` and `authorization` fields. `x-api-key` is read first
    /// (Anthropic's clients send only that), else a Bearer token.
    package static func key(apiKey: UnsafeRawBufferPointer?, authorization: UnsafeRawBufferPointer?)
        -> (key: UnsafeRawBufferPointer?, style: AuthStyle)
    {
        if let apiKey { return (nonEmpty(apiKey), .apiKey) }
        return (authorization.flatMap(bearerToken), .bearer)
    }

    /// The token of `Bearer TOKEN`; the scheme name is case-insensitive (RFC 9110, 11.1).
    private static func bearerToken(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard let space = value.firstIndex(of: UInt8(ascii: " ")), space == 6,
              // Setting bit 5 lowercases an ASCII letter, and "bearer" is all letters.
              zip(value[..<space], "bearer".utf8).allSatisfy({ $0 | 0x20 == $1 })
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
    package let name: String
    package let value: String

    public static func bearer(_ token: String) -> UpstreamCredential {
        UpstreamCredential(name: "authorization", value: "Bearer " + token)
    }

    public static func apiKey(_ key: String) -> UpstreamCredential {
        UpstreamCredential(name: "x-api-key", value: key)
    }
}
