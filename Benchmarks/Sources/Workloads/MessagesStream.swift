import UsageTap

/// An Anthropic Messages stream: `message_start` with the initial usage, a text block of
/// `content_block_delta` events with a `ping` every so often, and a final `message_delta`
/// whose usage is cumulative, then `message_stop`.
struct MessagesStream {
    let targetBytes: Int

    var workload: Workload {
        let model = "claude-sonnet-4-20250514"
        let input = 472, cacheWrite = 1_024, cacheRead = 2_048
        var stream = StreamBuilder(capacity: targetBytes)
        stream.event("message_start", data: #"{"type":"message_start","message":{"id":"msg_\#(Text.identifier(4))","type":"message","role":"assistant","model":"\#(model)","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(input),"cache_creation_input_tokens":\#(cacheWrite),"cache_read_input_tokens":\#(cacheRead),"output_tokens":1,"service_tier":"standard"}}}"#)
        stream.event("content_block_start", data: #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
        stream.event("ping", data: #"{"type": "ping"}"#)
        var deltas = 0
        while stream.count < targetBytes {
            stream.event("content_block_delta", data: #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(Text.delta(deltas))"}}"#)
            deltas += 1
            if deltas % 64 == 0 { stream.event("ping", data: #"{"type": "ping"}"#) }
        }
        stream.event("content_block_stop", data: #"{"type":"content_block_stop","index":0}"#)
        stream.event("message_delta", data: #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":\#(input),"cache_creation_input_tokens":\#(cacheWrite),"cache_read_input_tokens":\#(cacheRead),"output_tokens":\#(deltas)}}"#)
        stream.event("message_stop", data: #"{"type":"message_stop"}"#)
        let allInput = input + cacheWrite + cacheRead
        return Workload(
            name: "messages", bytes: stream.bytes, sliceSize: Workload.proxySliceSize, events: stream.events,
            expected: UsageRecord(
                apiProtocol: .messages, model: model, finished: true, inputTokens: allInput, outputTokens: deltas,
                totalTokens: allInput + deltas, cachedInputTokens: cacheRead, cacheWriteTokens: cacheWrite,
                reasoningTokens: 0))
    }
}
