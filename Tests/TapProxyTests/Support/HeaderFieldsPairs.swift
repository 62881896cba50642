@testable import TapProxy

/// Header fields for tests, from and to `name: value` pairs.
extension HeaderFields {
    init(_ pairs: [(String, String)]) {
        self.init()
        for (name, value) in pairs { append(name: name, value: value) }
    }

    /// Each field as `name: value`, in order.
    var lines: [String] {
        var lines: [String] = []
        forEach { lines.append(String(decoding: $0, as: UTF8.self) + ": " + String(decoding: $1, as: UTF8.self)) }
        return lines
    }
}
