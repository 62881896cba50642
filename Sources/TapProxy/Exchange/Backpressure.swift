/// The proxy's backpressure, in the two counts every side of an exchange keeps. A slow reader
/// holds its writer back: nothing is read from one peer faster than the other takes it.

/// Bytes a side received from its peer and handed on, that the other side has not taken yet.
///
/// An HTTP/1.1 connection stops reading while more than `limit` are held (``mayRead()``), and
/// reads again once enough are taken. An HTTP/2 stream gives taken bytes back to the peer's
/// flow-control window instead, which does the same job, and its window is `limit`.
///
/// The limit may start below its `ceiling` and grow as the other side shows that it takes what
/// it is given: it doubles each time the other side has taken, in all, as many bytes as the
/// limit is. A response's client that takes nothing (an HTTP/2 window of 0) has `first` bytes
/// read ahead for it, not the ceiling; one that takes them as they come reaches the ceiling
/// after a few doublings (64 KiB, then 128 KiB taken, at the defaults).
struct HeldBytes {
    let ceiling: Int
    /// The most that may be held now.
    private(set) var limit: Int
    private(set) var count = 0
    /// Bytes the other side took in all while the limit was below the ceiling.
    private var takenInAll = 0
    /// A read was asked for while too many bytes were held.
    private var readWaiting = false

    /// A limit that never changes.
    init(limit: Int) {
        self.init(first: limit, ceiling: limit)
    }

    /// A limit of `first` (or `ceiling`, if that is smaller) at the start, grown as the other
    /// side takes bytes, up to `ceiling`.
    init(first: Int, ceiling: Int) {
        assert(first > 0 && ceiling > 0, "a read-ahead of \(first) bytes growing to \(ceiling)")
        self.ceiling = ceiling
        limit = min(first, ceiling)
    }

    /// A response's read-ahead: ``ProxyLimits/firstReadAheadBytes`` at first, grown as its
    /// client takes it, up to ``ProxyLimits/streamBufferBytes``.
    static func responseReadAhead(_ limits: ProxyLimits) -> HeldBytes {
        HeldBytes(first: limits.firstReadAheadBytes, ceiling: limits.streamBufferBytes)
    }

    mutating func received(_ bytes: Int) {
        count += bytes
    }

    /// The other side took `bytes`: returns how many of them were held (what an HTTP/2 stream
    /// gives back to the window).
    mutating func taken(_ bytes: Int) -> Int {
        let released = min(bytes, count)
        count -= released
        if limit < ceiling {
            takenInAll += released
            while limit < ceiling, takenInAll >= limit {
                limit = limit > ceiling / 2 ? ceiling : limit * 2
            }
        }
        return released
    }

    /// The exchange is over: whatever is still held is released; returns how many.
    mutating func releaseAll() -> Int {
        defer { count = 0 }
        return count
    }

    /// Whether a read may go ahead now. If not, it waits until ``resumesRead()`` says so.
    mutating func mayRead() -> Bool {
        readWaiting = count > limit
        return !readWaiting
    }

    /// True once (and then it is up to the caller to read) when a read that waited may now go.
    mutating func resumesRead() -> Bool {
        guard readWaiting, count <= limit else { return false }
        readWaiting = false
        return true
    }
}

/// Bytes written to a peer while its connection was not writable: the other side is told they
/// were taken only once the connection has drained them, so that it sends no more meanwhile.
struct UndrainedBytes {
    private var count = 0

    /// `bytes` were just written; returns how many bytes the other side may be told were taken.
    mutating func wrote(_ bytes: Int, isWritable: Bool) -> Int {
        guard !isWritable else { return bytes }
        count += bytes
        return 0
    }

    /// The connection can take writes again: returns how many bytes were waiting for that.
    mutating func drained() -> Int {
        defer { count = 0 }
        return count
    }
}
