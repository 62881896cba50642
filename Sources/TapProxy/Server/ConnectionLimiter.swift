import NIOCore
import Synchronization

/// Client connections in all and per client address, counted across the event loops: a
/// connection over either limit is closed as soon as it is accepted. Refusals are reported on
/// standard error at most once a second, with their count, so that a flood of connections
/// cannot flood the log too.
final class ConnectionLimiter: Sendable {
    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
        var refusedUnreported = 0
        var lastReport = NIODeadline.uptimeNanoseconds(0)
    }

    private let counts = Mutex(Counts())
    private let maxTotal: Int
    private let maxPerAddress: Int

    init(maxTotal: Int, maxPerAddress: Int) {
        self.maxTotal = maxTotal
        self.maxPerAddress = maxPerAddress
    }

    /// Counts a new connection from `address` in, or refuses it (false) when either limit is
    /// reached. An admitted connection must be released when it closes.
    func admit(_ address: SocketAddress?) -> Bool {
        let key = Self.key(address)
        let (admitted, report) = counts.withLock { counts -> (Bool, String?) in
            let fromAddress = counts.byAddress[key, default: 0]
            guard counts.total < maxTotal, fromAddress < maxPerAddress else {
                counts.refusedUnreported += 1
                let now = NIODeadline.now()
                guard now - counts.lastReport >= .seconds(1) else { return (false, nil) }
                let refused = counts.refusedUnreported
                counts.refusedUnreported = 0
                counts.lastReport = now
                return (false, "\(refused) connections refused over the limits of \(maxTotal) in all and \(maxPerAddress) per address (the latest from \(key))")
            }
            counts.total += 1
            counts.byAddress[key] = fromAddress + 1
            return (true, nil)
        }
        if let report { ConnectionReport.line(report) }
        return admitted
    }

    func release(_ address: SocketAddress?) {
        let key = Self.key(address)
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.byAddress[key, default: 1] - 1
            counts.byAddress[key] = left > 0 ? left : nil
        }
    }

    /// The address without its port: all of one client's connections count together.
    private static func key(_ address: SocketAddress?) -> String {
        address?.ipAddress ?? "unknown"
    }
}
