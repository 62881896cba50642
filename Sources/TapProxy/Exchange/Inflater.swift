internal import CZlib

/// Inflates a copy of a gzip- or deflate-encoded body for the tap, a slice at a time, through a
/// fixed output buffer: memory stays the same whatever the body's size.
///
/// The encoded bytes themselves are forwarded untouched by the caller; this only reads them.
final class Inflater {
    enum Encoding {
        /// `gzip` / `x-gzip`.
        case gzip
        /// `deflate`: zlib-wrapped by the RFC, raw deflate from some servers; the header tells.
        case deflate
    }

    // zlib's state points back at its z_stream, so the stream must never move: it lives on the heap.
    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableRawBufferPointer
    private let encoding: Encoding
    private var started = false
    /// The first byte of a deflate body that arrived alone.
    private var heldByte: UInt8?
    /// Set once the input can no longer be inflated; what follows is not read.
    private(set) var failed = false

    init(_ encoding: Encoding, outputBytes: Int = 16 << 10) {
        self.encoding = encoding
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(byteCount: outputBytes, alignment: 16)
    }

    deinit {
        if started { inflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    /// Inflates `input` and hands each piece of output to `body`, which must not keep it.
    func inflate(_ input: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        guard !failed, !input.isEmpty else { return }
        if !started {
            // deflate's first two bytes tell zlib-wrapped from raw: hold a lone first byte back.
            if encoding == .deflate, heldByte == nil, input.count == 1 {
                heldByte = input[0]
                return
            }
            // gzip: 16 + 15 window bits; zlib-wrapped deflate: 15; raw deflate: -15.
            let windowBits: Int32
            switch encoding {
            case .gzip:
                // Whatever its first slice's length: a one-byte slice has no second byte to read.
                windowBits = 31
            case .deflate:
                // Two bytes: a lone first one was held back above, and `input` is not empty.
                assert(heldByte != nil || input.count >= 2)
                let first = heldByte ?? input[0]
                let second = heldByte == nil ? input[1] : input[0]
                windowBits = Self.isZlibHeader(first, second) ? 15 : -15
            }
            guard usagetap_inflate_init(stream, windowBits) == Z_OK else { return fail() }
            started = true
            if var held = heldByte {
                heldByte = nil
                withUnsafeBytes(of: &held) { inflate($0, body) }
            }
        }
        // zlib reads through a mutable pointer but never writes the input.
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        repeat {
            stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = uInt(output.count)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 { body(UnsafeRawBufferPointer(rebasing: output[..<produced])) }
            switch status {
            case Z_OK:
                break
            case Z_STREAM_END:
                // A gzip body may hold several members one after another.
                guard stream.pointee.avail_in > 0 else { return }
                guard inflateReset(stream) == Z_OK else { return fail() }
            case Z_BUF_ERROR:
                return  // no progress without more input
            default:
                return fail()
            }
            // A full output buffer may mean more output is waiting.
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
        stream.pointee.next_in = nil
    }

    private func fail() {
        failed = true
    }

    /// RFC 1950: CMF says deflate (8) and CMF·FLG is a multiple of 31.
    private static func isZlibHeader(_ cmf: UInt8, _ flags: UInt8) -> Bool {
        cmf & 0x0F == 8 && (UInt16(cmf) << 8 | UInt16(flags)) % 31 == 0
    }
}
