import UsageTap

/// An OpenAI Chat Completions stream with `stream_options.include_usage`: a role chunk, content
/// chunks with `"usage":null`, a finish chunk, the usage chunk with empty `choices`, `[DONE]`.
struct ChatStream {
    let targetBytes: Int

    var workload: Workload {
        let model = "gpt-4o-2024-08-06"
        let head = #"{"id":"chatcmpl-\#(Text.identifier(1, length: 29))","object":"chat.completion.chunk","created":1741569952,"model":"\#(model)","service_tier":"default","system_fingerprint":"fp_f9f4fb6dbf","choices":"#
        var stream = StreamBuilder(capacity: targetBytes)
        stream.event(data: head + #"[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"#)
        var chunks = 0
        while stream.count < targetBytes {
            stream.event(data: head + #"[{"index":0,"delta":{"content":"\#(Text.delta(chunks))"},"logprobs":null,"finish_reason":null}],"usage":null}"#)
            chunks += 1
        }
        stream.event(data: head + #"[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#)
        let prompt = 1_843, cached = 1_536, reasoning = 0
        stream.event(data: head + #"[],"usage":{"prompt_tokens":\#(prompt),"completion_tokens":\#(chunks),"total_tokens":\#(prompt + chunks),"prompt_tokens_details":{"cached_tokens":\#(cached),"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":\#(reasoning),"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"#)
        stream.event(data: "[DONE]")
        return Workload(
            name: "chat", bytes: stream.bytes, sliceSize: Workload.proxySliceSize, events: stream.events,
            expected: UsageRecord(
                apiProtocol: .chat, model: model, finished: true, inputTokens: prompt, outputTokens: chunks,
                totalTokens: prompt + chunks, cachedInputTokens: cached, cacheWriteTokens: 0,
                reasoningTokens: reasoning))
    }
}
