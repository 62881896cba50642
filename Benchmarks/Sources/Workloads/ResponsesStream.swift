import UsageTap

/// An OpenAI Responses stream: `response.created` and `response.in_progress` with the whole
/// response object, the output item and content part, text deltas, the `.done` events that
/// repeat the text, and `response.completed` with the full response and its usage.
struct ResponsesStream {
    let targetBytes: Int

    var workload: Workload {
        let model = "gpt-4.1-2025-04-14"
        let responseID = "resp_" + Text.identifier(2, length: 48)
        let itemID = "msg_" + Text.identifier(3, length: 48)
        var stream = StreamBuilder(capacity: targetBytes)
        var sequence = 0
        func response(status: String, output: String, usage: String) -> String {
            #"{"id":"\#(responseID)","object":"response","created_at":1741476777,"status":"\#(status)","background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"\#(model)","output":\#(output),"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":\#(usage),"user":null,"metadata":{}}"#
        }
        func emit(_ type: String, _ body: String) {
            stream.event(type, data: #"{"type":"\#(type)","sequence_number":\#(sequence),\#(body)}"#)
            sequence += 1
        }
        emit("response.created", #""response":\#(response(status: "in_progress", output: "[]", usage: "null"))"#)
        emit("response.in_progress", #""response":\#(response(status: "in_progress", output: "[]", usage: "null"))"#)
        emit("response.output_item.added", #""output_index":0,"item":{"id":"\#(itemID)","type":"message","status":"in_progress","content":[],"role":"assistant"}"#)
        emit("response.content_part.added", #""item_id":"\#(itemID)","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}"#)
        var text = ""
        var deltas = 0
        // The `.done` events repeat the text four times over: leave room for them.
        while stream.count + 4 * text.utf8.count < targetBytes {
            let delta = Text.delta(deltas)
            emit("response.output_text.delta", #""item_id":"\#(itemID)","output_index":0,"content_index":0,"delta":"\#(delta)","logprobs":[]"#)
            text += delta
            deltas += 1
        }
        let part = #"{"type":"output_text","annotations":[],"logprobs":[],"text":"\#(text)"}"#
        let item = #"{"id":"\#(itemID)","type":"message","status":"completed","content":[\#(part)],"role":"assistant"}"#
        emit("response.output_text.done", #""item_id":"\#(itemID)","output_index":0,"content_index":0,"text":"\#(text)","logprobs":[]"#)
        emit("response.content_part.done", #""item_id":"\#(itemID)","output_index":0,"content_index":0,"part":\#(part)"#)
        emit("response.output_item.done", #""output_index":0,"item":\#(item)"#)
        let input = 2_317, cached = 2_048, reasoning = 0
        let usage = #"{"input_tokens":\#(input),"input_tokens_details":{"cached_tokens":\#(cached)},"output_tokens":\#(deltas),"output_tokens_details":{"reasoning_tokens":\#(reasoning)},"total_tokens":\#(input + deltas)}"#
        emit("response.completed", #""response":\#(response(status: "completed", output: "[\(item)]", usage: usage))"#)
        return Workload(
            name: "responses", bytes: stream.bytes, sliceSize: Workload.proxySliceSize, events: stream.events,
            expected: UsageRecord(
                apiProtocol: .responses, model: model, finished: true, inputTokens: input, outputTokens: deltas,
                totalTokens: input + deltas, cachedInputTokens: cached, cacheWriteTokens: 0,
                reasoningTokens: reasoning))
    }
}
