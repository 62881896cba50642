import Metering
import MeteringPolicy
import NIOCore
import NIOHTTP1
import UsageTap

/// The end of a request as it arrived: whether it had trailers.
struct RequestEnd {
    var trailers: HTTPHeaders?
}

/// One request and its response, from the moment the client's request head arrives until the
/// response ends or breaks: joins the client's stream to the upstream's, taps the response as
/// it passes, and writes the usage line when it is over.
///
/// It lives on one event loop, with both streams; nothing here is touched from another thread.
final class Exchange {
    /// What the request held back while no upstream stream could take it.
    private struct HeldRequest {
        var body: [ByteBuffer] = []
        var end: RequestEnd?
    }

    /// Where the exchange is. Each case holds only what is valid in it.
    private enum State {
        /// Not sent upstream yet: the request is arriving and, with metering, the ledger is
        /// being asked whose key it carries.
        case receiving(HeldRequest)
        /// Sent to the upstream pool, waiting for a stream; `retried` when this is the second
        /// try, after a kept-alive connection closed under the first.
        case dispatched(HeldRequest, retried: Bool)
        /// An upstream stream carries the request; no final response head yet.
        case awaitingResponse(any UpstreamStream, retried: Bool)
        /// The final response head went to the client: from here a failure breaks the response
        /// instead of answering 502, and the body passes through the tap.
        case responding(any UpstreamStream, ResponseTap)
        /// The usage line is written; whatever arrives now is dropped.
        case over
    }

    /// This loop's count of exchanges so far: the request id is made of it only where it is
    /// written (``id``), not for every request.
    private let number: UInt64
    /// As the client sent it; with metering, its key is swapped for the upstream's credential
    /// before it goes upstream.
    private(set) var requestHead: RequestHead
    private let loop: LoopContext
    private let started: NIODeadline
    private let protocolSelection: ProtocolSelection

    private weak var client: (any ClientStream)?
    private var state: State
    // What the usage line reports.
    private var status: Int?
    private var responseBytes = 0
    private var firstByte: NIODeadline?
    /// With metering: whose key the request carried, once the ledger has said so.
    private var customer: KeyOwner?
    /// Request body bytes the client has sent so far (``ProxyLimits/maxRequestBodyBytes``).
    private var requestBodyBytes = 0

    init(requestHead: RequestHead, client: any ClientStream, loop: LoopContext) {
        self.number = loop.nextRequestNumber()
        self.requestHead = requestHead
        self.client = client
        self.loop = loop
        self.started = .now()
        self.protocolSelection = APIRoute.protocolSelection(forPath: requestHead.target)
        self.state = .receiving(HeldRequest())
        loop.exchangeStarted()
    }

    var isOver: Bool {
        if case .over = state { return true }
        return false
    }

    /// True when the whole request has arrived and has no body: it can go upstream as a head
    /// that ends the stream.
    var requestIsCompleteAndEmpty: Bool {
        switch state {
        case .receiving(let held), .dispatched(let held, _): held.end != nil && held.body.isEmpty
        case .awaitingResponse, .responding, .over: false
        }
    }

    /// The upstream stream, in the states that have one.
    private var upstream: (any UpstreamStream)? {
        switch state {
        case .awaitingResponse(let stream, _), .responding(let stream, _): stream
        case .receiving, .dispatched, .over: nil
        }
    }

    /// An event the current state cannot take. After the end it is a late callback and is
    /// dropped; before, a bug in a connection, stopped in debug builds and ignored in release
    /// ones.
    private func unexpected(_ event: StaticString) {
        guard !isOver else { return }
        assertionFailure("Exchange: \(event) in state \(state)")
    }

    /// Sends the request on its way upstream; with metering, once its key and balance pass.
    func start() {
        // The client may have cancelled the request before it started (a stream reset in the
        // same read as its HEADERS): then it never goes upstream.
        guard case .receiving = state else { return }
        guard let metering = loop.metering else { return dispatch() }
        // The key is looked at where it lies in the head; only a lookup in the ledger copies it.
        let (found, style) = requestHead.fields.withCustomerKey { key, style -> (KeyCheck, AuthStyle) in
            guard let key else { return (.missing, style) }
            if let owner = metering.meter.freshOwner(of: key) { return (.known(owner), style) }
            return (.lookingUp(metering.meter.lookUp(key: key, on: loop.eventLoop)), style)
        }
        switch found {
        case .missing:
            refuse(.missingKey, style: style)
        case .known(let owner):
            authorized(.allowed(owner), style: style, upstreamCredential: metering.upstreamCredential)
        case .lookingUp(let decision):
            decision.assumeIsolated().whenSuccess { self.authorized($0, style: style, upstreamCredential: metering.upstreamCredential) }
        }
    }

    /// Where a request's key stands when the exchange starts.
    private enum KeyCheck {
        case missing
        /// Known to this proxy's cache, with its owner as of less than a second ago.
        case known(KeyOwner)
        /// Being read from the ledger.
        case lookingUp(EventLoopFuture<Meter.Decision>)
    }

    private func authorized(_ decision: Meter.Decision, style: AuthStyle, upstreamCredential: UpstreamCredential?) {
        // The client may have gone while the ledger was asked.
        guard case .receiving = state else { return }
        switch decision {
        case .unknownKey:
            refuse(.invalidKey, style: style)
        case .ledgerFailed:
            refuse(.ledgerError, style: style)
        case .allowed(let owner) where isUsageQuery:
            answerUsageQuery(for: owner.tenant, style: style)
        case .allowed(let owner):
            guard owner.tenant.balance > 0 else { return refuse(.insufficientBalance, style: style) }
            customer = owner
            requestHead.fields.removeCustomerCredentials()
            if let upstreamCredential { requestHead.fields.add(upstreamCredential) }
            dispatch()
        }
    }

    /// Hands the request to the upstream pool, which may attach a stream before it returns.
    private func dispatch() {
        guard case .receiving(let held) = state else { return unexpected("dispatch") }
        state = .dispatched(held, retried: false)
        loop.upstreams.dispatch(self)
    }

    /// `GET /v1/usage` is the proxy's own: the caller's usage from the ledger, never forwarded.
    private var isUsageQuery: Bool {
        requestHead.method == .GET && APIRoute.isUsageQuery(requestHead.target)
    }

    private func answerUsageQuery(for tenant: Tenant, style: AuthStyle) {
        loop.metering?.meter.report(for: tenant, on: loop.eventLoop).assumeIsolated().whenComplete { result in
            guard case .receiving = self.state else { return }
            switch result {
            case .success(let report):
                self.respondLocally(status: .ok, body: ByteBuffer(string: report.json))
                self.finish(.answered)
            case .failure(let error):
                Meter.report("usage query failed: \(error)")
                self.refuse(.ledgerError, style: style)
            }
        }
    }

    /// Answers the request here, sending nothing upstream.
    private func refuse(_ reply: MeteringReply, style: AuthStyle) {
        guard case .receiving = state else { return }
        respondLocally(status: reply.status, body: reply.body(for: style))
        finish(.refused)
    }

    /// A whole response of the proxy's own: JSON, with its length.
    private func respondLocally(status: HTTPResponseStatus, body: ByteBuffer) {
        self.status = Int(status.code)
        responseBytes = body.readableBytes
        var fields = HeaderFields(capacity: 64, fields: 2)
        fields.append(name: "content-type", value: "application/json")
        fields.append(name: "content-length", value: String(body.readableBytes))
        client?.sendResponseHead(ResponseHead(status: Int(status.code), fields: fields))
        client?.sendResponseBody(body)
        client?.sendResponseEnd(trailers: nil)
    }

    // MARK: From the client

    func clientSent(requestBody bytes: ByteBuffer) {
        requestBodyBytes += bytes.readableBytes
        guard requestBodyBytes <= loop.limits.maxRequestBodyBytes else { return requestTooLarge() }
        if changeHeldRequest({ $0.body.append(bytes) }) { return }
        upstream?.sendRequestBody(bytes)
    }

    /// The request body went over the limit: the upstream's side is cancelled, and the client
    /// gets 413 (or, once its response has begun, sees it break off); the rest of the body is
    /// refused.
    private func requestTooLarge() {
        switch state {
        case .over:
            return
        case .receiving, .dispatched, .awaitingResponse:
            upstream?.cancel()
            // Told first: an HTTP/1.1 client's connection then closes after the response.
            client?.refuseRestOfRequestBody()
            respondLocally(status: .payloadTooLarge, body: RequestTooLarge.body(limit: loop.limits.maxRequestBodyBytes))
            finish(.refused)
        case .responding(let stream, _):
            stream.cancel()
            client?.abortResponse()
            finish(.clientCancelled)
        }
    }

    func clientSentRequestEnd(trailers: HTTPHeaders?) {
        if changeHeldRequest({ $0.end = RequestEnd(trailers: trailers) }) { return }
        upstream?.sendRequestEnd(trailers: trailers)
    }

    /// Changes the request held back, in the states that hold one (false in the others).
    private func changeHeldRequest(_ change: (inout HeldRequest) -> Void) -> Bool {
        switch state {
        case .receiving(var held):
            // Taken out of the state while it changes, so that its array is not shared (and
            // copied) on the way.
            state = .over
            change(&held)
            state = .receiving(held)
        case .dispatched(var held, let retried):
            state = .over
            change(&held)
            state = .dispatched(held, retried: retried)
        case .awaitingResponse, .responding, .over:
            return false
        }
        return true
    }

    func clientTook(responseBytes count: Int) {
        // Only with costs added does the client take bytes the upstream did not send; without,
        // the tap is not bound out of the state (a retain and a release per write, callgrind).
        guard loop.costInStream, case .responding(let stream, let tap) = state else {
            upstream?.releaseResponseBody(count)
            return
        }
        stream.releaseResponseBody(tap.upstreamShare(ofTaken: count))
    }

    /// The client closed its connection or reset its stream.
    func clientCancelled() {
        guard !isOver else { return }
        upstream?.cancel()
        finish(.clientCancelled)
    }

    // MARK: From the upstream

    /// An upstream stream has sent the request head and is ready for the body.
    func upstreamAttached(_ stream: any UpstreamStream) {
        guard case .dispatched(let held, let retried) = state else {
            unexpected("upstreamAttached")
            return stream.cancel()
        }
        state = .awaitingResponse(stream, retried: retried)
        for bytes in held.body { stream.sendRequestBody(bytes) }
        if let end = held.end { stream.sendRequestEnd(trailers: end.trailers) }
    }

    func upstreamTook(requestBytes count: Int) {
        client?.releaseRequestBody(count)
    }

    func upstreamSent(responseHead head: ResponseHead) {
        guard case .awaitingResponse(let stream, _) = state else {
            return unexpected("upstreamSent(responseHead:)")
        }
        if firstByte == nil { firstByte = .now() }
        // 1xx heads are interim: the final head follows.
        guard !head.isInterim else {
            client?.sendResponseHead(head)
            return
        }
        status = head.status
        let tap = ResponseTap(protocol: protocolSelection, responseFields: head.fields, pricing: loop.costInStream ? loop : nil)
        state = .responding(stream, tap)
        guard tap.mayChangeLength else { return client?.sendResponseHead(head) ?? () }
        // Costs may be added: the body's length is then unknown (chunked towards HTTP/1.1).
        var head = head
        head.fields.remove("content-length")
        client?.sendResponseHead(head)
    }

    func upstreamSent(responseBody bytes: ByteBuffer) {
        guard case .responding(_, let tap) = state else {
            return unexpected("upstreamSent(responseBody:)")
        }
        responseBytes += tap.pass(bytes, to: client)
    }

    func upstreamSentResponseEnd(trailers: HTTPHeaders?) {
        guard case .responding = state else {
            return unexpected("upstreamSentResponseEnd")
        }
        // Ended first, so that its ledger row is journaled before the end reaches the client.
        let client = client
        finish(.completed)
        client?.sendResponseEnd(trailers: trailers)
    }

    /// The upstream connection closed before answering and before taking any request body:
    /// the request goes once more, on another connection. A second such close is a failure.
    func upstreamClosedBeforeAnswering(sentRequestEnd: RequestEnd?) {
        guard case .awaitingResponse(_, let retried) = state else {
            return unexpected("upstreamClosedBeforeAnswering")
        }
        guard !retried else { return upstreamFailed("the upstream closed the connection") }
        state = .dispatched(HeldRequest(body: [], end: sentRequestEnd), retried: true)
        loop.upstreams.dispatch(self)
    }

    /// The upstream could not be reached, or its connection or stream broke before the end.
    func upstreamFailed(_ reason: String) {
        switch state {
        case .over:
            return
        case .responding:
            // Ended first, as in `upstreamSentResponseEnd`: the row before the last bytes.
            let client = client
            finish(.upstreamFailed)
            client?.abortResponse()
            return
        case .receiving, .dispatched, .awaitingResponse:
            respondLocally(status: .badGateway, body: BadGateway.body(reason: reason))
        }
        finish(.upstreamFailed)
    }

    // MARK: The end

    private func finish(_ outcome: Outcome) {
        let record: UsageRecord
        if case .responding(_, let tap) = state { record = tap.finish() } else { record = UsageRecord() }
        state = .over
        let ended = NIODeadline.now()
        loop.exchangeEnded(ExchangeReport(
            requestIDPrefix: loop.requestIDPrefix, requestNumber: number, method: requestHead.method, target: requestHead.target,
            status: status, outcome: outcome, responseBytes: responseBytes,
            timeToFirstByteMicros: firstByte.map { Self.microseconds($0 - started) },
            durationMicros: Self.microseconds(ended - started),
            usage: record, cost: loop.cost(of: record), customer: customer))
        client = nil
    }

    /// A duration in whole microseconds, never negative: the log shows it as milliseconds with
    /// three decimals.
    static func microseconds(_ amount: TimeAmount) -> Int {
        max(0, Int(amount.nanoseconds / 1000))
    }
}
