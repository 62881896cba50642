internal import CUsageTapVector

/// The `usageMetadata` object of the last Gemini chunk passed by its structure
/// (``GeminiChunk``), kept as bytes: only the last chunk's usage counts, so each chunk's is
/// copied rather than read, and only the one kept is read, when a record is asked for.
///
/// The bytes are kept as a document of their own, `{"usageMetadata":` the object `}`, which
/// the walker reads as it would have read the chunk: the object's bytes are the same, and the
/// walker's reading of a member depends on nothing before it but the path.
struct GeminiUsageCopy: Sendable {
    private static let prefix: StaticString = #"{"usageMetadata":"#
    private static let storage = 1024
    /// The longest object kept: Gemini's are a few hundred bytes. A chunk with a longer one is
    /// left to the walker.
    static let capacity = storage - prefix.utf8CodeUnitCount - 1

    private var bytes: InlineArray<1024, UInt8> = .init(repeating: 0)
    /// The document's length; 0 while no object is kept.
    private var count = 0

    @inline(__always) init() {
        withUnsafeMutableBytes(of: &bytes) { storage in
            // Safe: the prefix's 17 bytes fit the storage's 1,024.
            storage.baseAddress.unsafelyUnwrapped.copyMemory(from: Self.prefix.utf8Start, byteCount: Self.prefix.utf8CodeUnitCount)
        }
    }

    /// Keeps `object` (at most `capacity` bytes, a `usageMetadata` object), in place of the one
    /// kept before.
    mutating func keep(_ object: UnsafeRawBufferPointer) {
        assert(object.count <= Self.capacity && object.count > 0)
        let start = Self.prefix.utf8CodeUnitCount
        withUnsafeMutableBytes(of: &bytes) { storage in
            let base = storage.baseAddress.unsafelyUnwrapped
            // Safe: prefix + object + `}` <= storage, and `object` holds `object.count` bytes.
            (base + start).copyMemory(from: object.baseAddress.unsafelyUnwrapped, byteCount: object.count)
            base.storeBytes(of: UInt8(ascii: "}"), toByteOffset: start &+ object.count, as: UInt8.self)
        }
        count = start &+ object.count &+ 1
    }

    /// A later chunk's usage was read by the walker: the one kept is older.
    mutating func clear() {
        count = 0
    }

    /// The counts of the object kept, read now; nil while none is kept.
    var tokens: TokenCounts? {
        guard count > 0 else { return nil }
        return withUnsafeBytes(of: bytes) { storage in
            var facts = EventFacts()
            var walker = JSONWalker()
            withUnsafeTemporaryAllocation(of: ut_frame_batch.self, capacity: 1) { room in
                // Safe: the storage and a temporary allocation of capacity 1 have base addresses.
                var cursor = BlockCursor(storage.baseAddress.unsafelyUnwrapped, count: count, classifier: .current,
                                         room: room.baseAddress.unsafelyUnwrapped)
                cursor.moveTo(0)
                _ = walker.read(&cursor, from: 0, lineBounded: false, facts: &facts)
            }
            // The chunk's object closed inside its line, so this document is whole.
            assert(walker.isWhole && facts.hasUsageObject(.usageMetadata))
            return TokenCounts(geminiUsage: facts[.usageMetadata])
        }
    }
}
