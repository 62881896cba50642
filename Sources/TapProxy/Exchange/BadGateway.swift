import NIOCore
import NIOHTTP1
import UsageTap

/// The answer a client gets when the upstream cannot be reached: 502 with an OpenAI-style JSON
/// error body, so that SDKs show the reason instead of a parse failure.
enum BadGateway {
    static func body(reason: String) -> ByteBuffer {
        ProxyError.body(message: "usagetap: the upstream could not be reached: \(reason)", type: "upstream_error", code: "bad_gateway")
    }
}

/// The answer to a request body over ``ProxyLimits/maxRequestBodyBytes``: 413, in the same shape.
enum RequestTooLarge {
    static func body(limit: Int) -> ByteBuffer {
        ProxyError.body(message: "usagetap: the request body is over the limit of \(limit) bytes",
                        type: "invalid_request_error", code: "request_too_large")
    }
}

/// An OpenAI-style error body of the proxy's own: `{"error":{"message":…,"type":…,"code":…}}`.
enum ProxyError {
    static func body(message: String, type: String, code: String) -> ByteBuffer {
        var json = JSONObjectWriter()
        json.add("message", string: message)
        json.add("type", string: type)
        json.add("code", string: code)
        return ByteBuffer(string: "{\"error\":" + json.finish() + "}")
    }
}
