/// Accumulates a generated stream's bytes and counts its dispatched events.
struct StreamBuilder {
    private(set) var bytes: [UInt8] = []
    private(set) var events = 0
    let lineEnd: String

    init(capacity: Int, lineEnd: String = "\n") {
        bytes.reserveCapacity(capacity + 64 * 1024)
        self.lineEnd = lineEnd
    }

    var count: Int { bytes.count }

    /// An event with an optional `event:` line and one `data:` line.
    mutating func event(_ name: String? = nil, data: String) {
        if let name { bytes += Array("event: \(name)\(lineEnd)".utf8) }
        bytes += Array("data: \(data)\(lineEnd)\(lineEnd)".utf8)
        events += 1
    }

    /// A comment line, which proxies and providers send as keep-alives.
    mutating func comment(_ text: String) {
        bytes += Array(":\(text)\(lineEnd)".utf8)
    }
}
