import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Puts a session's frames on the stream below: one writer at a time, in arrival
/// order (an `AsyncFIFOLock`), each frame in a single `write`, never interleaved. The
/// task that causes a frame writes it itself, so it feels the stream's backpressure,
/// and an uncontended write costs no task hop.
///
/// Control frames (ping answers, resets, refusals) come from the read loop, which
/// must never wait: `enqueueControl` queues them, bounded, without suspending, and
/// they jump the queue: whoever holds the lock next writes everything queued, in one
/// write, right after its own frame. When nobody is writing, `runControlFlusher()`
/// (inside the session's `run()`) takes the lock to do it.
///
/// A failed write breaks the framing (a frame may be half written): the writer then
/// fails every waiter and later write, closes the stream below so the read loop ends
/// too, and keeps the error as `writeFailure` for the session to report.
public final class MuxerFrameWriter: Sendable {
    private struct State: Sendable {
        /// Queued control frames, encoded back to back: one write for all of them.
        var control = ByteBuffer()
        var controlCount = 0
        var flusher = WaiterQueue<Void>()
        /// Set once: the session ended (`fail`) or a write broke the connection.
        var failure: (any Error)?
        var brokenBy: (any Error)?
    }

    /// Control frames that may wait for the peer to read; beyond it the peer is
    /// treated as not reading (`enqueueControl` returns false).
    public let controlLimit: Int
    private let output: any ByteStream
    private let lock = AsyncFIFOLock()
    private let state = LockedState(State())

    public init(output: any ByteStream, controlLimit: Int) {
        precondition(controlLimit > 0)
        self.output = output
        self.controlLimit = controlLimit
    }

    /// The error of the write that broke the connection, if one did.
    public var writeFailure: (any Error)? { state.withLock { $0.brokenBy } }

    /// Tasks waiting for their turn to write.
    public var waiterCount: Int { lock.waiterCount }

    // MARK: Frames whose sender waits

    /// Writes the frame `build` returns, once it is this task's turn; nothing if it
    /// returns nil. `build` runs holding the write lock, so whatever it decides (a
    /// stream ID, an ACK flag, "the stream was reset meanwhile": throw) is in wire
    /// order. `owner` (a stream) lets `failWrites(of:with:)` end this wait early.
    public func write(owner: ObjectIdentifier? = nil, _ build: () throws -> ByteBuffer?) async throws {
        // Cancellation ends the wait for the lock, not a write that has its turn: a
        // frame the caller already committed to (yamux's window update after a read
        // took the bytes) must not be lost. `build` may check it where that is right.
        try await lock.lock(owner: owner)
        defer { lock.unlock() }
        guard let frame = try build() else { return }
        try await writeHoldingLock(frame)
        try await flushControlHoldingLock()
    }

    /// Writes `frame` in its turn.
    public func write(_ frame: ByteBuffer) async throws {
        try await write { frame }
    }

    /// Fails the waiting (not yet writing) writes of `owner`, e.g. after a reset, so
    /// that they end at once instead of after a slow peer reads.
    public func failWrites(of owner: ObjectIdentifier, with error: any Error) {
        lock.fail(waitersOwnedBy: owner, with: error)
    }

    // MARK: Control frames

    /// Queues a control frame without suspending; `encode` appends its bytes. False
    /// when `controlLimit` frames are already waiting: the peer is not reading and
    /// the caller should end the session. After the writer failed, the frame is
    /// dropped (true).
    public func enqueueControl(_ encode: (inout ByteBuffer) -> Void) -> Bool {
        let (accepted, flusher) = state.withLock { s -> (Bool, Resumption<Void>?) in
            guard s.failure == nil else { return (true, nil) }
            guard s.controlCount < controlLimit else { return (false, nil) }
            encode(&s.control)
            s.controlCount += 1
            return (true, s.flusher.wakeFirst(returning: ()))
        }
        flusher?.resume()
        return accepted
    }

    /// Queues `frame` as a control frame (see `enqueueControl(_:)`).
    public func enqueueControl(_ frame: ByteBuffer) -> Bool {
        enqueueControl { $0.writeImmutableBuffer(frame) }
    }

    /// Writes queued control frames when no other writer does, until the writer
    /// fails or the task is cancelled. Runs inside the session's `run()`.
    public func runControlFlusher() async {
        while true {
            do {
                try await state.wait(in: { s, use in use(&s.flusher) }) { s, _ in
                    if let failure = s.failure { throw failure }
                    return s.controlCount > 0 ? .ready(()) : .park
                }
                try await lock.lock()
            } catch {
                return
            }
            defer { lock.unlock() }
            do {
                try await flushControlHoldingLock()
            } catch {
                return
            }
        }
    }

    // MARK: The end

    /// The session ended: every waiting and later write fails with `error`, queued
    /// control frames are dropped. The first failure wins.
    public func fail(_ error: any Error) {
        let flusher = state.withLock { s -> Resumptions in
            if s.failure == nil { s.failure = error }
            s.control = ByteBuffer()
            s.controlCount = 0
            return s.flusher.wakeAll(throwing: s.failure!)
        }
        flusher.resume()
        lock.fail(error)
    }

    /// Writes a session's last frame (a go away) even after `fail`, in its turn,
    /// giving up after `timeout` (a peer that reads nothing must not hold up the end).
    public func writeFinal(_ frame: ByteBuffer, within timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await self.lock.lock(evenAfterFailure: true) } catch { return }
                defer { self.lock.unlock() }
                try? await self.output.write(frame)
            }
            group.addTask { try? await cancellableSleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Holding the lock

    private func flushControlHoldingLock() async throws {
        let batch = state.withLock { s -> ByteBuffer? in
            guard s.controlCount > 0 else { return nil }
            s.controlCount = 0
            defer { s.control = ByteBuffer() }
            return s.control
        }
        if let batch { try await writeHoldingLock(batch) }
    }

    private func writeHoldingLock(_ bytes: ByteBuffer) async throws {
        do {
            try await output.write(bytes)
        } catch {
            let first = state.withLock { s -> Bool in
                guard s.failure == nil else { return false }
                s.failure = MuxerError.connectionClosed
                s.brokenBy = error
                return true
            }
            // The session had already ended (and closed the stream under this write):
            // say so rather than how the stream below failed.
            guard first else { throw MuxerError.connectionClosed }
            fail(MuxerError.connectionClosed)
            await output.close()
            throw error
        }
    }
}
