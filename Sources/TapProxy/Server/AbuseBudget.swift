import NIOCore

/// How often a client may do something that costs the proxy work and gives it nothing, on one
/// connection: a token bucket holding `burst` tokens, refilled at `perSecond`. Beyond it the
/// client is abusing the connection. HTTP/2 clients have two: streams cancelled (each may have
/// cost an upstream request: HTTP/2 Rapid Reset, CVE-2023-44487), and DATA frames that carry
/// nothing (an empty-DATA flood).
struct AbuseBudget {
    private let burst: Double
    private let perSecond: Double
    private var tokens: Double
    private var refilled: NIODeadline
    /// Tokens asked for on this connection so far.
    private(set) var spent = 0

    init(burst: Int, perSecond: Int, now: NIODeadline = .now()) {
        self.burst = Double(max(burst, 1))
        self.perSecond = Double(max(perSecond, 0))
        tokens = self.burst
        refilled = now
    }

    /// Takes a token; false when there is none left.
    mutating func spend(now: NIODeadline = .now()) -> Bool {
        let seconds = Double((now - refilled).nanoseconds) / 1e9
        tokens = min(burst, tokens + seconds * perSecond)
        refilled = now
        spent += 1
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
