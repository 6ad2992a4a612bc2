import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore

/// Yamux on the muxer scaffold: its codec, its streams, its session rules.
enum YamuxScaffolding: ScaffoldedMuxer {
    typealias Decoder = YamuxFrameDecoder
    typealias StreamKey = UInt32
    typealias Stream = YamuxStream
    typealias Rules = YamuxSessionRules
}

extension YamuxFrameDecoder: MuxerFrameDecoder {}

/// What one inbound frame does. Never suspends: data goes into stream buffers
/// (bounded by the windows we grant), anything to send back goes to the writer's
/// control queue, so the read loop always keeps draining the connection.
extension YamuxSession {
    func handle(_ frame: YamuxFrame) throws {
        let header = frame.header
        switch header.type {
        case .ping:
            if header.flags.contains(.syn) {
                try queue(YamuxFrameHeader(type: .ping, flags: .ack, streamID: 0, length: header.length))
            } else if header.flags.contains(.ack) {
                pongReceived(header.length)
            }
        case .goAway:
            goAwayReceived(YamuxGoAwayCode(rawValue: header.length))
        case .data, .windowUpdate:
            guard header.streamID != 0 else {
                throw MuxerError.protocolViolation("yamux \(header.type) frame on the session's stream ID 0")
            }
            let stream: YamuxStream
            if header.flags.contains(.syn) {
                guard let admitted = try admitInboundStream(header.streamID) else {
                    // Refused (backlog full, too many streams, going away): reset it.
                    try queue(YamuxFrameHeader(type: .data, flags: .rst, streamID: header.streamID, length: 0))
                    return
                }
                stream = admitted
            } else {
                // Frames for a stream we already forgot (reset, or both sides closed)
                // are stale, not an error.
                guard let known = scaffold.state.withLock({ $0.streams[header.streamID] }) else { return }
                stream = known
            }
            let (effect, wakeups) = stream.receive(frame)
            // Update the table first, so a woken reader that sees the end of the
            // stream also finds it forgotten.
            if effect.acknowledged || stream.isFinished {
                acknowledgedOrFinished(stream)
            }
            wakeups.resume()
            if let violation = effect.violation {
                throw MuxerError.protocolViolation(violation)
            }
            if effect.mustReset {
                try queue(YamuxFrameHeader(type: .data, flags: .rst, streamID: header.streamID, length: 0))
            }
        }
    }

    private func queue(_ header: YamuxFrameHeader) throws {
        guard scaffold.writer.enqueueControl({ header.encode(into: &$0) }) else {
            if scaffold.state.withLock({ !$0.isOpen }) { return }
            throw MuxerError.protocolViolation(
                "yamux peer keeps sending pings or stream openings without reading our \(scaffold.writer.controlLimit) pending answers")
        }
    }

    /// A SYN for `id`: the new stream, `nil` to refuse it, or a violation.
    private func admitInboundStream(_ id: UInt32) throws -> YamuxStream? {
        // The dialer (initiator) opens odd IDs, the listener even ones.
        let peerOpensOdd = role == .responder
        guard (id % 2 == 1) == peerOpensOdd else {
            throw MuxerError.protocolViolation("yamux peer opened stream \(id) with our parity of IDs")
        }
        let admitted: YamuxStream? = try scaffold.state.withLock { s in
            guard s.streams[id] == nil else {
                throw MuxerError.protocolViolation("yamux peer opened stream \(id) twice")
            }
            if !s.isOpen || s.rules.sentGoAway { return nil }
            if s.streams.count >= configuration.maxStreams || !scaffold.acceptBacklogHasRoom { return nil }
            let stream = YamuxStream(id: id, outbound: false, session: self)
            s.streams[id] = stream
            return stream
        }
        guard let admitted else { return nil }
        guard scaffold.offerInbound(admitted) else {
            // The backlog closed meanwhile (a go away): refuse after all.
            scaffold.state.withLock { s in if s.streams[id] === admitted { s.streams[id] = nil } }
            return nil
        }
        return admitted
    }

    /// Our SYN was acknowledged, or the stream ended: update the ACK backlog and table.
    private func acknowledgedOrFinished(_ stream: YamuxStream) {
        let finished = stream.isFinished
        scaffold.state.withLockThenResume { s in
            if finished, s.streams[stream.id] === stream { s.streams[stream.id] = nil }
            return s.rules.acknowledged(stream.id)
        }
    }

    private func pongReceived(_ value: UInt32) {
        scaffold.state.withLockThenResume { s in
            // Unsolicited or duplicate answers are ignored.
            guard case .sent = s.rules.pings[value] else { return Resumptions() }
            s.rules.pings[value] = .answered
            return s.rules.pongWaiters.wakeAll(returning: false)
        }
    }

    /// The peer goes away: it opens no more streams and refuses ours; existing
    /// streams finish normally, and the session ends when the stream below does.
    private func goAwayReceived(_ code: YamuxGoAwayCode) {
        scaffold.state.withLock { s in
            if s.rules.receivedGoAway == nil { s.rules.receivedGoAway = code }
        }
        scaffold.closeAcceptBacklog()
    }
}
