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
        /// Damaged segments, not read to their end: kept, renamed `….unreadable`, after what
        /// could be read of them was replayed. (A last record cut off by the process's death is
        /// not damage: its response was never delivered.)
        public var unreadableSegments = 0

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
            if let unreadable, unreadable.isCutOff {
                // The process died in this write, before the response it was for was flushed.
                Self.report("\(segment): its last record was cut off at \(unreadable); a response not delivered")
                remove(segment: segment)
            } else if let unreadable {
                summary.unreadableSegments += 1
                Self.report("\(segment): read up to \(unreadable); what follows is not replayed")
                // Kept for a person to look at, and out of the next replay's way.
                if rename(segment, segment + ".unreadable") != 0 {
                    Self.report("cannot rename \(segment): \(String(cString: strerror(errno)))")
                }
            } else {
                remove(segment: segment)
            }
        }
        return summary
    }
}
