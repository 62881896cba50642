import NIOCore
import NIOHTTP1

/// The client's side of one exchange: an HTTP/1.1 connection's current response, or one
/// HTTP/2 stream. Called on the event loop that owns both sides.
protocol ClientStream: AnyObject {
    func sendResponseHead(_ head: ResponseHead)
    /// Forwards a piece of the body now, as it is. The stream calls
    /// ``Exchange/clientTook(responseBytes:)`` once the client's connection has taken it.
    func sendResponseBody(_ bytes: ByteBuffer)
    func sendResponseEnd(trailers: HTTPHeaders?)
    /// The upstream failed after the head was sent: the client must see the response break
    /// (a reset stream, a closed connection), never a clean end.
    func abortResponse()
    /// The upstream took `count` request body bytes: the client may send that many more.
    func releaseRequestBody(_ count: Int)
    /// The response just sent is all there will be, and the rest of the request body is not
    /// wanted (it was over the limit): an HTTP/1.1 connection closes after the response, an
    /// HTTP/2 stream is reset (NO_ERROR) so that the client stops sending it.
    func refuseRestOfRequestBody()
}

/// The upstream's side of one exchange: an HTTP/1.1 connection or one HTTP/2 stream.
protocol UpstreamStream: AnyObject {
    /// Forwards a piece of the request body. The stream calls
    /// ``Exchange/upstreamTook(requestBytes:)`` once the upstream connection has taken it.
    func sendRequestBody(_ bytes: ByteBuffer)
    func sendRequestEnd(trailers: HTTPHeaders?)
    /// The client went away: stop the upstream's response.
    func cancel()
    /// The client took `count` response body bytes: the upstream may send that many more.
    func releaseResponseBody(_ count: Int)
}
