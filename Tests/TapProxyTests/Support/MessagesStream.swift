import Foundation
import TestSupport

/// A small Anthropic Messages stream the tests' upstream writes event by event: a
/// `message_start` with 10 input tokens, `deltas` text deltas, a cumulative `message_delta`
/// with `deltas` output tokens, and `message_stop`.
struct MessagesStream {
    let events: [[UInt8]]

    init(deltas: Int, model: String = "claude-test", deltaText: (Int) -> String = { "seq \($0)" }) {
        var events: [String] = [
            #"event: message_start"# + "\n" + #"data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"\#(model)","content":[],"usage":{"input_tokens":10,"output_tokens":1}}}"#,
        ]
        for index in 0..<deltas {
            events.append("event: content_block_delta\n" + #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(deltaText(index))"}}"#)
        }
        events.append("event: message_delta\n" + #"data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":\#(deltas)}}"#)
        events.append("event: message_stop\n" + #"data: {"type":"message_stop"}"#)
        self.events = events.map { Array(($0 + "\n\n").utf8) }
    }

    var bytes: [UInt8] { events.flatMap { $0 } }

    static let chunkedHead = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
}

/// Times recorded on one thread and read on another.
final class Timeline: @unchecked Sendable {
    private let lock = NSLock()
    private var times: [UInt64] = []

    func record() {
        let now = monotonicNanoseconds()
        lock.lock()
        times.append(now)
        lock.unlock()
    }

    var all: [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return times
    }
}
