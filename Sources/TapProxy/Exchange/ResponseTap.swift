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
        guard let contentType else { return true }
        let mediaType = contentType.prefix(while: { $0 != ";" }).trimmingSpaces.lowercased()
        return mediaType.isEmpty || mediaType == "text/event-stream" || mediaType == "application/json"
            || mediaType.hasSuffix("+json")
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
