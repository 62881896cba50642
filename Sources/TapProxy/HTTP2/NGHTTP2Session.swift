internal import CNghttp2
import NIOCore
import NIOHTTP1

/// One header block as received: the pseudo-header fields, then the regular ones as bytes.
struct HTTP2HeaderBlock {
    var pseudo: [(name: String, value: String)] = []
    var regular: HeaderFields
    /// The regular fields as `HTTPHeaders`, made once (a request's, or trailers).
    var fields: HTTPHeaders { regular.httpHeaders }
    /// Bytes of names and values so far, to enforce the header size limit.
    var size = 0

    /// An empty block with room for a typical head's fields, so that it is not regrown field
    /// by field.
    init() {
        pseudo.reserveCapacity(4)
        regular = HeaderFields()
    }

    func pseudo(_ name: String) -> String? {
        pseudo.first(where: { $0.name == name })?.value
    }
}

/// A setting this proxy sends in its SETTINGS frame (RFC 9113 §6.5.2).
enum HTTP2Setting {
    case enablePush(Bool)
    case maxConcurrentStreams(Int)
    case initialWindowSize(Int)
    case maxHeaderListSize(Int)

    fileprivate var entry: nghttp2_settings_entry {
        switch self {
        case .enablePush(let on): entry(NGHTTP2_SETTINGS_ENABLE_PUSH, on ? 1 : 0)
        case .maxConcurrentStreams(let count): entry(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, count)
        case .initialWindowSize(let bytes): entry(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, bytes)
        case .maxHeaderListSize(let bytes): entry(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, bytes)
        }
    }

    private func entry(_ id: nghttp2_settings_id, _ value: Int) -> nghttp2_settings_entry {
        nghttp2_settings_entry(settings_id: Int32(id.rawValue), value: UInt32(clamping: value))
    }
}

/// A stream's error code (RFC 9113 §7): the ones the proxy sends, and any it receives.
struct HTTP2ErrorCode: Equatable, CustomStringConvertible {
    let rawValue: UInt32

    static let noError = HTTP2ErrorCode(rawValue: NGHTTP2_NO_ERROR.rawValue)
    static let protocolError = HTTP2ErrorCode(rawValue: NGHTTP2_PROTOCOL_ERROR.rawValue)
    static let internalError = HTTP2ErrorCode(rawValue: NGHTTP2_INTERNAL_ERROR.rawValue)
    static let cancel = HTTP2ErrorCode(rawValue: NGHTTP2_CANCEL.rawValue)
    static let enhanceYourCalm = HTTP2ErrorCode(rawValue: NGHTTP2_ENHANCE_YOUR_CALM.rawValue)

    /// The code's name (`PROTOCOL_ERROR`), or "unknown error code".
    var description: String { String(cString: nghttp2_http2_strerror(rawValue)) }
}

/// What a session reports to the connection that owns it. Called from inside
/// ``NGHTTP2Session/receive(_:)`` and ``NGHTTP2Session/send(to:)``.
protocol NGHTTP2SessionDelegate: AnyObject {
    /// A whole header block arrived on `streamID` (a head, or trailers).
    /// The block is handed over (consumed), so that a receiver keeping its fields holds the
    /// only reference to their storage and can change them without a copy.
    func received(headers: consuming HTTP2HeaderBlock, streamID: Int32, endsStream: Bool)
    /// A piece of a body arrived; it must be given back with ``NGHTTP2Session/consume(_:streamID:)``
    /// once it has been passed on, which is what reopens the peer's flow-control window.
    func received(data: ByteBuffer, streamID: Int32)
    /// END_STREAM arrived on a DATA frame.
    func receivedEnd(streamID: Int32)
    /// A DATA frame that carries nothing: no payload (padding aside) and no END_STREAM. No
    /// client needs one; an empty-DATA flood is made of them.
    func receivedEmptyData(streamID: Int32)
    /// The stream is closed; `errorCode` is `.noError` when it ended normally both ways.
    func closed(streamID: Int32, errorCode: HTTP2ErrorCode)
    /// `count` bytes of the stream's queued body went into DATA frames.
    func sent(bodyBytes count: Int, streamID: Int32)
    /// The peer sent GOAWAY: no new streams on this connection.
    func receivedGoAway()
    /// Frames are about to be flushed to the peer (see ``LoopContext/flushJournal()``).
    func willFlush()
}

/// An nghttp2 session, client or server, fed from and writing to a NIO channel.
///
/// nghttp2 does the framing, HPACK, flow control and stream states; this type moves bytes in
/// and out without copying bodies: received DATA payloads are handed on as slices of the
/// channel's own read buffer, and queued bodies are written as slices behind their 9-byte frame
/// headers (`NGHTTP2_DATA_FLAG_NO_COPY`). Flow control is manual: nothing is consumed until the
/// other side of the proxy has taken it, so a slow reader holds its writer back.
final class NGHTTP2Session {
    enum Role { case client, server }

    struct ProtocolError: Error, CustomStringConvertible {
        var code: Int
        var description: String { "HTTP/2: " + String(cString: nghttp2_strerror(Int32(code))) }
    }

    /// A body being sent on one stream: slices waiting to go into DATA frames.
    private struct OutboundBody {
        var pending = CircularBuffer<ByteBuffer>(initialCapacity: 4)
        var ended = false
        var trailers: HTTPHeaders?
        /// nghttp2 was told there was nothing to send yet: it waits for `resume_data`.
        var deferred = false

        /// Queues `bytes`; true when nghttp2 must be told to resume.
        mutating func append(_ bytes: ByteBuffer) -> Bool {
            pending.append(bytes)
            return resumes()
        }

        /// Ends the body; true when nghttp2 must be told to resume.
        mutating func end(trailers: HTTPHeaders?) -> Bool {
            ended = true
            if let trailers, !trailers.isEmpty { self.trailers = trailers }
            return resumes()
        }

        private mutating func resumes() -> Bool {
            defer { deferred = false }
            return deferred
        }

        /// The next `length` bytes, from the first queued slice (nghttp2 asked for no more).
        mutating func take(_ length: Int) -> ByteBuffer {
            // Safe: readBody offered at most the first slice's readable bytes.
            let slice = pending[pending.startIndex].readSlice(length: length).unsafelyUnwrapped
            if pending[pending.startIndex].readableBytes == 0 { pending.removeFirst() }
            return slice
        }
    }

    weak var delegate: (any NGHTTP2SessionDelegate)?
    let role: Role
    private var session: OpaquePointer!
    // Unchecked: these are changed from nghttp2's callbacks, which the compiler cannot see
    // into, so every change was checked at run time for an overlapping access (a few hundred
    // instructions each, 22 header fields a request). None can overlap: the session is used
    // on its event loop only, and no callback runs while one of these is being changed.
    @exclusivity(unchecked) private var outbound = StreamMap<OutboundBody>()
    /// The header block being received, from its HEADERS frame's first field to its end.
    @exclusivity(unchecked) private var pendingHeaders: HTTP2HeaderBlock?
    /// The stream of ``pendingHeaders``: a block refused part way (too large) ends with its stream.
    @exclusivity(unchecked) private var pendingHeadersStreamID: Int32 = 0
    /// The peer's first SETTINGS has arrived: for a server, the client's connection preface is whole.
    @exclusivity(unchecked) private var receivedPeerSettings = false
    private let maxHeaderBytes: Int

    /// The peer has begun something it must finish before anything else can happen: its
    /// connection preface (the SETTINGS that follow the magic), or a header block (HEADERS and
    /// its CONTINUATIONs). A peer that dribbles these holds the connection for nothing
    /// (slowloris); the owner times it.
    var isAwaitingHeaderBytes: Bool { pendingHeaders != nil || !receivedPeerSettings }

    /// The channel handler the session reads for and writes to, from `init` until ``unbind()``.
    private var channel: ChannelHandlerContext?
    private var sendScheduled = false
    /// Set when the connection should close once what is queued has gone out (a drained server
    /// with no streams left).
    var closesAfterSend = false

    // Valid only during `receive` / `send`.
    private var input: ByteBuffer?
    private var inputBase: UnsafeRawPointer?
    private var output: ChannelHandlerContext?
    @exclusivity(unchecked) private var staging: ByteBuffer
    private var isSending = false

    /// A session writing to `context`'s channel; the owning handler makes it in `handlerAdded`
    /// and calls ``unbind()`` in `handlerRemoved`.
    init(role: Role, settings: [HTTP2Setting], connectionWindow: Int32,
         maxHeaderBytes: Int, context: ChannelHandlerContext) {
        self.role = role
        self.maxHeaderBytes = maxHeaderBytes
        self.channel = context
        self.staging = context.channel.allocator.buffer(capacity: 4096)

        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        Self.install(callbacks!)
        var options: OpaquePointer?
        nghttp2_option_new(&options)
        defer { nghttp2_option_del(options) }
        nghttp2_option_set_no_auto_window_update(options, 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        let status = role == .server
            ? nghttp2_session_server_new2(&session, callbacks, me, options)
            : nghttp2_session_client_new2(&session, callbacks, me, options)
        precondition(status == 0 && session != nil, "nghttp2 session: out of memory")

        var entries = settings.map(\.entry)
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow)
    }

    deinit {
        nghttp2_session_del(session)
    }

    /// Forgets the channel: nothing is written after this.
    func unbind() {
        channel = nil
    }

    // MARK: Input

    /// Processes bytes from the peer. On a connection error, sends the GOAWAY nghttp2 queued to
    /// say why, closes the channel and returns false.
    func receiveOrHangUp(_ bytes: ByteBuffer) -> Bool {
        do {
            try receive(bytes)
            return true
        } catch {
            sendNow()
            channel?.close(promise: nil)
            return false
        }
    }

    private func receive(_ bytes: ByteBuffer) throws {
        input = bytes
        defer { input = nil; inputBase = nil }
        let processed = bytes.withUnsafeReadableBytes { raw -> Int in
            inputBase = raw.baseAddress
            guard let base = raw.baseAddress else { return 0 }
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), raw.count)
        }
        if processed < 0 { throw ProtocolError(code: processed) }
    }

    /// Gives back `count` received body bytes of `streamID` (also after the stream closed, when
    /// only the connection's window is reopened).
    func consume(_ count: Int, streamID: Int32) {
        guard count > 0 else { return }
        nghttp2_session_consume(session, streamID, count)
    }

    /// The streams the peer lets this side have open at once (its SETTINGS_MAX_CONCURRENT_STREAMS;
    /// 100 until its SETTINGS come, as nghttp2 assumes).
    var peerStreamLimit: Int {
        Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Widens the window `streamID` gives its peer to `size` bytes in all (a WINDOW_UPDATE of
    /// the difference).
    func setWindow(_ size: Int, streamID: Int32) {
        nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, Int32(clamping: size))
    }

    // MARK: Output

    /// Starts a request (client role); returns its stream id, or nil when the session refuses
    /// (GOAWAY received, ids exhausted).
    func submitRequest(pseudo: [(StaticString, String)], fields: UnsafeBufferPointer<HeaderFields.Field>, hasBody: Bool) -> Int32? {
        let id = withHeaderList(pseudo: pseudo, fields: fields) { list, count -> Int32 in
            if hasBody {
                var provider = Self.dataProvider
                return nghttp2_submit_request(session, nil, list, count, &provider, nil)
            }
            return nghttp2_submit_request(session, nil, list, count, nil, nil)
        }
        guard id > 0 else { return nil }
        if hasBody { outbound.set(OutboundBody(), for: id) }
        return id
    }

    /// Starts a response (server role) with `fields` after `:status`; its body follows through
    /// ``enqueue(_:streamID:)``.
    func submitResponse(status: Int, fields: UnsafeBufferPointer<HeaderFields.Field>, streamID: Int32, hasBody: Bool) {
        let result = withHeaderList(pseudo: [(":status", String(status))], fields: fields) { list, count -> Int32 in
            if hasBody {
                var provider = Self.dataProvider
                return nghttp2_submit_response(session, streamID, list, count, &provider)
            }
            return nghttp2_submit_response(session, streamID, list, count, nil)
        }
        if result == 0, hasBody { outbound.set(OutboundBody(), for: streamID) }
    }

    /// An interim (1xx) head, before the final one.
    func submitInterimHead(status: Int, fields: UnsafeBufferPointer<HeaderFields.Field>, streamID: Int32) {
        _ = withHeaderList(pseudo: [(":status", String(status))], fields: fields) { list, count in
            nghttp2_submit_headers(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, nil, list, count, nil)
        }
    }

    /// Queues a piece of the stream's body, to go out as it is.
    func enqueue(_ bytes: ByteBuffer, streamID: Int32) {
        guard bytes.readableBytes > 0, outbound.update(streamID, { $0.append(bytes) }) == true else { return }
        nghttp2_session_resume_data(session, streamID)
    }

    /// Ends the stream's body, with trailers when there are some.
    func endBody(streamID: Int32, trailers: HTTPHeaders?) {
        guard outbound.update(streamID, { $0.end(trailers: trailers) }) == true else { return }
        nghttp2_session_resume_data(session, streamID)
    }

    func reset(streamID: Int32, errorCode: HTTP2ErrorCode) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, errorCode.rawValue)
    }

    /// GOAWAY with the last stream this side processed: no new streams, in-flight ones finish.
    func goAway(errorCode: HTTP2ErrorCode = .noError) {
        let last = nghttp2_session_get_last_proc_stream_id(session)
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), last, errorCode.rawValue, nil, 0)
    }

    /// Sends what is queued at the end of this event loop turn, so that the writes of every
    /// stream touched in this turn go out together.
    func scheduleSend() {
        guard !sendScheduled, let channel else { return }
        sendScheduled = true
        channel.eventLoop.assumeIsolated().execute { self.sendNow() }
    }

    /// Sends what is queued now, if the channel takes writes; closes the channel when the
    /// session fails, is done (GOAWAY both ways), or ``closesAfterSend`` is set.
    func sendNow() {
        sendScheduled = false
        guard let context = channel, context.channel.isWritable else { return }
        do {
            try send(to: context)
        } catch {
            context.close(promise: nil)
            return
        }
        let isDone = nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
        if isDone || closesAfterSend { context.close(promise: nil) }
    }

    /// Writes every frame nghttp2 has ready to the channel, then flushes. Bodies are written as
    /// slices of their own buffers.
    private func send(to context: ChannelHandlerContext) throws {
        guard !isSending else { return }
        isSending = true
        output = context
        defer { output = nil; isSending = false }
        let status = nghttp2_session_send(session)
        if staging.readableBytes > 0 {
            context.write(NIOAny(staging), promise: nil)
            staging = context.channel.allocator.buffer(capacity: 4096)
        }
        delegate?.willFlush()
        context.flush()
        if status < 0 { throw ProtocolError(code: Int(status)) }
    }

    // MARK: Private

    /// Lends nghttp2 a header list for the duration of one submit call: names lowercased, as
    /// HTTP/2 requires, names and values packed into one temporary buffer (on the stack when
    /// small), copied a field at a time rather than a byte at a time.
    private func withHeaderList<R>(_ fields: [(String, String)], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var total = 0
        for (name, value) in fields { total += name.utf8.count + value.utf8.count }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { packed in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(fields.count, 1)) { list in
                // Safe: temporary allocations of capacity 1 or more have base addresses.
                let base = packed.baseAddress.unsafelyUnwrapped
                var offset = 0
                for (index, (name, value)) in fields.enumerated() {
                    let nameStart = offset
                    offset = Self.pack(name, into: packed, at: offset)
                    for position in nameStart..<offset { packed[position] = ASCIICase.lowercased(packed[position]) }
                    let valueStart = offset
                    offset = Self.pack(value, into: packed, at: offset)
                    // nghttp2 copies names and values during the submit call (no NO_COPY flags).
                    list.initializeElement(at: index, to: nghttp2_nv(
                        name: base + nameStart, value: base + valueStart,
                        namelen: valueStart - nameStart, valuelen: offset - valueStart,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
                }
                assert(offset == total)
                defer { list.baseAddress.unsafelyUnwrapped.deinitialize(count: fields.count) }
                return body(list.baseAddress.unsafelyUnwrapped, fields.count)
            }
        }
    }

    /// Lends nghttp2 a head's header list for one submit call: the `pseudo` fields, then
    /// `fields`; pseudo values and the fields' names (lowercased) packed into one temporary
    /// buffer (on the stack when small), the fields' values where they lie.
    private func withHeaderList<R>(pseudo: [(StaticString, String)], fields: UnsafeBufferPointer<HeaderFields.Field>,
                                   _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        var total = 0
        for (_, value) in pseudo { total += value.utf8.count }
        for field in fields { total += field.name.count }
        let count = pseudo.count + fields.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(total, 1)) { packed in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: max(count, 1)) { list in
                // Safe: temporary allocations of capacity 1 or more have base addresses.
                let base = packed.baseAddress.unsafelyUnwrapped
                var offset = 0
                // nghttp2 copies names and values during the submit call (no NO_COPY flags), and
                // only reads them: static names and the fields' values are never written through.
                for (index, (name, value)) in pseudo.enumerated() {
                    let valueStart = offset
                    offset = Self.pack(value, into: packed, at: offset)
                    list.initializeElement(at: index, to: nghttp2_nv(
                        name: UnsafeMutablePointer(mutating: name.utf8Start), value: base + valueStart,
                        namelen: name.utf8CodeUnitCount, valuelen: offset - valueStart, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
                }
                for (index, field) in fields.enumerated() {
                    let nameStart = offset
                    for byte in field.name {
                        packed[offset] = ASCIICase.lowercased(byte)
                        offset += 1
                    }
                    list.initializeElement(at: pseudo.count + index, to: nghttp2_nv(
                        name: base + nameStart,
                        value: field.value.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: UInt8.self)) } ?? base,
                        namelen: field.name.count, valuelen: field.value.count,
                        flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)))
                }
                assert(offset == total)
                defer { list.baseAddress.unsafelyUnwrapped.deinitialize(count: count) }
                return body(list.baseAddress.unsafelyUnwrapped, count)
            }
        }
    }

    /// Copies `text`'s UTF-8 bytes into `buffer` from `offset`; returns the offset after them.
    private static func pack(_ text: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            // Safe: `buffer` was sized from the same strings' UTF-8 counts.
            assert(offset + bytes.count <= buffer.count)
            guard let source = bytes.baseAddress else { return offset }
            (buffer.baseAddress.unsafelyUnwrapped + offset).update(from: source, count: bytes.count)
            return offset + bytes.count
        }
    }

    private static func session(_ userData: UnsafeMutableRawPointer?) -> NGHTTP2Session {
        // userData is the unretained self given to nghttp2_session_*_new2; the session dies first.
        Unmanaged<NGHTTP2Session>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let dataProvider = nghttp2_data_provider(
        source: nghttp2_data_source(ptr: nil),
        read_callback: { _, streamID, _, length, flags, _, userData -> Int in
            NGHTTP2Session.session(userData).readBody(streamID: streamID, length: length, flags: flags!)
        }
    )

    /// Decides the next DATA frame of a stream: as much of the first queued slice as fits.
    private func readBody(streamID: Int32, length: Int, flags: UnsafeMutablePointer<UInt32>) -> Int {
        var trailers: HTTPHeaders?
        let result = outbound.update(streamID) { body -> Int in
            if let first = body.pending.first {
                let count = min(length, first.readableBytes)
                flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
                if body.ended, body.pending.count == 1, count == first.readableBytes {
                    trailers = Self.markEnd(&body, flags: flags)
                }
                return count
            }
            if body.ended {
                trailers = Self.markEnd(&body, flags: flags)
                return 0
            }
            body.deferred = true
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)
        }
        if let trailers {
            let fields = trailers.map { ($0.name, $0.value) }
            _ = withHeaderList(fields) { list, count in nghttp2_submit_trailer(session, streamID, list, count) }
        }
        return result ?? Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
    }

    /// Flags the frame as the body's last; returns the trailers to send after it, if any.
    private static func markEnd(_ body: inout OutboundBody, flags: UnsafeMutablePointer<UInt32>) -> HTTPHeaders? {
        flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        guard let trailers = body.trailers else { return nil }
        flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
        body.trailers = nil
        return trailers
    }

    /// Writes one DATA frame: the header nghttp2 made, then the slice itself.
    private func writeBody(streamID: Int32, frameHeader: UnsafePointer<UInt8>, length: Int, padding: Int) -> Int32 {
        guard let context = output else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
        var slice: ByteBuffer?
        if length > 0 {
            guard let taken = outbound.update(streamID, { $0.take(length) }) else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
            slice = taken
        } else {
            guard outbound.contains(streamID) else { return NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }
        }
        staging.writeBytes(UnsafeRawBufferPointer(start: frameHeader, count: 9))
        if padding > 0 { staging.writeInteger(UInt8(padding - 1)) }
        if let slice {
            context.write(NIOAny(staging), promise: nil)
            staging = context.channel.allocator.buffer(capacity: 4096)
            context.write(NIOAny(slice), promise: nil)
        }
        if padding > 1 { staging.writeRepeatingByte(0, count: padding - 1) }
        delegate?.sent(bodyBytes: length, streamID: streamID)
        return 0
    }

    private static func install(_ callbacks: OpaquePointer) {
        nghttp2_session_callbacks_set_send_callback(callbacks) { _, data, length, _, userData in
            let me = NGHTTP2Session.session(userData)
            me.staging.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
            // Control frames are small; a big batch goes out without waiting for the end.
            if me.staging.readableBytes >= 64 << 10, let context = me.output {
                context.write(NIOAny(me.staging), promise: nil)
                me.staging = context.channel.allocator.buffer(capacity: 4096)
            }
            return length
        }
        nghttp2_session_callbacks_set_send_data_callback(callbacks) { _, frame, header, length, _, userData in
            NGHTTP2Session.session(userData).writeBody(
                streamID: frame!.pointee.hd.stream_id, frameHeader: header!, length: length,
                padding: Int(frame!.pointee.data.padlen))
        }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks) { _, frame, userData in
            let me = NGHTTP2Session.session(userData)
            me.pendingHeaders = HTTP2HeaderBlock()
            me.pendingHeadersStreamID = frame!.pointee.hd.stream_id
            return 0
        }
        nghttp2_session_callbacks_set_on_header_callback(callbacks) { _, _, name, nameLength, value, valueLength, _, userData in
            NGHTTP2Session.session(userData).addHeader(
                name: UnsafeBufferPointer(start: name, count: nameLength),
                value: UnsafeBufferPointer(start: value, count: valueLength))
        }
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks) { _, frame, userData in
            NGHTTP2Session.session(userData).receivedFrame(frame!)
        }
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks) { _, _, streamID, data, length, userData in
            NGHTTP2Session.session(userData).receivedData(streamID: streamID, data: data!, length: length)
        }
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks) { _, streamID, errorCode, userData in
            let me = NGHTTP2Session.session(userData)
            me.outbound.removeValue(forKey: streamID)
            if streamID == me.pendingHeadersStreamID { me.pendingHeaders = nil }
            me.delegate?.closed(streamID: streamID, errorCode: HTTP2ErrorCode(rawValue: errorCode))
            return 0
        }
    }

    private func addHeader(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Int32 {
        guard pendingHeaders != nil else { return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue }
        pendingHeaders!.size += name.count + value.count + 32
        // Past the limit the stream is reset (RST_STREAM), not the connection.
        guard pendingHeaders!.size <= maxHeaderBytes else { return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue }
        if name.first == UInt8(ascii: ":") {
            pendingHeaders!.pseudo.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        } else {
            pendingHeaders!.regular.append(name: UnsafeRawBufferPointer(name), value: UnsafeRawBufferPointer(value))
        }
        return 0
    }

    private func receivedFrame(_ frame: UnsafePointer<nghttp2_frame>) -> Int32 {
        let header = frame.pointee.hd
        let endsStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch Int(header.type) {
        case Int(NGHTTP2_HEADERS.rawValue):
            guard let block = pendingHeaders.take() else { break }
            delegate?.received(headers: consume block, streamID: header.stream_id, endsStream: endsStream)
        case Int(NGHTTP2_DATA.rawValue):
            if endsStream {
                delegate?.receivedEnd(streamID: header.stream_id)
            } else if header.length <= frame.pointee.data.padlen {
                delegate?.receivedEmptyData(streamID: header.stream_id)
            }
        case Int(NGHTTP2_GOAWAY.rawValue):
            delegate?.receivedGoAway()
        case Int(NGHTTP2_SETTINGS.rawValue):
            receivedPeerSettings = true
        default:
            break
        }
        return 0
    }

    private func receivedData(streamID: Int32, data: UnsafePointer<UInt8>, length: Int) -> Int32 {
        guard let delegate else { return 0 }
        // DATA payloads point into the buffer given to mem_recv: hand on a slice of it.
        if let input, let inputBase, UnsafeRawPointer(data) >= inputBase,
           UnsafeRawPointer(data) + length <= inputBase + input.readableBytes {
            let offset = UnsafeRawPointer(data) - inputBase
            delegate.received(data: input.getSlice(at: input.readerIndex + offset, length: length)!, streamID: streamID)
        } else {
            var copy = ByteBufferAllocator().buffer(capacity: length)
            copy.writeBytes(UnsafeRawBufferPointer(start: data, count: length))
            delegate.received(data: copy, streamID: streamID)
        }
        return 0
    }
}
