import NIOCore
import NIOHTTP1
import Pricing
import UsageTap

/// The tap on one response body: decides from the response headers whether the body is
/// something usage can be read from, inflates a copy when it is encoded, and feeds the tap.
///
/// A class: the tap's state is a few kilobytes of fixed buffers, which as a value in the
/// exchange's optional field was zeroed when the exchange was made and copied when it was set
/// (about 10,000 instructions per request, callgrind); as an object it is built once in place.
/// What prices a response's cost from its record: the loop's price table.
protocol CostPricing: AnyObject {
    func cost(of record: UsageRecord) -> Cost?
}

final class ResponseTap {
    private var tap: UsageTap
    private var inflater: Inflater?
    private let reads: Bool
    /// With `--cost-in-stream`, for a body read as it is sent (no content coding): what prices
    /// the costs added to its usage objects (the loop's price table).
    private let pricing: (any CostPricing)?
    /// Bytes added to the body that the client has not yet taken: they are not the upstream's,
    /// so taking them gives the upstream no credit.
    private var addedNotTaken = 0

    /// A tap for a response with these fields; `pricing` when costs are to be added to it.
    init(protocol selection: ProtocolSelection, responseFields fields: HeaderFields, pricing: (any CostPricing)?) {
        guard fields.withValue(of: "content-type", { Self.mayCarryUsage(contentType: $0) }) else {
            tap = UsageTap(protocol: selection)
            reads = false
            self.pricing = nil
            return
        }
        let coding = Self.coding(fields)
        // Members can be added to a body only where its bytes are the JSON itself.
        self.pricing = coding == .identity ? pricing : nil
        tap = UsageTap(protocol: selection, stopsAtUsage: self.pricing != nil)
        switch coding {
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

    /// Whether the body's length may change on the way (costs are added to it): its
    /// `content-length` must not go to the client.
    var mayChangeLength: Bool { pricing != nil }

    /// Reads the next piece of the body and sends it to `client` as it came, with a cost added
    /// to each usage object it holds when costs are added. Returns the bytes sent.
    func pass(_ bytes: ByteBuffer, to client: (any ClientStream)?) -> Int {
        guard reads else {
            client?.sendResponseBody(bytes)
            return bytes.readableBytes
        }
        guard let pricing else {
            bytes.withUnsafeReadableBytes { raw in
                if let inflater {
                    inflater.inflate(raw) { tap.feed($0) }
                } else {
                    tap.feed(raw)
                }
            }
            client?.sendResponseBody(bytes)
            return bytes.readableBytes
        }
        return passAddingCosts(bytes, to: client, pricing: pricing)
    }

    /// Sends the bytes up to each priced usage object's closing brace, then its cost's members,
    /// then the rest, with nothing held back. Each piece sent costs the client's side a frame or
    /// a chunk (about 6,000 instructions towards HTTP/2, callgrind), so short stretches (up to
    /// 4 KiB: a usage chunk that came alone, the usual `}}` and `[DONE]` after it) are copied
    /// into one piece with the members; longer ones go as slices of the same storage.
    private func passAddingCosts(_ bytes: ByteBuffer, to client: (any ClientStream)?, pricing: any CostPricing) -> Int {
        var added = 0
        var forwarded = 0
        // The members added so far, with the short stretches around them, not yet sent.
        var pending: ByteBuffer?
        bytes.withUnsafeReadableBytes { raw in
            var start = 0
            while start < raw.count, let end = tap.readUntilUsage(UnsafeRawBufferPointer(rebasing: raw[start...])) {
                let brace = start &+ end.offset
                start = brace &+ 1
                guard let cost = pricing.cost(of: end.record) else { continue }
                // Safe to unwrap: forwarded <= brace < the readable bytes.
                let before = bytes.getSlice(at: bytes.readerIndex &+ forwarded, length: brace &- forwarded)!
                var piece: ByteBuffer
                if before.readableBytes > Self.shortRest {
                    if let earlier = pending { client?.sendResponseBody(earlier) }
                    client?.sendResponseBody(before)
                    piece = ByteBuffer()
                } else if var earlier = pending {
                    earlier.writeImmutableBuffer(before)
                    piece = earlier
                } else {
                    piece = before
                }
                let members = cost.usageMembers
                let count = members.count &+ (end.hasMembers ? 1 : 0)
                piece.reserveCapacity(minimumWritableBytes: count &+ Swift.min(raw.count &- brace, Self.shortRest))
                if end.hasMembers { piece.writeInteger(UInt8(ascii: ",")) }
                piece.writeBytes(members)
                // Counted before any of it is sent: the client's side may report it taken.
                addedNotTaken &+= count
                added &+= count
                pending = piece
                forwarded = brace
            }
        }
        guard var piece = pending else {
            client?.sendResponseBody(bytes)
            return bytes.readableBytes
        }
        // Safe to unwrap: forwarded <= the readable bytes.
        let rest = bytes.getSlice(at: bytes.readerIndex &+ forwarded, length: bytes.readableBytes &- forwarded)!
        if rest.readableBytes <= Self.shortRest {
            piece.writeImmutableBuffer(rest)
            client?.sendResponseBody(piece)
        } else {
            client?.sendResponseBody(piece)
            client?.sendResponseBody(rest)
        }
        return bytes.readableBytes &+ added
    }

    /// A stretch this short around the members is copied into their piece rather than sent as
    /// a piece of its own.
    private static let shortRest = 4096

    /// Of `count` bytes the client took, those that were the upstream's: the upstream is
    /// credited with these alone.
    func upstreamShare(ofTaken count: Int) -> Int {
        let added = min(addedNotTaken, count)
        addedNotTaken &-= added
        return count &- added
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
