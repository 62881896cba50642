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

    init(protocol selection: ProtocolSelection, responseFields fields: HeaderFields) {
        tap = UsageTap(protocol: selection)
        guard fields.withValue(of: "content-type", { Self.mayCarryUsage(contentType: $0) }) else {
            reads = false
            return
        }
        switch Self.coding(fields) {
        case .identity:
            reads = true
        case .gzip:
            inflater = Inflater(.gzip)
            reads = true
        case .deflate:
            inflater = Inflater(.deflate)
            reads = true
        case .unreadable:
            // br, zstd, or stacked codings: forwarded as they are, usage left unknown.
            reads = false
        }
    }

    private enum Coding { case identity, gzip, deflate, unreadable }

    /// The body's content coding, from every `Content-Encoding` field (`identity` aside).
    private static func coding(_ fields: HeaderFields) -> Coding {
        var coding = Coding.identity
        fields.forEachValue(of: "content-encoding") { value in
            FieldValue.forEachElement(of: value) { token in
                if ASCIICase.equal(token, lowercase: "identity") { return }
                let this: Coding = ASCIICase.equal(token, lowercase: "gzip") || ASCIICase.equal(token, lowercase: "x-gzip") ? .gzip
                    : ASCIICase.equal(token, lowercase: "deflate") ? .deflate : .unreadable
                // A second coding on top of the first cannot be read.
                coding = coding == .identity ? this : .unreadable
            }
        }
        return coding
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
        return ASCIICase.withUTF8(contentType) { mayCarryUsage(contentType: UnsafeRawBufferPointer($0)) }
    }

    static func mayCarryUsage(contentType field: UnsafeRawBufferPointer?) -> Bool {
        guard let field else { return true }
        // Compared as bytes: the same work with `Character`s cost about 5,000 instructions per
        // response (callgrind).
        let end = field.firstIndex(of: UInt8(ascii: ";")) ?? field.endIndex
        let mediaType = FieldValue.trimmed(UnsafeRawBufferPointer(rebasing: field[..<end]))
        return mediaType.isEmpty || ASCIICase.equal(mediaType, lowercase: "text/event-stream")
            || ASCIICase.equal(mediaType, lowercase: "application/json")
            || (mediaType.count >= 5 && ASCIICase.equal(UnsafeRawBufferPointer(rebasing: mediaType.suffix(5)), lowercase: "+json"))
    }
}
