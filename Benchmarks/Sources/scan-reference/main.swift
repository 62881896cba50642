import Foundation
import ReferenceTap

// scan-reference [--chunk-bytes N] FILE...: today's tap before the block rewrite (ReferenceTap)
// over each file in slices of N bytes, printing each record; for Benchmarks/instructions to
// count under callgrind beside `usagetap scan`.
var arguments = Array(CommandLine.arguments.dropFirst())
var chunk = 65536
if arguments.first == "--chunk-bytes", arguments.count > 1, let size = Int(arguments[1]), size > 0 {
    chunk = size
    arguments.removeFirst(2)
}
for path in arguments {
    guard let data = FileManager.default.contents(atPath: path) else {
        FileHandle.standardError.write(Data("scan-reference: cannot read \(path)\n".utf8))
        exit(1)
    }
    var tap = ReferenceTap(protocol: .auto)
    data.withUnsafeBytes { bytes in
        var start = 0
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            tap.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
    }
    print(tap.finish().jsonLine)
}
