#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension UsageJournal {
    /// What a replay did.
    public struct ReplaySummary: Equatable, Sendable {
        /// Rows written to the ledger: the journal had them and the ledger did not.
        public var written = 0
        /// Rows the ledger already had (written before the process died): not written again.
        public var alreadyInLedger = 0
        /// Lines that could not be read; their segments are kept, renamed `….unreadable`.
        public var unreadableLines = 0

        public init() {}
    }

    /// Rows per transaction when replaying.
    static let replayBatch = 512

    /// Writes the rows of the ``leftover`` segments that the ledger has no row for (by
    /// `request_id`), debiting their tenants, then removes the segments. Call it before this
    /// run writes anything: a row is billed once however often the replay is interrupted and
    /// run again, since each write is one transaction and rows already in the ledger are
    /// skipped.
    public func replayLeftover(into store: any LedgerStore) throws -> ReplaySummary {
        var summary = ReplaySummary()
        for segment in leftover {
            let (entries, unreadable) = try Self.entries(inSegment: segment)
            var seen = Set<String>()
            var start = entries.startIndex
            while start < entries.endIndex {
                let slice = entries[start..<min(start + Self.replayBatch, entries.endIndex)]
                start = slice.endIndex
                let known = try store.knownRequestIDs(among: slice.map(\.requestID))
                // A request id twice in the journal (never written so) is written once.
                var fresh = slice.filter { !known.contains($0.requestID) && seen.insert($0.requestID).inserted }
                summary.alreadyInLedger += slice.count - fresh.count
                if !fresh.isEmpty { try store.append(&fresh) }
                summary.written += fresh.count
            }
            if unreadable.isEmpty {
                remove(segment: segment)
            } else {
                summary.unreadableLines += unreadable.count
                for (line, reason) in unreadable { Self.report("\(segment) line \(line) not replayed: \(reason)") }
                // Kept for a person to look at, and out of the next replay's way.
                if rename(segment, segment + ".unreadable") != 0 {
                    Self.report("cannot rename \(segment): \(String(cString: strerror(errno)))")
                }
            }
        }
        return summary
    }
}
