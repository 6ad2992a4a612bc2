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
        let value = try scaffold.state.withLock { s -> UInt32 in
            if let error = s.endError { throw error }
            guard s.rules.pings.count < 64 else { throw MuxerError.protocolViolation("too many yamux pings in flight") }
            repeat { s.rules.nextPingValue &+= 1 } while s.rules.pings[s.rules.nextPingValue] != nil
            s.rules.pings[s.rules.nextPingValue] = .sent
            return s.rules.nextPingValue
        }
        do {
            try await scaffold.writer.write(YamuxFrameHeader(type: .ping, flags: .syn, streamID: 0, length: value).encoded)
            // Every answer wakes every pinger (at most 64); each looks for its own value.
            while try await !scaffold.state.wait(in: { s, use in use(&s.rules.pongWaiters) }, { s, _ in
                if let error = s.endError { throw error }
                guard case .answered = s.rules.pings[value] else { return .park }
                s.rules.pings[value] = nil
                return .ready(true)
            }) {}
        } catch {
            _ = scaffold.state.withLock { $0.rules.pings.removeValue(forKey: value) }
            throw error
        }
        return clock.now - start
    }
}
