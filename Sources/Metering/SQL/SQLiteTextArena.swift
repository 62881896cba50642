/// Text bound to a SQLite statement, copied into blocks of memory the statement owns so that
/// SQLite can read it where it lies (`SQLITE_STATIC`) instead of allocating a copy of its own:
/// a ledger batch binds a few text values per row, hundreds of rows per batch.
///
/// A copy stays put until the arena is rewound (when the statement is reset, which also unbinds
/// every placeholder) or deallocated (after the statement is finalized). Blocks are kept for the
/// next run, so a statement that runs again allocates nothing.
///
/// A class, held by its statement in a constant: a struct stored in the statement's variable
/// was checked for exclusive access at every bind, a tenth of the Swift side of a ledger row.
final class SQLiteTextArena {
    static let blockSize = 16 * 1024

    private var blocks: [UnsafeMutableRawPointer] = []
    private var block = 0
    private var used = 0

    /// Forgets every copy; their memory is reused by the next ones.
    func rewind() {
        block = 0
        used = 0
    }

    /// A copy of `text` that SQLite may read until the next rewind, or nil when it is longer
    /// than a block (rare: such text is left for SQLite to copy).
    func copy(_ text: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar>? {
        guard text.count <= Self.blockSize else { return nil }
        if block < blocks.count, used + text.count > Self.blockSize {
            block += 1
            used = 0
        }
        if block == blocks.count {
            blocks.append(UnsafeMutableRawPointer.allocate(byteCount: Self.blockSize, alignment: 1))
        }
        // In bounds: `used + text.count` is at most `blockSize`, checked above.
        let start = blocks[block] + used
        if let source = text.baseAddress {
            start.copyMemory(from: source, byteCount: text.count)
        }
        used += text.count
        // Never null, even for empty text: a null pointer would bind NULL instead of "".
        return UnsafePointer(start.assumingMemoryBound(to: CChar.self))
    }

    /// Frees the blocks: the statement that read them is finalized first (see its deinit).
    deinit {
        for block in blocks { block.deallocate() }
    }
}
