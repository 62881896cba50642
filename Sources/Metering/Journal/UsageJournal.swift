import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a metering proxy writes each response's ledger row before the response's last bytes
/// reach the client, so that a process that dies (a `kill -9`, an OOM kill, a crash) loses no
/// row: the rows still queued for the ledger are in here, and the next start replays them.
///
/// A directory of numbered segments (`0000000001.journal`, …), one binary record per row
/// (``JournalRecord``), appended with `O_APPEND` in one `write(2)` per event-loop turn. Rows
/// reach the kernel, which keeps them through the death of the process; not through a power
/// loss, for which they would also have to be synced to the disk (not done: see the README).
///
/// Only one process may use a directory: a second is refused (an advisory `flock` on `lock`).
/// Segments are ended (``rotate()``) once large, and removed once every row in them is in the
/// ledger; the owner (the meter) decides when.
public final class UsageJournal: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let directory: String
    /// Segments left by an earlier run, oldest first: to be replayed before this run writes.
    public let leftover: [String]
    private let lockDescriptor: Int32
    private let current: Mutex<Segment>

    private struct Segment {
        var number: Int
        var descriptor: Int32
        var size: Int
    }

    /// Opens the journal in `directory`, creating it if needed; throws when another process
    /// holds it. A new segment is started: the ones found are ``leftover``.
    public init(directory: String) throws {
        self.directory = directory
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw Failure(description: "cannot create the journal directory \(directory): \(Self.lastError)")
        }
        let lock = open(directory + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw Failure(description: "cannot open \(directory)/lock: \(Self.lastError)") }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another usagetap process is using it" : Self.lastError
            close(lock)
            throw Failure(description: "cannot use the journal \(directory): \(reason)")
        }
        lockDescriptor = lock
        let numbers = try Self.segmentNumbers(in: directory)
        leftover = numbers.map { Self.path(of: $0, in: directory) }
        let first = (numbers.last ?? 0) + 1
        current = Mutex(try Self.create(first, in: directory))
    }

    deinit {
        current.withLock { if $0.descriptor >= 0 { _ = close($0.descriptor) } }
        close(lockDescriptor)
    }

    /// Stops writing; with `removingCurrentSegment`, when every row is in the ledger (a clean
    /// shutdown), the segment being written goes too. Later appends are refused and reported.
    public func stop(removingCurrentSegment: Bool) {
        current.withLock { segment in
            guard segment.descriptor >= 0 else { return }
            _ = close(segment.descriptor)
            segment.descriptor = -1
            if removingCurrentSegment { remove(segment: Self.path(of: segment.number, in: directory)) }
        }
    }

    /// Appends whole records in one `write(2)` (more only if the kernel takes part of them).
    /// A failure is reported on stderr: the rows are still queued for the ledger, and only a
    /// death of the process before they are written there would lose them.
    public func append(records bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        // Under the lock: a rotation must not close the descriptor in the middle of a write.
        current.withLock { segment in
            guard segment.descriptor >= 0 else {
                return Self.report("\(bytes.count) bytes of records after the journal was closed: not journaled")
            }
            if let failure = writeAll(segment.descriptor, bytes) {
                return Self.report("write to \(Self.path(of: segment.number, in: directory)) failed: \(String(cString: strerror(failure)))")
            }
            segment.size += bytes.count
        }
    }

    /// Bytes written to the segment being written.
    public var currentSize: Int { current.withLock { $0.size } }

    /// Ends the segment being written and starts the next; returns the ended one's path.
    public func rotate() throws -> String {
        try current.withLock { segment in
            guard segment.descriptor >= 0 else { throw Failure(description: "the journal is closed") }
            let next = try Self.create(segment.number + 1, in: directory)
            close(segment.descriptor)
            let ended = Self.path(of: segment.number, in: directory)
            segment = next
            return ended
        }
    }

    /// Removes a segment whose rows are all in the ledger.
    public func remove(segment path: String) {
        if unlink(path) != 0 && errno != ENOENT { Self.report("cannot remove \(path): \(Self.lastError)") }
    }

    /// The path of the segment being written.
    public var currentSegment: String { current.withLock { Self.path(of: $0.number, in: directory) } }

    /// What a segment holds: its entries, and what stopped the reading, if anything (a record
    /// cut off by a crash of the machine, or damage).
    public static func entries(inSegment path: String) throws -> (entries: [LedgerEntry], unreadable: JournalRecord.Unreadable?) {
        JournalRecord.entries(inSegment: try contents(of: path))
    }

    // MARK: Files

    private static func path(of number: Int, in directory: String) -> String {
        let digits = String(number)
        return directory + "/" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".journal"
    }

    /// A new segment, its header written.
    private static func create(_ number: Int, in directory: String) throws -> Segment {
        let path = path(of: number, in: directory)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(path): \(lastError)") }
        let header = JournalRecord.segmentHeader
        if let failure = header.withUnsafeBytes({ writeAll(descriptor, $0) }) {
            close(descriptor)
            unlink(path)
            throw Failure(description: "cannot write the header of \(path): \(String(cString: strerror(failure)))")
        }
        return Segment(number: number, descriptor: descriptor, size: header.count)
    }

    /// The numbers of the segments in `directory`, in order.
    private static func segmentNumbers(in directory: String) throws -> [Int] {
        guard let stream = opendir(directory) else {
            throw Failure(description: "cannot list \(directory): \(lastError)")
        }
        defer { closedir(stream) }
        var numbers: [Int] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".journal"), let number = Int(name.dropLast(8)), number > 0 else { continue }
            numbers.append(number)
        }
        return numbers.sorted()
    }

    private static func contents(of path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path): \(lastError)") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read \(path): \(lastError)")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    private static var lastError: String { String(cString: strerror(errno)) }

    static func report(_ message: String) {
        let line = "usagetap: journal: \(message)\n"
        _ = line.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}
