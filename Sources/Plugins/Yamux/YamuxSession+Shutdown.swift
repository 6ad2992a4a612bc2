import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Ending a session: go away (graceful: no new streams) and close (everything fails,
/// the stream below is closed).
extension YamuxSession {
    /// Tells the peer we open and accept no more streams; existing streams go on.
    /// Pending `acceptStream()` calls return the backlog, then `nil`.
    public func goAway(_ code: YamuxGoAwayCode = .normal) async throws {
        let waiters = try state.withLock { s -> [CheckedContinuation<YamuxStream?, any Error>] in
            if let ended = s.ended { throw ended }
            if s.sentGoAway { return [] }
            s.sentGoAway = true
            return s.acceptWaiters.removeAll().map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        try await withWriteLock {
            try await self.underlying.write(YamuxFrameHeader(type: .goAway, streamID: 0, length: code.rawValue).encoded)
        }
    }

    /// Sends a go away (normal), fails every pending operation, and closes the stream below.
    public func close() async {
        await shutDown(goAway: .normal, error: .connectionClosed)
    }

    /// Ends the session once: pending operations fail with `error` at once, then the
    /// go away (if any) gets up to `goAwayTimeout` to go out, then the stream below is
    /// closed, which also ends the read loop.
    func shutDown(goAway code: YamuxGoAwayCode?, error: MuxerError) async {
        guard let ending = state.withLock({ $0.end(with: error) }) else { return }
        for stream in ending.streams { stream.sessionEnded(error) }
        for waiter in ending.acceptWaiters { waiter.resume(returning: nil) }
        for waiter in ending.openWaiters { waiter.resume() }
        for waiter in ending.pingWaiters { waiter.resume(throwing: error) }
        control.finish()
        writeLock.shutDown(error)
        if let code, !ending.goAwayAlreadySent {
            await sendFinalGoAway(code)
        }
        await underlying.close()
    }

    private func sendFinalGoAway(_ code: YamuxGoAwayCode) async {
        let frame = YamuxFrameHeader(type: .goAway, streamID: 0, length: code.rawValue).encoded
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await self.writeLock.acquire(evenAfterShutdown: true) } catch { return }
                defer { self.writeLock.release() }
                try? await self.underlying.write(frame)
            }
            group.addTask { try? await Task.sleep(for: self.configuration.goAwayTimeout) }
            await group.next()
            group.cancelAll()
        }
    }
}

extension YamuxSession.State {
    struct Ending {
        var streams: [YamuxStream]
        var acceptWaiters: [CheckedContinuation<YamuxStream?, any Error>]
        var openWaiters: [CheckedContinuation<Void, Never>]
        var pingWaiters: [CheckedContinuation<Void, any Error>]
        var goAwayAlreadySent: Bool
    }

    /// Marks the session ended and takes everything that must be failed; `nil` if it
    /// had already ended.
    mutating func end(with error: MuxerError) -> Ending? {
        guard ended == nil else { return nil }
        ended = error
        let ending = Ending(
            streams: Array(streams.values) + backlog.removeAll(),
            acceptWaiters: acceptWaiters.removeAll().map(\.continuation),
            openWaiters: takeOpenWaiters(),
            pingWaiters: pings.values.compactMap { if case .waiting(let c) = $0 { return c } else { return nil } },
            goAwayAlreadySent: sentGoAway)
        streams.removeAll()
        unacknowledged.removeAll()
        pings.removeAll()
        sentGoAway = true
        return ending
    }

    mutating func takeOpenWaiters() -> [CheckedContinuation<Void, Never>] {
        defer { openWaiters.removeAll() }
        return Array(openWaiters.values)
    }
}
