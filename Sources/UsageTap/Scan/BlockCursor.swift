internal import CUsageTapVector

/// The four masks of one 64-byte block: bit i is byte i of the block.
struct BlockMasks: Sendable {
    var quote: UInt64
    var backslash: UInt64
    /// LF or CR.
    var lineEnd: UInt64
    /// `{`, `}`, `[` or `]`.
    var bracket: UInt64
}

/// Which classifier turns blocks into masks in this process.
public enum BlockClassifier: String, Sendable {
    case scalar, sse2, avx2, avx512, neon

    /// The one picked for this process: the widest the CPU has, unless `USAGETAP_VECTOR=scalar`
    /// (or `sse2`, `avx2`) in the environment asked for another at the first use.
    public static var current: BlockClassifier {
        switch ut_classifier() {
        case UT_SSE2: .sse2
        case UT_AVX2: .avx2
        case UT_AVX512: .avx512
        case UT_NEON: .neon
        default: .scalar
        }
    }

    /// The classifiers this CPU can run: the scalar one, and the vector ones it has.
    public static var available: [BlockClassifier] {
        #if arch(x86_64)
        var kinds: [BlockClassifier] = [.scalar, .sse2]
        if ut_cpu_has_avx2() != 0 { kinds.append(.avx2) }
        if ut_cpu_has_avx512bw() != 0 { kinds.append(.avx512) }
        return kinds
        #elseif arch(arm64)
        return [.scalar, .neon]
        #else
        return [.scalar]
        #endif
    }

    var kind: ut_classifier_kind {
        switch self {
        case .scalar: UT_SCALAR
        case .sse2: UT_SSE2
        case .avx2: UT_AVX2
        case .avx512: UT_AVX512
        case .neon: UT_NEON
        }
    }
}

/// A walk over one slice, a 64-byte block at a time: each block is classified once, when the
/// walk first reaches it, and the framing and the JSON reader both read its masks.
///
/// Blocks are aligned to the slice's start. Positions are offsets into the slice; the block
/// holding `position` is `masks`' block once `moveTo(_:)` has been called for it.
struct BlockCursor {
    /// The slice; readable for the duration of the walk.
    let base: UnsafeRawPointer
    let count: Int
    private let kind: ut_classifier_kind
    /// The offset of the current block's first byte (a multiple of 64).
    private(set) var blockStart: Int
    /// The masks of the current block; bits past the slice's end are 0.
    private(set) var masks: BlockMasks

    init(_ base: UnsafeRawPointer, count: Int, classifier: BlockClassifier) {
        self.base = base
        self.count = count
        kind = classifier.kind
        blockStart = 0
        masks = BlockMasks(quote: 0, backslash: 0, lineEnd: 0, bracket: 0)
        classify()
    }

    /// One past the current block's last byte in the slice.
    @inline(__always) var blockEnd: Int { min(blockStart &+ 64, count) }

    /// The bit of `position` in the current block's masks.
    @inline(__always) func bit(_ position: Int) -> Int {
        assert(position >= blockStart && position < blockStart &+ 64)
        return position &- blockStart
    }

    /// Makes the block holding `position` current; `position` must be at or after the current
    /// block and inside the slice.
    @inline(__always)
    mutating func moveTo(_ position: Int) {
        assert(position >= blockStart && position < count)
        guard position >= blockStart &+ 64 else { return }
        blockStart = position & ~63
        classify()
    }

    @inline(__always)
    func byte(at position: Int) -> UInt8 {
        assert(position >= 0 && position < count)
        // Safe: 0 <= position < count, the slice's length.
        return base.load(fromByteOffset: position, as: UInt8.self)
    }

    private mutating func classify() {
        let start = base + blockStart
        let live = count &- blockStart
        let raw = live >= 64
            // Safe: the 64 bytes from blockStart lie inside the slice.
            ? ut_classify_block(kind, start.assumingMemoryBound(to: UInt8.self))
            // Safe: the `live` bytes from blockStart lie inside the slice; the rest is not read.
            : ut_classify_partial(kind, start.assumingMemoryBound(to: UInt8.self), live)
        masks = BlockMasks(quote: raw.quote, backslash: raw.backslash, lineEnd: raw.line_end, bracket: raw.bracket)
    }
}

extension UInt64 {
    /// The bits at and above `bit` (0...64).
    @inline(__always) static func bits(from bit: Int) -> UInt64 {
        bit >= 64 ? 0 : ~0 &<< UInt64(bit)
    }

    /// The bits below `bit` (0...64).
    @inline(__always) static func bits(below bit: Int) -> UInt64 {
        bit >= 64 ? ~0 : (1 &<< UInt64(bit)) &- 1
    }
}
