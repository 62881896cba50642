import NIOCore

/// What ``IdleTimer`` sends down the pipeline when a connection has been silent for the idle
/// timeout: the handler of its protocol closes it if nothing is in flight.
struct ConnectionIdle {}

/// Notices a client connection with no reads and no writes for `timeout`, and fires
/// ``ConnectionIdle`` (again after each further `timeout` of silence).
///
/// NIO's `IdleStateHandler` does the same job but makes a promise for every write to learn when
/// it completes, about 2,000 instructions a write and several writes a request (callgrind). This
/// one only notes that a read or a write happened, and looks at the notes a few times per
/// timeout: the event comes between `timeout` and `timeout × 5/4` after the last activity.
final class IdleTimer: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    /// Looks per timeout: the event's lateness is at most one look's interval.
    private static let looksPerTimeout: Int64 = 4

    private let interval: TimeAmount
    /// A read or a write happened since the last look.
    private var wasActive = false
    /// Looks in a row that saw no activity.
    private var quietLooks: Int64 = 0
    private var nextLook: Scheduled<Void>?

    init(timeout: TimeAmount) {
        interval = .nanoseconds(max(1, timeout.nanoseconds / Self.looksPerTimeout))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleLook(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        nextLook?.cancel()
        nextLook = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if nextLook == nil { scheduleLook(context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        nextLook?.cancel()
        nextLook = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        wasActive = true
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        wasActive = true
        context.write(data, promise: promise)
    }

    private func scheduleLook(_ context: ChannelHandlerContext) {
        nextLook = context.eventLoop.assumeIsolated().scheduleTask(in: interval) { [self] in
            look(context)
        }
    }

    private func look(_ context: ChannelHandlerContext) {
        if wasActive {
            wasActive = false
            quietLooks = 0
        } else {
            quietLooks += 1
            if quietLooks >= Self.looksPerTimeout {
                quietLooks = 0
                context.fireUserInboundEventTriggered(ConnectionIdle())
            }
        }
        guard context.channel.isActive else { return }
        scheduleLook(context)
    }
}
