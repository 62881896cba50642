import CUsageTapABI
import Pricing
import UsageTap

/// What a C caller's `usagetap *` points to: a tap, and the fixed storage that the record's
/// strings are copied into so that C can read them by pointer until the tap is reset or freed.
///
/// The storage is allocated once with the handle: a model name or an error code is at most 256
/// bytes of JSON string, which decode to at most 768 bytes of UTF-8 (each byte of invalid UTF-8
/// becomes U+FFFD), and a price entry is a model name too.
final class TapHandle {
    static let textCapacity = 1024

    /// The tap, where it stays for the handle's life: a tap is a few kilobytes of fixed
    /// state, which a stored property would copy out and back on many calls (measured: some
    /// 500 instructions of memcpy a call, callgrind).
    let tap: UnsafeMutablePointer<UsageTap>
    let model = TextStorage(capacity: TapHandle.textCapacity)
    let error = TextStorage(capacity: TapHandle.textCapacity)
    let priceEntry = TextStorage(capacity: TapHandle.textCapacity)
    // Unchecked: a tap is used by one thread at a time (the header's rule), and these are read
    // and written only in the calls below, never across one another.
    @exclusivity(unchecked) private var changes = 0
    @exclusivity(unchecked) private var cached: (changes: Int, record: UsageRecord)?

    init(protocol selection: ProtocolSelection) {
        tap = .allocate(capacity: 1)
        tap.initialize(to: UsageTap(protocol: selection))
    }

    deinit {
        tap.deinitialize(count: 1)
        tap.deallocate()
    }

    /// The tap has read more, finished, or started over: its record may have changed.
    func changed() {
        changes &+= 1
    }

    /// The tap's record, made once per change: a log line that asks for the record, its JSON
    /// and its cost reads the tap's record (and decodes its strings) once.
    var record: UsageRecord {
        if let cached, cached.changes == changes { return cached.record }
        let record = tap.pointee.record
        cached = (changes, record)
        return record
    }

    /// The handle behind a pointer that `usagetap_new` returned (not retained: the C caller
    /// owns the one reference).
    static func from(_ pointer: OpaquePointer) -> TapHandle {
        Unmanaged<TapHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}

/// Bytes owned by a handle, at a fixed address for the handle's life.
final class TextStorage {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Copies `text` in (cut at a character boundary if it were ever longer than the storage)
    /// and returns where it lies: a null pointer and 0 for nil.
    func hold(_ text: String?) -> (pointer: UnsafePointer<CChar>?, length: Int) {
        guard var text else { return (nil, 0) }
        return text.withUTF8 { utf8 in
            guard let source = utf8.baseAddress, !utf8.isEmpty else {
                return (UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), 0)
            }
            var count = min(utf8.count, capacity)
            assert(count == utf8.count, "a record's text is longer than the storage made for it")
            // Back off to the start of a UTF-8 sequence, so that a cut never splits a character.
            while count < utf8.count, count > 0, utf8[count] & 0xC0 == 0x80 { count -= 1 }
            // Safe: count <= capacity, the storage's size, and <= utf8.count.
            base.initialize(from: source, count: count)
            return (UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), count)
        }
    }
}

/// What a C caller's `usagetap_prices *` points to: a table, immutable once loaded, so that
/// threads may price with it at once.
final class PricesHandle: Sendable {
    let table: PriceTable

    init(table: PriceTable) {
        self.table = table
    }

    static func from(_ pointer: OpaquePointer) -> PricesHandle {
        Unmanaged<PricesHandle>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
    }
}
