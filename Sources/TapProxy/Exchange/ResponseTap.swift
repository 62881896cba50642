import NIOCore
import NIOHTTP1
import UsageTap

/// The tap on one response body: decides from the response headers whether the body is
/// something usage can be read from, inflates a copy when it is encoded, and feeds the tap.
///
/// A class: the tap's state is a few kilobytes of fixed buffers, which as a value in the
/// exchange's optional field was zeroed when the exchange was made and copied when it was set
/// (about 10,000 instructions per request, callgrind); as an object it is built once in place.
final class ResponseTap {
    private var tap: UsageTap
    private var inflater: Inflater?
    private let reads: Bool

    init(protocol selection: ProtocolSelection, responseHeaders headers: HTTPHeaders) {
        tap = UsageTap(protocol: selection)
        guard Self.mayCarryUsage(contentType: headers.first(name: "content-type")) else {
            reads = false
            return
        }
        // Nearly every response has no content coding: the field's values are split and
        // compared only when it is there.
        guard headers.contains(name: "content-encoding") else {
            reads = true
            return
        }
        switch headers[canonicalForm: "content-encoding"].map({ $0.lowercased() }).filter({ $0 != "identity" }) {
        case []:
            reads = true
        case ["gzip"], ["x-gzip"]:
            inflater = Inflater(.gzip)
            reads = true
        case ["deflate"]:
            inflater = Inflater(.deflate)
            reads = true
        default:
            // br, zstd, or stacked codings: forwarded as they are, usage left unknown.
            reads = false
        }
    }

    /// Reads the next piece of the body as it passes; `bytes` is not kept.
    func feed(_ bytes: ByteBuffer) {
        guard reads else { return }
        bytes.withUnsafeReadableBytes { raw in
            if let inflater {
                inflater.inflate(raw) { tap.feed($0) }
            } else {
                tap.feed(raw)
            }
        }
    }

    func finish() -> UsageRecord {
        tap.finish()
    }

    /// Event streams and JSON carry usage; so may a body with no content type. Anything else
    /// (audio, images, HTML error pages) is forwarded without being read.
    static func mayCarryUsage(contentType: String?) -> Bool {
        guard var contentType else { return true }
        // Compared as bytes: the same work with `Character`s cost about 5,000 instructions per
        // response (callgrind).
        return contentType.withUTF8 { field in
            var end = field.firstIndex(of: UInt8(ascii: ";")) ?? field.endIndex
            var start = field.startIndex
            while start < end, field[start] == 0x20 || field[start] == 0x09 { start += 1 }
            while end > start, field[end - 1] == 0x20 || field[end - 1] == 0x09 { end -= 1 }
            let mediaType = UnsafeBufferPointer(rebasing: field[start..<end])
            return mediaType.isEmpty || ASCIICase.equal(mediaType, lowercase: "text/event-stream")
                || ASCIICase.equal(mediaType, lowercase: "application/json")
                || (mediaType.count >= 5 && ASCIICase.equal(UnsafeBufferPointer(rebasing: mediaType.suffix(5)), lowercase: "+json"))
        }
    }
}
