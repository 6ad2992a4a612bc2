#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LibP2PCore
import NIOCore
import NIOPosix

/// Holds tasks back until their event loop has next polled its sockets.
///
/// NIO runs every ready task before it polls again, and a task re-queued now (a
/// `Task.yield()`, a timer already due) is ready at once, so neither lets the loop
/// reach its sockets. The gate is a pipe on the loop itself: a task that steps aside
/// writes one byte (unless one is already on its way) and parks; the byte becomes
/// readable only to the loop's next poll, and reading it wakes every task parked at
/// the gate, alongside the other sockets' events of that same poll.
final class PollGate: Sendable {
    private enum Pipe {
        case none
        case opening
        case open(any Channel)
        case closed
    }

    private struct State {
        var pipe = Pipe.none
        /// Polls that read the pipe so far: a parked task goes on once this moved.
        var polls: UInt64 = 0
        /// A byte is in the pipe that no poll has read yet.
        var signalled = false
        var waiters = WaiterQueue<Void>()
    }

    /// Until the pipe is open (or if it cannot be): resume after a timer this far
    /// ahead, which lets the loop poll unless other work outlasts it.
    static let fallbackGap = TimeAmount.microseconds(10)

    private let loop: any EventLoop
    private let state = LockedState(State())

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    /// Returns once the loop has polled its sockets (called on the loop's thread).
    func pass() async {
        let (pipe, seen, mustSignal) = state.withLock { s -> ((any Channel)?, UInt64, Bool) in
            guard case .open(let channel) = s.pipe else { return (nil, 0, false) }
            defer { s.signalled = true }
            return (channel, s.polls, !s.signalled)
        }
        guard let pipe else {
            openIfNeeded()
            try? await loop.scheduleTask(in: Self.fallbackGap) {}.futureResult.get()
            return
        }
        if mustSignal {
            pipe.writeAndFlush(ByteBuffer(integer: UInt8(1)), promise: nil)
        }
        // Cancelled: go on at once; the caller will notice.
        try? await state.wait(in: { s, use in use(&s.waiters) }) { s, _ in
            if case .closed = s.pipe { return .ready(()) }
            return s.polls != seen ? .ready(()) : .park
        }
    }

    /// The loop's poll read the pipe.
    fileprivate func polled() {
        state.withLockThenResume { s in
            s.polls &+= 1
            s.signalled = false
            return s.waiters.wakeAll(returning: ())
        }
    }

    /// The pipe is gone: wake everyone; later passes use the timer.
    fileprivate func closed() {
        state.withLockThenResume { s in
            s.pipe = .closed
            return s.waiters.wakeAll(returning: ())
        }
    }

    private func openIfNeeded() {
        let start = state.withLock { s -> Bool in
            guard case .none = s.pipe else { return false }
            s.pipe = .opening
            return true
        }
        guard start else { return }
        var ends: [CInt] = [0, 0]
        guard pipe(&ends) == 0 else {
            closed()
            return
        }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        NIOPipeBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PollGateReader(gate: self))
                }
            }
            .takingOwnershipOfDescriptors(input: readEnd, output: writeEnd)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.state.withLock { s in
                        if case .opening = s.pipe { s.pipe = .open(channel) }
                    }
                case .failure:
                    // Not taken: the descriptors are still ours.
                    close(readEnd)
                    close(writeEnd)
                    self.closed()
                }
            }
    }
}

/// The read side of a `PollGate`'s pipe.
private final class PollGateReader: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let gate: PollGate

    init(gate: PollGate) {
        self.gate = gate
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        gate.polled()
    }

    func channelInactive(context: ChannelHandlerContext) {
        gate.closed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
