/// How an exchange ended, as the usage log says it.
public enum Outcome: String, Sendable {
    /// The upstream's response reached its end and was forwarded whole.
    case completed
    /// The client went away (closed, reset its stream) before the response ended.
    case clientCancelled = "client_cancelled"
    /// The upstream could not be reached, or broke off its response.
    case upstreamFailed = "upstream_failed"
    /// The proxy answered itself and sent nothing upstream (no key, a bad key, no balance).
    case refused
    /// The proxy answered a request meant for it (`GET /v1/usage`).
    case answered
}
