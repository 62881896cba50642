import UsageTap

/// Inputs built to hurt: where a reader that buffers lines, rescans, or pays per call shows it.
enum WorstCases {
    static func all(scale: Double, realistic: [Workload]) -> [Workload] {
        [giantLine(bytes: Int(8 * 1024 * 1024 * scale)), eventStorm(bytes: Int(8 * 1024 * 1024 * scale))]
            + realistic.filter { $0.name == "chat" }.map(oneByteSlices)
    }

    /// One `data:` line of several megabytes (a huge content string), then the usage.
    static func giantLine(bytes: Int) -> Workload {
        var text = ""
        var index = 0
        while text.utf8.count < bytes {
            text += Text.delta(index)
            index += 1
        }
        var stream = StreamBuilder(capacity: bytes)
        stream.event(data: #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"\#(text)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":\#(index),"total_tokens":\#(12 + index)}}"#)
        stream.event(data: "[DONE]")
        return Workload(
            name: "worst.giant_line", bytes: stream.bytes, sliceSize: Workload.proxySliceSize, events: stream.events,
            expected: UsageRecord(
                apiProtocol: .chat, model: "gpt-4o-mini", finished: true, inputTokens: 12, outputTokens: index,
                totalTokens: 12 + index, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0))
    }

    /// The smallest events a stream can carry, between keep-alive comments and blank lines.
    static func eventStorm(bytes: Int) -> Workload {
        var stream = StreamBuilder(capacity: bytes)
        var index = 0
        while stream.count < bytes {
            switch index % 4 {
            case 0: stream.event(data: #"{"choices":[]}"#)
            case 1: stream.comment("")
            case 2: stream.event(data: "{}")
            default: stream.comment(" keep-alive")
            }
            index += 1
        }
        stream.event(data: #"{"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#)
        stream.event(data: "[DONE]")
        return Workload(
            name: "worst.event_storm", bytes: stream.bytes, sliceSize: Workload.proxySliceSize, events: stream.events,
            expected: UsageRecord(
                apiProtocol: .chat, model: "m", finished: true, inputTokens: 1, outputTokens: 2, totalTokens: 3,
                cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0))
    }

    /// A realistic stream arriving one byte per slice: every piece of state crosses a boundary.
    static func oneByteSlices(of stream: Workload) -> Workload {
        stream.sliced(by: 1, name: "worst.one_byte_slices")
    }
}
