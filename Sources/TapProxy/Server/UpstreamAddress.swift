/// The upstream named by `--upstream`: `http://` or `https://`, a host, a port, and an optional
/// path prefix put before every request's path.
public struct UpstreamAddress: Sendable, Equatable, CustomStringConvertible {
    public var isSecure: Bool
    public var host: String
    public var port: Int
    /// Empty, or a path starting with `/` and not ending with one.
    public var pathPrefix: String

    public struct InvalidAddress: Error, CustomStringConvertible {
        public var text: String
        public var description: String { "not an http:// or https:// URL with a host: \(text)" }
    }

    public init(_ text: String) throws {
        var rest: Substring
        switch text.lowercased() {
        case let lower where lower.hasPrefix("http://"):
            isSecure = false
            rest = text.dropFirst(7)
        case let lower where lower.hasPrefix("https://"):
            isSecure = true
            rest = text.dropFirst(8)
        default:
            throw InvalidAddress(text: text)
        }
        let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var path = String(rest[pathStart...])
        rest = rest[..<pathStart]
        if let queryStart = path.firstIndex(of: "?") { path = String(path[..<queryStart]) }
        while path.hasSuffix("/") { path.removeLast() }
        pathPrefix = path

        let hostText: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw InvalidAddress(text: text) }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw InvalidAddress(text: text) }
        } else if let colon = rest.lastIndex(of: ":") {
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            hostText = rest
        }
        guard !hostText.isEmpty else { throw InvalidAddress(text: text) }
        host = String(hostText)
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else { throw InvalidAddress(text: text) }
            self.port = port
        } else {
            port = isSecure ? 443 : 80
        }
    }

    /// The value of `:authority` and `Host`: the port is left out when it is the scheme's own.
    public var authority: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return port == (isSecure ? 443 : 80) ? hostPart : "\(hostPart):\(port)"
    }

    public var scheme: String { isSecure ? "https" : "http" }

    public var description: String { "\(scheme)://\(authority)\(pathPrefix)" }
}
