#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file (or stdin, named `-`) read through its descriptor, without Foundation.
struct InputFile: ~Copyable {
    struct ReadError: Error, CustomStringConvertible {
        let path: String
        let code: Int32
        var description: String { "\(path): \(String(cString: strerror(code)))" }
    }

    let path: String
    private let descriptor: Int32

    init(path: String) throws(ReadError) {
        self.path = path
        if path == "-" {
            descriptor = STDIN_FILENO
            return
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else { throw ReadError(path: path, code: errno) }
        descriptor = opened
    }

    deinit {
        if descriptor != STDIN_FILENO { close(descriptor) }
    }

    /// Fills `buffer` as far as the file allows; returns how many bytes it read (less than the
    /// buffer's size only at the end of the file).
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(ReadError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw ReadError(path: path, code: errno)
            }
            filled += got
        }
        return filled
    }
}
