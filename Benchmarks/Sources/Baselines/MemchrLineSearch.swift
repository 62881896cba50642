#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Workloads

/// The physical limit: libc's `memchr` finding every `\n` in the same slices, the least any
/// line-based reader must do. It looks at each byte once and interprets nothing.
public enum MemchrLineSearch {
    /// The number of line feeds in the workload.
    public static func lineFeeds(in workload: Workload) -> Int {
        var count = 0
        workload.forEachSlice { slice in
            guard let start = slice.baseAddress else { return }
            let end = start + slice.count
            var next = start
            while next < end, let hit = memchr(next, 0x0A, end - next) {
                count += 1
                next = UnsafeRawPointer(hit) + 1
            }
        }
        return count
    }
}
