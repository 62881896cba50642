import CUsageTapABI
import UsageTap

// The tap's half of usagetap.h. Every function checks its arguments and answers with a status:
// nothing here may trap on what a C caller passes.

@_cdecl("usagetap_protocol_for_path")
public func usagetap_protocol_for_path(_ path: UnsafePointer<CChar>?, _ length: Int) -> usagetap_protocol {
    guard let path, length >= 0 else { return USAGETAP_AUTO }
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self), count: length)
    return CProtocol.number(of: ProtocolSelection(requestTarget: bytes).fixed)
}

@_cdecl("usagetap_new")
public func usagetap_new(_ number: usagetap_protocol) -> OpaquePointer? {
    guard let selection = CProtocol.selection(number) else { return nil }
    return OpaquePointer(Unmanaged.passRetained(TapHandle(protocol: selection)).toOpaque())
}

@_cdecl("usagetap_feed")
public func usagetap_feed(_ tap: OpaquePointer?, _ bytes: UnsafeRawPointer?, _ length: Int) -> usagetap_status {
    guard let tap else { return USAGETAP_ERROR_NULL }
    // A size_t over SIZE_MAX / 2 arrives as a negative Int.
    guard length >= 0 else { return USAGETAP_ERROR_LENGTH }
    guard length > 0 else { return USAGETAP_OK }
    guard let bytes else { return USAGETAP_ERROR_NULL }
    let handle = TapHandle.from(tap)
    handle.tap.pointee.feed(UnsafeRawBufferPointer(start: bytes, count: length))
    handle.changed()
    return USAGETAP_OK
}

@_cdecl("usagetap_finish")
public func usagetap_finish(_ tap: OpaquePointer?) -> usagetap_status {
    guard let tap else { return USAGETAP_ERROR_NULL }
    let handle = TapHandle.from(tap)
    handle.tap.pointee.finish()
    handle.changed()
    return USAGETAP_OK
}

@_cdecl("usagetap_reset")
public func usagetap_reset(_ tap: OpaquePointer?, _ number: usagetap_protocol) -> usagetap_status {
    guard let tap else { return USAGETAP_ERROR_NULL }
    guard let selection = CProtocol.selection(number) else { return USAGETAP_ERROR_ARGUMENT }
    let handle = TapHandle.from(tap)
    handle.tap.pointee = UsageTap(protocol: selection)
    handle.changed()
    return USAGETAP_OK
}

@_cdecl("usagetap_free")
public func usagetap_free(_ tap: OpaquePointer?) {
    guard let tap else { return }
    Unmanaged<TapHandle>.fromOpaque(UnsafeRawPointer(tap)).release()
}

@_cdecl("usagetap_get_record")
public func usagetap_get_record(_ tap: OpaquePointer?, _ out: UnsafeMutablePointer<usagetap_record>?) -> usagetap_status {
    guard let tap, let out else { return USAGETAP_ERROR_NULL }
    let handle = TapHandle.from(tap)
    let record = handle.record
    let model = handle.model.hold(record.model)
    let error = handle.error.hold(record.error)
    out.pointee = usagetap_record(
        protocol: Int32(CProtocol.number(of: record.apiProtocol).rawValue),
        finished: record.finished ? 1 : 0,
        input_tokens: CProtocol.count(record.inputTokens),
        output_tokens: CProtocol.count(record.outputTokens),
        total_tokens: CProtocol.count(record.totalTokens),
        cached_input_tokens: CProtocol.count(record.cachedInputTokens),
        cache_write_tokens: CProtocol.count(record.cacheWriteTokens),
        cache_write_1h_tokens: CProtocol.count(record.cacheWrite1hTokens),
        reasoning_tokens: CProtocol.count(record.reasoningTokens),
        web_search_requests: Int64(record.webSearchRequests),
        model: model.pointer, model_length: model.length,
        error: error.pointer, error_length: error.length
    )
    return USAGETAP_OK
}

@_cdecl("usagetap_get_record_json")
public func usagetap_get_record_json(
    _ tap: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ length: UnsafeMutablePointer<Int>?
) -> usagetap_status {
    guard let tap, let length else { return USAGETAP_ERROR_NULL }
    guard capacity >= 0 else { return USAGETAP_ERROR_LENGTH }
    var json = JSONObjectWriter()
    TapHandle.from(tap).record.addFields(to: &json)
    let line = json.finishBytes()
    length.pointee = line.count
    guard capacity > line.count else { return USAGETAP_ERROR_SPACE }
    guard let buffer else { return USAGETAP_ERROR_NULL }
    line.withUnsafeBytes { bytes in
        // Safe: the buffer holds capacity > line.count bytes.
        UnsafeMutableRawPointer(buffer).copyMemory(from: bytes.baseAddress.unsafelyUnwrapped, byteCount: bytes.count)
    }
    buffer[line.count] = 0
    return USAGETAP_OK
}

/// The numbers of `usagetap_protocol` and the tap's own types, both ways.
enum CProtocol {
    static func selection(_ number: usagetap_protocol) -> ProtocolSelection? {
        switch number {
        case USAGETAP_AUTO: .auto
        case USAGETAP_CHAT: .chat
        case USAGETAP_RESPONSES: .responses
        case USAGETAP_MESSAGES: .messages
        case USAGETAP_GEMINI: .gemini
        default: nil
        }
    }

    static func number(of apiProtocol: APIProtocol?) -> usagetap_protocol {
        switch apiProtocol {
        case nil: USAGETAP_AUTO
        case .chat: USAGETAP_CHAT
        case .responses: USAGETAP_RESPONSES
        case .messages: USAGETAP_MESSAGES
        case .gemini: USAGETAP_GEMINI
        }
    }

    static func count(_ value: Int?) -> usagetap_count {
        guard let value else { return usagetap_count(value: 0, known: 0) }
        return usagetap_count(value: Int64(value), known: 1)
    }
}
