internal import COpenSSL

/// A customer's API key for the proxy: `ut-` and 40 random characters.
///
/// Only its SHA-256 is stored. A key has 40 × log2(62) ≈ 238 bits of entropy from the system's
/// CSPRNG (`getrandom`, through `SystemRandomNumberGenerator`), so an unsalted fast hash is
/// the right tool: nobody can guess a key from its digest, and lookups stay one index probe.
public enum CustomerKey {
    public static let prefix = "ut-"
    static let randomLength = 40
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new key, to be shown once.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        // Uniform: `random(in:)` rejects the values that would bias the modulo.
        let characters = (0..<randomLength).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return prefix + String(decoding: characters, as: UTF8.self)
    }

    /// The lowercase hex SHA-256 of the key's bytes: what the ledger stores and looks up.
    public static func digest(of key: some StringProtocol) -> String {
        var hash = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var text = String(key)
        text.withUTF8 { bytes in _ = SHA256(bytes.baseAddress, bytes.count, &hash) }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: hash.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    /// A label that identifies the key in listings without revealing it: the prefix and the
    /// first four random characters.
    public static func label(of key: String) -> String {
        String(key.prefix(prefix.count + 4)) + "…"
    }
}
