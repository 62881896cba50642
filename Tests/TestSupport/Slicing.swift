import Testing

/// Ways of cutting one input into slices, so that every test can feed the same bytes whole,
/// a byte at a time, and at chosen or random cut points.
public enum Slicing: Sendable, CustomTestStringConvertible {
    case whole
    case every(Int)
    /// Cut at these offsets (sorted, each inside the input).
    case at([Int])

    public static let standard: [Slicing] = [.whole, .every(1), .every(7), .every(65536)]

    public var testDescription: String {
        switch self {
        case .whole: "whole"
        case .every(let size): "\(size)-byte slices"
        case .at(let cuts): "cut at \(cuts)"
        }
    }

    /// The slice boundaries for an input of `count` bytes, as ranges.
    public func ranges(count: Int) -> [Range<Int>] {
        switch self {
        case .whole:
            return [0..<count]
        case .every(let size):
            return stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
        case .at(let cuts):
            let bounds = [0] + cuts.filter { $0 > 0 && $0 < count } + [count]
            return zip(bounds, bounds.dropFirst()).map { $0..<$1 }
        }
    }

    /// Calls `body` with each slice of `bytes`, each copied against a guard page.
    public func forEachSlice(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> Void) {
        let arena = GuardedArena(capacity: max(bytes.count, 1))
        bytes.withUnsafeBytes { all in
            for range in ranges(count: bytes.count) {
                arena.withGuardedCopy(of: UnsafeRawBufferPointer(rebasing: all[range]), body)
            }
        }
    }
}
