#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes all of `bytes` to `descriptor`: again after an interrupted call or a partial write,
/// which a file takes only when the disk fills or a signal comes. Returns nil, or the `errno`
/// of the call that failed. The usage log and the usage journal both write through it.
public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    guard let base = bytes.baseAddress else { return nil }
    var offset = 0
    while offset < bytes.count {
        let wrote = write(descriptor, base + offset, bytes.count - offset)
        if wrote < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += wrote
    }
    return nil
}
