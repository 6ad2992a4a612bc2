import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore

/// One yamux stream: a `MuxedStream` over its session. The protocol logic lives in
/// `YamuxStreamState`; this adapter parks readers until data arrives and writers
/// until the peer grants window, and writes frames through the session.
public final class YamuxStream: MuxedStream, ScaffoldedStream, CustomStringConvertible {
    public let id: UInt32
    private let session: YamuxSession
    private let state: LockedState<Core>

    private struct Core: Sendable {
        var machine: YamuxStreamState
        /// Woken with nil: something changed, look at the state again.
        var readers = WaiterQueue<YamuxStreamState.ReadStep?>()
        var writers = WaiterQueue<Int?>()
    }

    init(id: UInt32, outbound: Bool, session: YamuxSession) {
        self.id = id
        self.session = session
        self.state = LockedState(Core(machine: YamuxStreamState(outbound: outbound, receiveWindow: session.configuration.receiveWindow)))
    }

    public var description: String { "yamux stream \(id)" }

    // MARK: ByteStream

    public func read() async throws -> ByteBuffer? {
        while true {
            let next = try await state.wait(in: { s, use in use(&s.readers) }) { core, _ in
                if !core.readers.isEmpty { throw StreamError.concurrentRead }
                let step = core.machine.read()
                if case .wait = step { return .park }
                return .ready(step)
            }
            switch next {
            case .data(let data, let update)?:
                if let delta = update {
                    // Hand the window back before returning the bytes. A failure here
                    // means the session is ending; the data is still the caller's.
                    try? await session.writeStreamFrame(for: self, type: .windowUpdate, length: delta)
                }
                return data
            case .endOfStream?:
                // The read loop forgets a finished stream before it wakes a parked
                // reader; a reader that was not parked can see the end first, so
                // it forgets the stream too.
                session.forgetIfFinished(self)
                return nil
            case .fail(let error)?:
                throw error
            case .wait?, nil:
                continue
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
        var mustSendFIN = false
        try state.withLockThenResume { core in
            mustSendFIN = try core.machine.closeWrite()
            return Self.wakeAll(&core)  // a writer parked for window now fails instead
        }
        guard mustSendFIN else { return }
        try await session.writeStreamFrame(for: self, type: .data, flags: .fin)
        session.forgetIfFinished(self)
    }

    public func close() async {
        var mustSendFIN = false
        state.withLockThenResume { core in
            mustSendFIN = core.machine.close()
            return Self.wakeAll(&core)
        }
        if mustSendFIN {
            try? await session.writeStreamFrame(for: self, type: .data, flags: .fin)
        }
        session.forgetIfFinished(self)
    }

    // MARK: MuxedStream

    public func reset() async {
        var mustSendRST = false
        state.withLockThenResume { core in
            mustSendRST = core.machine.resetLocally()
            return Self.wakeAll(&core)
        }
        if mustSendRST {
            try? await session.writeStreamFrame(for: self, type: .data, flags: .rst)
        }
        session.forgetIfFinished(self)
    }

    // MARK: Called by the session

    /// Applies an inbound data or window-update frame. Returns the tasks to wake,
    /// so the session can update its table before they observe the change.
    func receive(_ frame: YamuxFrame) -> (YamuxStreamState.InboundEffect, Resumptions) {
        state.withLock { core in
            let effect = core.machine.receive(frame, streamID: id)
            var wakeups = Resumptions()
            if effect.wakeReader { wakeups.append(core.readers.wakeFirst(returning: nil)) }
            if effect.wakeWriters { wakeups.append(core.writers.wakeAll(returning: nil)) }
            return (effect, wakeups)
        }
    }

    /// The session ended: pending reads and writes fail, buffered data stays readable.
    public func sessionEnded(_ error: MuxerError) {
        state.withLockThenResume { core in
            core.machine.sessionEnded(error)
            return Self.wakeAll(&core)
        }
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

    /// Every parked reader and writer, to look at the state again once the lock is
    /// released.
    private static func wakeAll(_ core: inout Core) -> Resumptions {
        var wakeups = core.readers.wakeAll(returning: nil)
        wakeups.append(core.writers.wakeAll(returning: nil))
        return wakeups
    }

    /// Takes send window, suspending while the peer has granted none.
    private func reserveSendWindow(upTo wanted: Int) async throws -> Int {
        while true {
            let granted = try await state.wait(in: { s, use in use(&s.writers) }) { core, _ in
                switch core.machine.reserveSend(upTo: wanted) {
                case .send(let count): return .ready(count)
                case .fail(let error): throw error
                case .sessionEnded(let error): throw error
                case .wait: return .park
                }
            }
            if let granted { return granted }
        }
    }
}
