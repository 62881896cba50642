#if canImport(Glibc)
import Glibc
#endif

/// Hands out copies of byte slices placed so that their last byte sits just before an
/// unreadable page: code that reads one byte past a slice crashes instead of passing.
public final class GuardedArena: @unchecked Sendable {
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private let usable: Int
    private let base: UnsafeMutableRawPointer

    /// An arena for slices of up to `capacity` bytes.
    public init(capacity: Int = 1 << 20) {
        usable = (capacity + pageSize - 1) / pageSize * pageSize
        let mapped = mmap(nil, usable + pageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(mapped != MAP_FAILED, "mmap failed")
        base = mapped!
        precondition(mprotect(base + usable, pageSize, PROT_NONE) == 0, "mprotect failed")
    }

    deinit {
        munmap(base, usable + pageSize)
    }

    /// Calls `body` with a copy of `bytes` that ends right at the guard page.
    public func withGuardedCopy<R>(of bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        precondition(bytes.count <= usable, "slice larger than the arena")
        let start = base + (usable - bytes.count)
        if let source = bytes.baseAddress { start.copyMemory(from: source, byteCount: bytes.count) }
        return body(UnsafeRawBufferPointer(start: start, count: bytes.count))
    }
}
