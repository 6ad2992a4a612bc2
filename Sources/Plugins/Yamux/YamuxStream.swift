import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization

/// One yamux stream: a `MuxedStream` over its session. The protocol logic lives in
/// `YamuxStreamState`; this adapter parks readers until data arrives and writers
/// until the peer grants window, and writes frames through the session.
public final class YamuxStream: MuxedStream, CustomStringConvertible {
    public let id: UInt32
    private let session: YamuxSession
    private let state: Mutex<Core>

    private struct Core {
        var machine: YamuxStreamState
        var readWaiter: CheckedContinuation<Void, any Error>?
        var writeWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    init(id: UInt32, outbound: Bool, session: YamuxSession) {
        self.id = id
        self.session = session
        self.state = Mutex(Core(machine: YamuxStreamState(outbound: outbound, receiveWindow: session.configuration.receiveWindow)))
    }

    public var description: String { "yamux stream \(id)" }

    // MARK: ByteStream

    public func read() async throws -> ByteBuffer? {
        while true {
            let step = state.withLock { $0.machine.read() }
            switch step {
            case .data(let data, let update):
                if let delta = update {
                    // Hand the window back before returning the bytes. A failure here
                    // means the session is ending; the data is still the caller's.
                    try? await session.writeStreamFrame(for: self, type: .windowUpdate, length: delta)
                }
                return data
            case .endOfStream:
                return nil
            case .fail(let error):
                throw error
            case .wait:
                try await waitForReadable()
            }
        }
    }

    public func write(_ buffer: ByteBuffer) async throws {
        var rest = buffer
        while rest.readableBytes > 0 {
            let count = try await reserveSendWindow(upTo: min(rest.readableBytes, session.configuration.maxFramePayload))
            let chunk = rest.readSlice(length: count)!
            try await session.writeStreamFrame(for: self, type: .data, payload: chunk)
        }
    }

    public func closeWrite() async throws {
        let (mustSendFIN, wakeups) = try state.withLock { core in
            let mustSend = try core.machine.closeWrite()
            return (mustSend, takeAll(&core))  // a writer parked for window now fails instead
        }
        wakeups.resume()
        guard mustSendFIN else { return }
        try await session.writeStreamFrame(for: self, type: .data, flags: .fin)
        session.forgetIfFinished(self)
    }

    public func close() async {
        let (mustSendFIN, wakeups) = state.withLock { core in
            let mustSend = core.machine.close()
            return (mustSend, takeAll(&core))
        }
        wakeups.resume()
        if mustSendFIN {
            try? await session.writeStreamFrame(for: self, type: .data, flags: .fin)
        }
        session.forgetIfFinished(self)
    }

    // MARK: MuxedStream

    public func reset() async {
        let (mustSendRST, wakeups) = state.withLock { core in
            let mustSend = core.machine.resetLocally()
            return (mustSend, takeAll(&core))
        }
        wakeups.resume()
        if mustSendRST {
            try? await session.writeStreamFrame(for: self, type: .data, flags: .rst)
        }
        session.forgetIfFinished(self)
    }

    // MARK: Called by the session

    /// Applies an inbound data or window-update frame. Returns the tasks to wake,
    /// so the session can update its table before they observe the change.
    func receive(_ frame: YamuxFrame) -> (YamuxStreamState.InboundEffect, Wakeups) {
        state.withLock { core in
            let effect = core.machine.receive(frame, streamID: id)
            var wakeups = Wakeups()
            if effect.wakeReader, let reader = core.readWaiter.take() { wakeups.readers.append(reader) }
            if effect.wakeWriters {
                wakeups.writers.append(contentsOf: core.writeWaiters.values)
                core.writeWaiters.removeAll()
            }
            return (effect, wakeups)
        }
    }

    /// Parked tasks to resume once the lock is released.
    struct Wakeups {
        var readers: [CheckedContinuation<Void, any Error>] = []
        var writers: [CheckedContinuation<Void, Never>] = []

        func resume() {
            for reader in readers { reader.resume() }
            for writer in writers { writer.resume() }
        }
    }

    /// The session ended: pending reads and writes fail, buffered data stays readable.
    func sessionEnded(_ error: MuxerError) {
        let wakeups = state.withLock { core in
            core.machine.sessionEnded(error)
            return takeAll(&core)
        }
        wakeups.resume()
    }

    var isFinished: Bool { state.withLock { $0.machine.isFinished } }

    /// The ACK duty for the frame being written now (see `YamuxStreamState`).
    func takeAcknowledgement() -> (ack: Bool, windowExtension: UInt32) {
        state.withLock { $0.machine.takeAcknowledgement() }
    }

    func takeSynWindowExtension() -> UInt32 {
        state.withLock { $0.machine.takeSynWindowExtension() }
    }

    // MARK: Waiting

    /// Takes every parked reader and writer out of `core`; the caller resumes them
    /// once the lock is released (never resume while holding it: see DEADLOCK.md).
    private func takeAll(_ core: inout Core) -> Wakeups {
        var wakeups = Wakeups()
        if let reader = core.readWaiter.take() { wakeups.readers.append(reader) }
        wakeups.writers.append(contentsOf: core.writeWaiters.values)
        core.writeWaiters.removeAll()
        return wakeups
    }

    /// Suspends until an inbound frame, a local close or the session's end changes
    /// what `read()` sees.
    private func waitForReadable() async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case parked, recheck, concurrent }
                let outcome: Outcome = state.withLock { core in
                    if core.readWaiter != nil { return .concurrent }
                    guard !Task.isCancelled, core.machine.mustWaitToRead else { return .recheck }
                    core.readWaiter = continuation
                    return .parked
                }
                switch outcome {
                case .parked: break
                case .recheck: continuation.resume()
                case .concurrent: continuation.resume(throwing: StreamError.concurrentRead)
                }
            }
        } onCancel: {
            let cancelled = state.withLock { $0.readWaiter.take() }
            cancelled?.resume()
        }
        try Task.checkCancellation()
    }

    /// Takes send window, suspending while the peer has granted none.
    private func reserveSendWindow(upTo wanted: Int) async throws -> Int {
        while true {
            let step = state.withLock { $0.machine.reserveSend(upTo: wanted) }
            switch step {
            case .send(let count): return count
            case .fail(let error): throw error
            case .sessionEnded(let error): throw error
            case .wait: try await waitForWindow()
            }
        }
    }

    private func waitForWindow() async throws {
        let id = state.withLock { core -> UInt64 in
            core.nextWaiterID += 1
            return core.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let parked = state.withLock { core -> Bool in
                    guard !Task.isCancelled, core.machine.mustWaitForWindow else { return false }
                    core.writeWaiters[id] = continuation
                    return true
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            let cancelled = state.withLock { $0.writeWaiters.removeValue(forKey: id) }
            cancelled?.resume()
        }
        try Task.checkCancellation()
    }
}
