/// The proxy's backpressure, in the two counts every side of an exchange keeps. A slow reader
/// holds its writer back: nothing is read from one peer faster than the other takes it.

/// Bytes a side received from its peer and handed on, that the other side has not taken yet.
///
/// An HTTP/1.1 connection stops reading while more than `limit` are held (``mayRead()``), and
/// reads again once enough are taken. An HTTP/2 stream gives taken bytes back to the peer's
/// flow-control window instead, which does the same job.
struct HeldBytes {
    let limit: Int
    private(set) var count = 0
    /// A read was asked for while too many bytes were held.
    private var readWaiting = false

    init(limit: Int) {
        self.limit = limit
    }

    mutating func received(_ bytes: Int) {
        count += bytes
    }

    /// The other side took `bytes`: returns how many of them were held (what an HTTP/2 stream
    /// gives back to the window).
    mutating func taken(_ bytes: Int) -> Int {
        let released = min(bytes, count)
        count -= released
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
