import Foundation
import Workloads

/// How most gateways read usage today, as the baseline to beat: buffer the stream, split it
/// into lines and events, decode every event's JSON with Foundation, and look the usage up in
/// the dictionaries. Written plainly but not carelessly: it keeps one buffer and compacts it
/// once per slice rather than once per line, and never searches a byte
/// for a line end twice.
public struct NaiveGateway {
    public struct Usage: Equatable, Sendable {
        public var input = 0
        public var output = 0

        public init(input: Int = 0, output: Int = 0) {
            self.input = input
            self.output = output
        }
    }

    public private(set) var usage: Usage?
    public private(set) var events = 0
    private var pending: [UInt8] = []
    /// `pending` up to here holds no line feed: the next slice's search starts here.
    private var searched = 0
    private var data: [UInt8] = []
    private var eventHasData = false
    private var messagesInput = (base: 0, cacheWrite: 0, cacheRead: 0)

    public init() {}

    /// Reads a whole workload as a proxy would, a slice at a time.
    public static func read(_ workload: Workload) -> NaiveGateway {
        var gateway = NaiveGateway()
        workload.forEachSlice { gateway.feed($0) }
        return gateway
    }

    public mutating func feed(_ slice: UnsafeRawBufferPointer) {
        pending.append(contentsOf: slice)
        var lineStart = 0
        var searchFrom = searched
        while let lineFeed = pending[searchFrom...].firstIndex(of: 0x0A) {
            var lineEnd = lineFeed
            if lineEnd > lineStart && pending[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            readLine(pending[lineStart..<lineEnd])
            lineStart = lineFeed + 1
            searchFrom = lineStart
        }
        pending.removeFirst(lineStart)
        searched = pending.count
    }

    private mutating func readLine(_ line: ArraySlice<UInt8>) {
        guard !line.isEmpty else {
            if eventHasData { decodeEvent() }
            data.removeAll(keepingCapacity: true)
            eventHasData = false
            return
        }
        let prefix = Array("data:".utf8)
        guard line.starts(with: prefix) else { return }
        var value = line.dropFirst(prefix.count)
        if value.first == 0x20 { value = value.dropFirst() }
        if eventHasData { data.append(0x0A) }
        data.append(contentsOf: value)
        eventHasData = true
    }

    private mutating func decodeEvent() {
        events += 1
        guard data != Array("[DONE]".utf8),
              let event = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any]
        else { return }
        if let usage = event["usage"] as? [String: Any], let prompt = usage["prompt_tokens"] as? Int {
            // Chat Completions
            self.usage = Usage(input: prompt, output: usage["completion_tokens"] as? Int ?? 0)
        } else if let metadata = event["usageMetadata"] as? [String: Any] {
            // Gemini
            let output = (metadata["candidatesTokenCount"] as? Int ?? 0) + (metadata["thoughtsTokenCount"] as? Int ?? 0)
            usage = Usage(input: metadata["promptTokenCount"] as? Int ?? 0, output: output)
        } else if let type = event["type"] as? String {
            readTyped(type, event)
        }
    }

    /// Responses and Messages events, told apart by their `type`.
    private mutating func readTyped(_ type: String, _ event: [String: Any]) {
        switch type {
        case "response.completed":
            let response = event["response"] as? [String: Any]
            if let usage = response?["usage"] as? [String: Any] {
                self.usage = Usage(input: usage["input_tokens"] as? Int ?? 0, output: usage["output_tokens"] as? Int ?? 0)
            }
        case "message_start", "message_delta":
            let message = event["message"] as? [String: Any]
            guard let usage = (message?["usage"] ?? event["usage"]) as? [String: Any] else { return }
            if let base = usage["input_tokens"] as? Int { messagesInput.base = base }
            if let write = usage["cache_creation_input_tokens"] as? Int { messagesInput.cacheWrite = write }
            if let read = usage["cache_read_input_tokens"] as? Int { messagesInput.cacheRead = read }
            let input = messagesInput.base + messagesInput.cacheWrite + messagesInput.cacheRead
            self.usage = Usage(input: input, output: usage["output_tokens"] as? Int ?? self.usage?.output ?? 0)
        default:
            break
        }
    }
}
