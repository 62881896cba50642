#if canImport(Glibc)
import Glibc
#endif
import Metering

/// The customer keys this proxy has found in the ledger, with their owners, looked up by the
/// key's bytes where they lie in the request: a hit makes no `String` and no copy.
///
/// Keys are hashed with ``WordHash`` rather than the standard library's SipHash (a lookup went
/// from about 600 instructions to about 240): collisions cannot be forced to any effect, since only
/// keys the ledger knows are stored (a client cannot fill this with made-up ones), and a lookup
/// compares the bytes of the entries in its bucket.
struct KnownKeys: Sendable {
    struct Entry: Sendable {
        /// The key itself: this entry's own copy, never a request's bytes.
        let key: [UInt8]
        var owner: KeyOwner
        /// When the owner was read, on the monotonic clock (``Meter/monotonicMicros()``).
        var fetchedMicros: Int64
        /// A background read of this key is under way; no other is started meanwhile.
        var isRefreshing = false

        func matches(_ other: UnsafeRawBufferPointer) -> Bool {
            guard key.count == other.count else { return false }
            // Both pointers are non-nil past this guard: neither buffer is empty.
            guard let theirs = other.baseAddress else { return true }
            return key.withUnsafeBytes { memcmp($0.baseAddress!, theirs, other.count) == 0 }
        }
    }

    /// Entries by their key's hash; a bucket holds more than one only when two keys collide.
    private var buckets: [Int: [Entry]] = [:]

    private static func hash(_ key: UnsafeRawBufferPointer) -> Int {
        Int(truncatingIfNeeded: WordHash.hash(key))
    }

    subscript(key: UnsafeRawBufferPointer) -> Entry? {
        buckets[Self.hash(key)]?.first { $0.matches(key) }
    }

    /// Changes the entry of `key`, if there is one.
    mutating func update(_ key: UnsafeRawBufferPointer, _ change: (inout Entry) -> Void) {
        let hash = Self.hash(key)
        guard let index = buckets[hash]?.firstIndex(where: { $0.matches(key) }) else { return }
        change(&buckets[hash]![index])
    }

    /// Stores `owner` as of `micros` for `key`, replacing what was known of it.
    mutating func set(_ key: UnsafeRawBufferPointer, owner: KeyOwner, fetchedMicros micros: Int64) {
        let entry = Entry(key: Array(key), owner: owner, fetchedMicros: micros)
        let hash = Self.hash(key)
        if let index = buckets[hash]?.firstIndex(where: { $0.matches(key) }) {
            buckets[hash]![index] = entry
        } else {
            buckets[hash, default: []].append(entry)
        }
    }

    /// Forgets `key`: the ledger no longer knows it.
    mutating func remove(_ key: UnsafeRawBufferPointer) {
        let hash = Self.hash(key)
        buckets[hash]?.removeAll { $0.matches(key) }
        if buckets[hash]?.isEmpty == true { buckets[hash] = nil }
    }
}
