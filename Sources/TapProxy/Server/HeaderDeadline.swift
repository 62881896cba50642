import NIOCore

/// One connection's header timeout (slowloris; ``ProxyLimits/headerTimeout``): armed while the
/// client has begun something it must finish before a request can start (a TLS handshake, the
/// HTTP/2 preface, an HTTP/1.1 request head, an HTTP/2 header block), cancelled once that is
/// whole. What normally comes in one read never arms it.
struct HeaderDeadline {
    private var timer: Scheduled<Void>?

    var isArmed: Bool { timer != nil }

    /// Arms the timer, unless it is armed: `expired` runs if `timeout` passes first.
    mutating func arm(on eventLoop: any EventLoop, after timeout: TimeAmount, _ expired: @escaping () -> Void) {
        guard timer == nil else { return }
        timer = eventLoop.assumeIsolated().scheduleTask(in: timeout, expired)
    }

    /// The timer went off: it is no longer armed (called first thing by `expired`).
    mutating func expire() {
        timer = nil
    }

    mutating func cancel() {
        timer?.cancel()
        timer = nil
    }
}
