import NIOCore

/// How many streams an HTTP/2 client may cancel (reset, or leave by closing them before their
/// responses end): a token bucket holding `burst` tokens, refilled at `perSecond`. A client
/// that cancels faster than that is abusing the connection (HTTP/2 Rapid Reset,
/// CVE-2023-44487): each cancelled stream may have cost an upstream request.
struct ResetBudget {
    private let burst: Double
    private let perSecond: Double
    private var tokens: Double
    private var refilled: NIODeadline
    /// Streams cancelled on this connection so far.
    private(set) var spent = 0

    init(burst: Int, perSecond: Int, now: NIODeadline = .now()) {
        self.burst = Double(max(burst, 1))
        self.perSecond = Double(max(perSecond, 0))
        tokens = self.burst
        refilled = now
    }

    /// Takes a token for one cancelled stream; false when there is none left.
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
