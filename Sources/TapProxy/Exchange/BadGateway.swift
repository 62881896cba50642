import NIOCore
import NIOHTTP1
import UsageTap

/// The answer a client gets when the upstream cannot be reached: 502 with an OpenAI-style JSON
/// error body, so that SDKs show the reason instead of a parse failure.
enum BadGateway {
    static func body(reason: String) -> ByteBuffer {
        var json = JSONObjectWriter()
        json.add("message", string: "usagetap: the upstream could not be reached: \(reason)")
        json.add("type", string: "upstream_error")
        json.add("code", string: "bad_gateway")
        return ByteBuffer(string: "{\"error\":" + json.finish() + "}")
    }
}
