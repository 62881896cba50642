import Metering
import NIOCore
import NIOHTTP1
import UsageTap

/// One request and its response, from the moment the client's request head arrives until the
/// response ends or breaks: joins the client's stream to the upstream's, taps the response as
/// it passes, and writes the usage line when it is over.
///
/// It lives on one event loop, with both streams; nothing here is touched from another thread.
final class Exchange {
    let id: String
    /// As the client sent it; with metering, its key is swapped for the upstream's credential
    /// before it goes upstream.
    private(set) var requestHead: HTTPRequestHead
    private let loop: LoopContext
    private let started: NIODeadline

    private weak var client: (any ClientStream)?
    private var upstream: (any UpstreamStream)?
    /// Request body that arrived before an upstream stream was ready for it.
    private var waitingRequestBody: [ByteBuffer] = []
    private var waitingRequestEnd: HTTPHeaders??
    private var retriedOnFreshConnection = false

    /// Made when the final response head arrives; nil for an exchange that never got one.
    private var tap: ResponseTap?
    private let protocolSelection: ProtocolSelection
    private var status: Int?
    private var responseBytes = 0
    private var firstByte: NIODeadline?
    private(set) var isOver = false
    /// True once the response head went to the client: from then on a failure breaks the stream
    /// instead of answering 502.
    private var responseStarted = false
    /// With metering: whose key the request carried, once the ledger has said so.
    private var customer: KeyOwner?

    init(requestHead: HTTPRequestHead, client: any ClientStream, loop: LoopContext) {
        self.id = loop.nextRequestID()
        self.requestHead = requestHead
        self.client = client
        self.loop = loop
        self.started = .now()
        self.protocolSelection = APIRoute.protocolSelection(forPath: requestHead.uri)
        loop.exchangeStarted()
    }

    /// True when the whole request has arrived and has no body: it can go upstream as a head
    /// that ends the stream.
    var requestIsCompleteAndEmpty: Bool {
        waitingRequestEnd != nil && waitingRequestBody.isEmpty
    }

    /// Sends the request on its way upstream; with metering, once its key and balance pass.
    func start() {
        guard let metering = loop.metering else { return loop.upstreams.dispatch(self) }
        let credential = CustomerCredential(requestHead.headers)
        guard let key = credential.key else { return refuse(.missingKey, style: credential.style) }
        if let owner = metering.meter.freshOwner(of: key) {
            return authorized(.allowed(owner), style: credential.style, upstreamCredential: metering.upstreamCredential)
        }
        metering.meter.lookUp(key: key, on: loop.eventLoop)
            .assumeIsolated()
            .whenSuccess { self.authorized($0, style: credential.style, upstreamCredential: metering.upstreamCredential) }
    }

    private func authorized(_ decision: Meter.Decision, style: AuthStyle, upstreamCredential: UpstreamCredential?) {
        guard !isOver else { return }
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
            CustomerCredential.remove(from: &requestHead.headers)
            upstreamCredential?.add(to: &requestHead.headers)
            loop.upstreams.dispatch(self)
        }
    }

    /// `GET /v1/usage` is the proxy's own: the caller's usage from the ledger, never forwarded.
    private var isUsageQuery: Bool {
        requestHead.method == .GET && APIRoute.isUsageQuery(requestHead.uri)
    }

    private func answerUsageQuery(for tenant: Tenant, style: AuthStyle) {
        loop.metering?.meter.report(for: tenant, on: loop.eventLoop).assumeIsolated().whenComplete { result in
            guard !self.isOver else { return }
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
        guard !isOver else { return }
        respondLocally(status: reply.status, body: reply.body(for: style))
        finish(.refused)
    }

    /// A whole response of the proxy's own: JSON, with its length.
    private func respondLocally(status: HTTPResponseStatus, body: ByteBuffer) {
        self.status = Int(status.code)
        responseBytes = body.readableBytes
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        client?.sendResponseHead(HTTPResponseHead(version: requestHead.version, status: status, headers: headers))
        client?.sendResponseBody(body)
        client?.sendResponseEnd(trailers: nil)
    }

    // MARK: From the client

    func clientSent(requestBody bytes: ByteBuffer) {
        guard !isOver else { return }
        if let upstream {
            upstream.sendRequestBody(bytes)
        } else {
            waitingRequestBody.append(bytes)
        }
    }

    func clientSentRequestEnd(trailers: HTTPHeaders?) {
        guard !isOver else { return }
        if let upstream {
            upstream.sendRequestEnd(trailers: trailers)
        } else {
            waitingRequestEnd = .some(trailers)
        }
    }

    func clientTook(responseBytes count: Int) {
        upstream?.releaseResponseBody(count)
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
        guard !isOver else { return stream.cancel() }
        upstream = stream
        let body = waitingRequestBody
        waitingRequestBody = []
        for bytes in body { stream.sendRequestBody(bytes) }
        if let trailers = waitingRequestEnd {
            waitingRequestEnd = nil
            stream.sendRequestEnd(trailers: trailers)
        }
    }

    func upstreamTook(requestBytes count: Int) {
        client?.releaseRequestBody(count)
    }

    func upstreamSent(responseHead head: HTTPResponseHead) {
        guard !isOver else { return }
        if firstByte == nil { firstByte = .now() }
        // 1xx heads are interim: the final head follows.
        guard head.status.code >= 200 || head.status == .switchingProtocols else {
            client?.sendResponseHead(head)
            return
        }
        status = Int(head.status.code)
        tap = ResponseTap(protocol: protocolSelection, responseHeaders: head.headers)
        responseStarted = true
        client?.sendResponseHead(head)
    }

    func upstreamSent(responseBody bytes: ByteBuffer) {
        guard !isOver else { return }
        responseBytes += bytes.readableBytes
        tap?.feed(bytes)
        client?.sendResponseBody(bytes)
    }

    func upstreamSentResponseEnd(trailers: HTTPHeaders?) {
        guard !isOver else { return }
        client?.sendResponseEnd(trailers: trailers)
        finish(.completed)
    }

    /// The upstream connection closed before answering and before taking any request body:
    /// the request goes once more, on another connection. A second such close is a failure.
    func upstreamClosedBeforeAnswering(sentRequestEnd: HTTPHeaders??) {
        guard !isOver else { return }
        guard !retriedOnFreshConnection else { return upstreamFailed("the upstream closed the connection") }
        retriedOnFreshConnection = true
        upstream = nil
        if let sentRequestEnd { waitingRequestEnd = sentRequestEnd }
        loop.upstreams.dispatch(self)
    }

    /// The upstream could not be reached, or its connection or stream broke before the end.
    func upstreamFailed(_ reason: String) {
        guard !isOver else { return }
        if responseStarted {
            client?.abortResponse()
        } else {
            respondLocally(status: .badGateway, body: BadGateway.body(reason: reason))
        }
        finish(.upstreamFailed)
    }

    // MARK: The end

    private func finish(_ outcome: Outcome) {
        isOver = true
        let ended = NIODeadline.now()
        let record = tap?.finish() ?? UsageRecord()
        let cost = loop.cost(of: record)
        loop.appendToLog { json in
            json.add("request_id", string: id)
            json.add("method", string: requestHead.method.rawValue)
            // The query is left out: some APIs (Gemini's `?key=`) carry credentials there.
            var path = requestHead.uri
            path.withUTF8 { uri in
                let query = uri.firstIndex(of: UInt8(ascii: "?")) ?? uri.endIndex
                json.add("path", utf8: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: uri[..<query])))
            }
            json.add("status", integer: status)
            json.add("outcome", string: outcome.rawValue)
            json.add("response_bytes", integer: responseBytes)
            json.add("ttfb_ms", thousandths: firstByte.map { Self.microseconds($0 - started) })
            json.add("duration_ms", thousandths: Self.microseconds(ended - started))
            record.addFields(to: &json)
            if loop.prices != nil {
                json.add("cost", cost: cost)
            }
        }
        if let customer, let metering = loop.metering {
            metering.meter.record(LedgerEntry(
                atMicros: UTCCalendar.nowMicros(), requestID: id, tenantID: customer.tenant.id, keyID: customer.keyID,
                provider: metering.meter.provider, status: status, outcome: outcome.rawValue, usage: record,
                cost: cost.map(CostNanos.init)))
        }
        upstream = nil
        client = nil
        waitingRequestBody = []
        loop.exchangeEnded()
    }

    /// A duration in whole microseconds, never negative: the log shows it as milliseconds with
    /// three decimals.
    static func microseconds(_ amount: TimeAmount) -> Int {
        max(0, Int(amount.nanoseconds / 1000))
    }
}
