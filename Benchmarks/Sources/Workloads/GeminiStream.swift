import UsageTap

/// A Gemini `streamGenerateContent?alt=sse` stream: CRLF line ends, several sentences per
/// chunk, a cumulative `usageMetadata` in every chunk, and `finishReason` in the last.
struct GeminiStream {
    let targetBytes: Int

    var workload: Workload {
        let model = "gemini-2.5-flash"
        let prompt = 913, thoughts = 211
        var stream = StreamBuilder(capacity: targetBytes, lineEnd: "\r\n")
        var chunks = 0
        var output = 0
        func chunk(finish: String) -> String {
            let text = Text.paragraph(chunks, pieces: 12)
            output += 12
            let details = #""promptTokensDetails":[{"modality":"TEXT","tokenCount":\#(prompt)}]"#
            return #"{"candidates":[{"content":{"parts":[{"text":"\#(text)"}],"role":"model"}\#(finish),"index":0}],"usageMetadata":{"promptTokenCount":\#(prompt),"candidatesTokenCount":\#(output),"totalTokenCount":\#(prompt + output + thoughts),\#(details),"thoughtsTokenCount":\#(thoughts)},"modelVersion":"\#(model)","responseId":"\#(Text.identifier(5))"}"#
        }
        while stream.count < targetBytes {
            stream.event(data: chunk(finish: ""))
            chunks += 1
        }
        stream.event(data: chunk(finish: #","finishReason":"STOP""#))
        return Workload(
            name: "gemini", bytes: stream.bytes, sliceSize: Workload.proxySliceSize, events: stream.events,
            expected: UsageRecord(
                apiProtocol: .gemini, model: model, finished: true, inputTokens: prompt, outputTokens: output + thoughts,
                totalTokens: prompt + output + thoughts, cachedInputTokens: 0, cacheWriteTokens: 0,
                reasoningTokens: thoughts))
    }
}
