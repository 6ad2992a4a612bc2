import LibP2PCore
import LibP2PRegistry
import NIOCore

/// The read loop: decode frames and dispatch them. Dispatch never suspends: data goes
/// into stream buffers (bounded by the windows we grant), anything to send back goes
/// to the control queue, so the loop always keeps draining the connection.
extension YamuxSession {
    /// Returns at a clean end of input (or after a local close); throws
    /// `MuxerError.protocolViolation` for bad frames, or the stream's own error.
    func readFrames() async throws {
        var decoder = YamuxFrameDecoder(maxDataLength: UInt32(configuration.receiveWindow))
        do {
            while let chunk = try await underlying.read() {
                decoder.append(chunk)
                while let frame = try decoder.next() {
                    try dispatch(frame)
                }
            }
            try decoder.finish()
        } catch let error as YamuxFrameError {
            throw MuxerError.protocolViolation(error.description)
        } catch {
            // After a local close the stream below may fail instead of ending cleanly.
            if state.withLock({ $0.ended != nil }) { return }
            throw error
        }
    }

    private func dispatch(_ frame: YamuxFrame) throws {
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
                guard let known = state.withLock({ $0.streams[header.streamID] }) else { return }
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
        guard control.push(header) else {
            if state.withLock({ $0.ended != nil }) { return }
            throw MuxerError.protocolViolation(
                "yamux peer keeps sending pings or stream openings without reading our \(control.limit) pending answers")
        }
    }

    /// A SYN for `id`: the new stream, `nil` to refuse it, or a violation.
    private func admitInboundStream(_ id: UInt32) throws -> YamuxStream? {
        // The dialer (initiator) opens odd IDs, the listener even ones.
        let peerOpensOdd = role == .responder
        guard (id % 2 == 1) == peerOpensOdd else {
            throw MuxerError.protocolViolation("yamux peer opened stream \(id) with our parity of IDs")
        }
        let delivery: (YamuxStream, CheckedContinuation<YamuxStream?, any Error>?)? = try state.withLock { s in
            guard s.streams[id] == nil else {
                throw MuxerError.protocolViolation("yamux peer opened stream \(id) twice")
            }
            if s.ended != nil || s.sentGoAway { return nil }
            if s.streams.count >= configuration.maxStreams || s.backlog.count >= configuration.acceptBacklog { return nil }
            let stream = YamuxStream(id: id, outbound: false, session: self)
            s.streams[id] = stream
            if let waiter = s.acceptWaiters.popFirst() {
                return (stream, waiter.continuation)
            }
            s.backlog.append(stream)
            return (stream, nil)
        }
        guard let (stream, waiter) = delivery else { return nil }
        waiter?.resume(returning: stream)
        return stream
    }

    /// Our SYN was acknowledged, or the stream ended: update the ACK backlog and table.
    private func acknowledgedOrFinished(_ stream: YamuxStream) {
        let finished = stream.isFinished
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if finished, s.streams[stream.id] === stream { s.streams[stream.id] = nil }
            return s.unacknowledged.remove(stream.id) == nil ? [] : s.takeOpenWaiters()
        }
        for waiter in waiters { waiter.resume() }
    }

    private func pongReceived(_ value: UInt32) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            switch s.pings[value] {
            case .sent:
                s.pings[value] = .answered
                return nil
            case .waiting(let continuation):
                s.pings[value] = nil
                return continuation
            case .answered, nil:
                return nil  // unsolicited or duplicate: ignore
            }
        }
        waiter?.resume()
    }

    /// The peer goes away: it opens no more streams and refuses ours; existing
    /// streams finish normally, and the session ends when the stream below does.
    private func goAwayReceived(_ code: YamuxGoAwayCode) {
        let waiters = state.withLock { s -> [CheckedContinuation<YamuxStream?, any Error>] in
            if s.receivedGoAway == nil { s.receivedGoAway = code }
            return s.acceptWaiters.removeAll().map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}
