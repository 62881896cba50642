#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

extension PriceTable {
    /// A price file that could not be read or parsed, with the path and the reason.
    public struct FileError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The table in the price file at `path`: LiteLLM's JSON when its first byte that is not
    /// whitespace is `{`, else UsageTap's text format. LiteLLM entries that cannot be read
    /// exactly are left out and named in `skipped` (entry → reason); a text file skips nothing.
    /// Read without Foundation, for the command line and the C interface alike.
    public static func load(file path: String) throws(FileError) -> (table: PriceTable, skipped: [String: String]) {
        let bytes = try readAll(path)
        if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") {
            do {
                let imported = try PriceTable.liteLLM(bytes)
                return (imported.table, imported.skipped)
            } catch {
                throw FileError(description: "\(path): \(error)")
            }
        }
        do {
            return (try PriceTable(parsing: String(decoding: bytes, as: UTF8.self)), [:])
        } catch {
            throw FileError(description: "\(path): \(error)")
        }
    }

    private static func readAll(_ path: String) throws(FileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let got = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got == 0 { return bytes }
            if got < 0 {
                if errno == EINTR { continue }
                throw FileError(description: "\(path): \(String(cString: strerror(errno)))")
            }
            bytes.append(contentsOf: block[..<got])
        }
    }
}
