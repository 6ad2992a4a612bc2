import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Yamux's own ping: measures the session's round trip.
extension YamuxSession {
    /// Measures the round trip of a yamux ping (a SYN the peer must answer with an ACK
    /// carrying the same value).
    public func ping() async throws -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        let value = try state.withLock { s -> UInt32 in
            if let ended = s.ended { throw ended }
            guard s.pings.count < 64 else { throw MuxerError.protocolViolation("too many yamux pings in flight") }
            repeat { s.nextPingValue &+= 1 } while s.pings[s.nextPingValue] != nil
            s.pings[s.nextPingValue] = .sent
            return s.nextPingValue
        }
        do {
            try await withWriteLock {
                try await self.underlying.write(YamuxFrameHeader(type: .ping, flags: .syn, streamID: 0, length: value).encoded)
            }
            try await waitForPong(value)
        } catch {
            _ = state.withLock { $0.pings.removeValue(forKey: value) }
            throw error
        }
        return clock.now - start
    }

    private func waitForPong(_ value: UInt32) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Bool, any Error> = state.withLock { s in
                    if case .answered = s.pings[value] {
                        s.pings[value] = nil
                        return .success(true)
                    }
                    if let ended = s.ended { return .failure(ended) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    s.pings[value] = .waiting(continuation)
                    return .success(false)
                }
                switch outcome {
                case .success(true): continuation.resume()
                case .success(false): break
                case .failure(let error): continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            let pending = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard case .waiting(let continuation) = s.pings[value] else { return nil }
                s.pings[value] = nil
                return continuation
            }
            pending?.resume(throwing: CancellationError())
        }
    }
}
