import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore

/// Yamux's session-wide state, kept by the scaffold under the same lock as the
/// stream table: stream IDs, the ACK backlog, pings, and go away both ways.
struct YamuxSessionRules: MuxerSessionRules {
    enum PendingPing: Sendable {
        case sent
        case answered
    }

    /// The next ID we open; 64 bits so running out of 32-bit IDs is detectable.
    var nextStreamID: UInt64
    /// Our streams whose SYN the peer has not acknowledged (the ACK backlog).
    var unacknowledged: Set<UInt32> = []
    /// `openStream()` calls waiting for the ACK backlog to shrink.
    var openWaiters = WaiterQueue<Void>()
    var pings: [UInt32: PendingPing] = [:]
    var nextPingValue: UInt32 = 0
    /// `ping()` calls waiting for their ACK; woken with `false` to look again.
    var pongWaiters = WaiterQueue<Bool>()
    /// The peer's go away: it opens no more streams and accepts none of ours.
    var receivedGoAway: YamuxGoAwayCode?
    /// Our go away: we accept no more streams and open none.
    var sentGoAway = false

    /// Our SYN for `id` was acknowledged, or the stream left the table: a slot of the
    /// ACK backlog may be free. Returns the openers to wake.
    mutating func acknowledged(_ id: UInt32) -> Resumptions {
        unacknowledged.remove(id) == nil ? Resumptions() : openWaiters.wakeAll(returning: ())
    }

    /// Close sends a go away with the normal code, a protocol violation one with the
    /// protocol-error code (unless we already sent one); other ends send nothing.
    mutating func sessionEnding(_ end: MuxerSessionEnd) -> MuxerSessionEnding {
        var code: YamuxGoAwayCode?
        switch end {
        case .closedLocally: code = .normal
        case .failed(let error): if case .protocolViolation? = error as? MuxerError { code = .protocolError }
        case .remoteClosed: code = nil
        }
        if sentGoAway { code = nil }
        sentGoAway = true
        unacknowledged.removeAll()
        pings.removeAll()
        var wakeUps = openWaiters.wakeAll(throwing: end.error)
        wakeUps.append(pongWaiters.wakeAll(throwing: end.error))
        return MuxerSessionEnding(
            wakeUps: wakeUps,
            farewell: code.map { YamuxFrameHeader(type: .goAway, streamID: 0, length: $0.rawValue).encoded })
    }
}
