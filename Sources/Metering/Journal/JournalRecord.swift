/// A ledger entry as one record of the usage journal: binary, because a record is written for
/// every metered response on the event loop (a JSON line of the same row cost 7,000
/// instructions there; this costs about 3,200), and read back only after a crash.
///
/// A segment starts with a header that names its columns (``segmentHeader``), so a segment
/// written by another version is read by name. Then come records, each
/// `[payload length: UInt32][payload][checksum: UInt64]`, little-endian, where the payload is
/// one value per column: tag 0 null, tag 1 and an `Int64`, or tag 2, a `UInt32` length and
/// UTF-8 bytes. The checksum tells a record cut off or damaged from a whole one.
public enum JournalRecord {
    static let magic = "usagetap journal 1"

    /// The first bytes of every segment: the magic line, then the column names, comma-separated.
    static var segmentHeader: [UInt8] {
        Array((magic + "\n" + LedgerColumns.names.map { "\($0)" }.joined(separator: ",") + "\n").utf8)
    }

    /// A record longer than this is damage, not a row: no row's text comes near it.
    static let largestPayload = 1 << 20

    /// Appends the entry's record to `bytes`.
    public static func append(_ entry: borrowing LedgerEntry, to bytes: inout [UInt8]) {
        var payload = 0
        LedgerColumns.forEachValue(of: entry) { _, value in
            switch value {
            case .null: payload += 1
            case .integer: payload += 9
            case .text(let text): payload += 5 + text.utf8.count
            }
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 4 + payload + 8))
        bytes.withUnsafeMutableBytes { all in
            // In bounds: the values written are the ones measured above, in the same order.
            let record = UnsafeMutableRawBufferPointer(rebasing: all[start...])
            record.storeBytes(of: UInt32(payload).littleEndian, toByteOffset: 0, as: UInt32.self)
            var offset = 4
            LedgerColumns.forEachValue(of: entry) { _, value in
                switch value {
                case .null:
                    offset += 1
                case .integer(let number):
                    record[offset] = 1
                    record.storeBytes(of: number.littleEndian, toByteOffset: offset + 1, as: Int64.self)
                    offset += 9
                case .text(let text):
                    record[offset] = 2
                    let count = UTF8Copy.copy(text, to: record.baseAddress! + offset + 5)
                    record.storeBytes(of: UInt32(count).littleEndian, toByteOffset: offset + 1, as: UInt32.self)
                    offset += 5 + count
                }
            }
            assert(offset == 4 + payload, "JournalRecord: a value changed size between measuring and writing")
            let sum = checksum(UnsafeRawBufferPointer(rebasing: record[4..<offset]))
            record.storeBytes(of: sum.littleEndian, toByteOffset: offset, as: UInt64.self)
        }
    }

    /// What could not be read back, and where.
    public struct Unreadable: Error, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        /// The segment ends inside its last record: the process died while writing it, before
        /// that record's response was flushed to its client. Anything else is damage (except a
        /// damaged length that points past the end, which cannot be told from a cut).
        public var isCutOff = false
        public var description: String { "byte \(offset): \(reason)" }
    }

    /// The entries of a whole segment, and what stopped the reading, if anything: a record cut
    /// off at the end (the process or machine died in its write) or damaged. After damage the
    /// records' boundaries are lost, so nothing further is read. Balances are not read: the
    /// ledger works them out again when it writes the row.
    public static func entries(inSegment bytes: [UInt8]) -> (entries: [LedgerEntry], unreadable: Unreadable?) {
        guard let header = header(of: bytes) else {
            return ([], Unreadable(offset: 0, reason: "no journal header (\(magic))"))
        }
        // Where each of the segment's columns goes in this version's, if anywhere.
        let destinations = header.columns.map { LedgerColumns.position(ofColumn: $0).map(Int.init) }
        var entries: [LedgerEntry] = []
        var offset = header.end
        return bytes.withUnsafeBytes { all in
            while offset < all.count {
                guard all.count - offset >= 4 else { return (entries, Unreadable(offset: offset, reason: "a record cut off", isCutOff: true)) }
                let payload = Int(UInt32(littleEndian: all.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                guard payload <= largestPayload else {
                    return (entries, Unreadable(offset: offset, reason: "a record length of \(payload) bytes: damaged"))
                }
                guard all.count - offset - 4 >= payload + 8 else { return (entries, Unreadable(offset: offset, reason: "a record cut off", isCutOff: true)) }
                let body = UnsafeRawBufferPointer(rebasing: all[offset + 4..<offset + 4 + payload])
                let sum = UInt64(littleEndian: all.loadUnaligned(fromByteOffset: offset + 4 + payload, as: UInt64.self))
                guard sum == checksum(body) else {
                    return (entries, Unreadable(offset: offset, reason: "a record whose checksum does not match: damaged"))
                }
                guard let entry = entry(from: body, destinations: destinations) else {
                    return (entries, Unreadable(offset: offset, reason: "a record whose values do not match the header's columns"))
                }
                entries.append(entry)
                offset += 4 + payload + 8
            }
            return (entries, nil)
        }
    }

    private static func header(of bytes: [UInt8]) -> (columns: [String], end: Int)? {
        let lines = bytes.prefix(4096).split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count == 3, String(decoding: lines[0], as: UTF8.self) == magic else { return nil }
        let columns = lines[1].split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) }
        return (columns, lines[0].count + lines[1].count + 2)
    }

    private static func entry(from body: UnsafeRawBufferPointer, destinations: [Int?]) -> LedgerEntry? {
        var values = [SQLValue](repeating: .null, count: LedgerColumns.names.count)
        var offset = 0
        for destination in destinations {
            guard offset < body.count else { return nil }
            let value: SQLValue
            switch body[offset] {
            case 0:
                value = .null
                offset += 1
            case 1:
                guard body.count - offset >= 9 else { return nil }
                value = .integer(Int64(littleEndian: body.loadUnaligned(fromByteOffset: offset + 1, as: Int64.self)))
                offset += 9
            case 2:
                guard body.count - offset >= 5 else { return nil }
                let count = Int(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self)))
                guard body.count - offset - 5 >= count else { return nil }
                value = .text(String(decoding: body[offset + 5..<offset + 5 + count], as: UTF8.self))
                offset += 5 + count
            default:
                return nil
            }
            if let destination { values[destination] = value }
        }
        guard offset == body.count else { return nil }
        var entry = LedgerColumns.entry(
            integer: { if case .integer(let number) = values[Int($0)] { number } else { nil } },
            text: { if case .text(let text) = values[Int($0)] { text } else { nil } })
        entry.balanceBefore = 0
        entry.balanceAfter = 0
        return entry
    }

    /// Tells a damaged record from a whole one (it is no defence against anyone: whoever can
    /// write the journal can write the ledger).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        WordHash.hash(bytes)
    }
}

/// A string's UTF-8 bytes copied to raw memory, with no copy of the string on the way.
enum UTF8Copy {
    /// Copies `text`'s UTF-8 to `destination` and returns the count (`text.utf8.count`).
    static func copy(_ text: String, to destination: UnsafeMutableRawPointer) -> Int {
        if let count = text.utf8.withContiguousStorageIfAvailable({ bytes -> Int in
            if let base = bytes.baseAddress { destination.copyMemory(from: base, byteCount: bytes.count) }
            return bytes.count
        }) {
            return count
        }
        var count = 0
        for byte in text.utf8 {
            destination.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
            count += 1
        }
        return count
    }
}
