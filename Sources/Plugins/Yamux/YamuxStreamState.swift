import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore

/// The state of one yamux stream as a pure value: flow-control windows, the receive
/// buffer, half-close and reset flags, and the SYN/ACK handshake. Every inbound frame
/// and every local operation is a mutating method that says what to do next; the
/// `YamuxStream` adapter does the waiting and the writing.
struct YamuxStreamState: Sendable {
    /// Where the SYN/ACK exchange stands.
    enum Acknowledgement: Equatable, Sendable {
        /// We opened the stream and sent SYN; the peer has not acknowledged yet.
        case awaitingAck
        /// The peer opened the stream; our first frame on it must carry ACK.
        case mustSendAck
        case acknowledged
    }

    /// Why the stream ended abruptly.
    enum Ending: Equatable, Sendable {
        case reset
        case sessionEnded(MuxerError)
    }

    /// What an inbound frame changed.
    struct InboundEffect: Equatable, Sendable {
        /// The peer acknowledged our SYN.
        var acknowledged = false
        /// Reading may now make progress.
        var wakeReader = false
        /// Writing may now make progress.
        var wakeWriters = false
        /// We must reset the stream (data arrived after a local `close()`).
        var mustReset = false
        /// The peer broke the protocol; the session must go away.
        var violation: String?
    }

    enum ReadStep: Sendable {
        /// Bytes for the application, and a window update to send first, if one is due.
        case data(ByteBuffer, windowUpdate: UInt32?)
        case endOfStream
        case wait
        case fail(any Error)
    }

    enum WriteStep: Equatable, Sendable {
        case send(Int)
        case wait
        case fail(StreamError)
        case sessionEnded(MuxerError)
    }

    private(set) var acknowledgement: Acknowledgement
    private(set) var sendWindow = SendWindow()
    private(set) var receiveWindow: ReceiveWindow
    /// Received data the application has not read yet; bounded by the receive window.
    /// Payloads are queued as they came (small ones packed), not appended into one
    /// buffer: while the reader lags a few frames behind the read loop, appending
    /// would copy every byte a second time. A kept payload may pin up to 8 times its
    /// size (a 64 KiB frame sliced from a 256 KiB read): the window bounds the count.
    private(set) var buffer = PackedReceiveBuffer(maxStorageRatio: 8)
    private(set) var sentFIN = false
    private(set) var receivedFIN = false
    /// `close()` was called: the application reads no more; late data resets the stream.
    private(set) var readClosed = false
    private(set) var ending: Ending?

    init(outbound: Bool, receiveWindow: Int) {
        self.acknowledgement = outbound ? .awaitingAck : .mustSendAck
        self.receiveWindow = ReceiveWindow(window: receiveWindow)
    }

    /// Both directions are done: the session can forget the stream.
    var isFinished: Bool { ending != nil || (sentFIN && receivedFIN) }

    /// `read()` would return `.wait`.
    var mustWaitToRead: Bool {
        !readClosed && ending == nil && buffer.isEmpty && !receivedFIN
    }

    /// `reserveSend` would return `.wait`.
    var mustWaitForWindow: Bool {
        ending == nil && !sentFIN && sendWindow.available == 0
    }

    // MARK: Inbound frames

    /// Applies a data or window-update frame addressed to this stream.
    mutating func receive(_ frame: YamuxFrame, streamID: UInt32) -> InboundEffect {
        var effect = InboundEffect()
        guard ending == nil else { return effect }
        let flags = frame.header.flags
        if flags.contains(.ack), acknowledgement == .awaitingAck {
            acknowledgement = .acknowledged
            effect.acknowledged = true
        }
        switch frame.header.type {
        case .windowUpdate:
            if frame.header.length > 0 {
                sendWindow.grant(frame.header.length)
                effect.wakeWriters = true
            }
        case .data:
            let count = frame.payload.readableBytes
            if count > 0 {
                let credit = receiveWindow.credit
                guard receiveWindow.receive(count) else {
                    effect.violation = "stream \(streamID): peer sent \(count) bytes with only \(credit) bytes of window left"
                    return effect
                }
                if receivedFIN {
                    // Data after the peer's own FIN: nobody will read it; drop it.
                } else if readClosed {
                    effect.mustReset = resetLocally()
                    effect.wakeWriters = true
                    return effect
                } else {
                    buffer.append(frame.payload)
                    effect.wakeReader = true
                }
            }
        case .ping, .goAway:
            return effect
        }
        if flags.contains(.fin), !receivedFIN {
            receivedFIN = true
            effect.wakeReader = true
        }
        if flags.contains(.rst) {
            ending = .reset
            buffer.removeAll()
            effect.wakeReader = true
            effect.wakeWriters = true
        }
        return effect
    }

    // MARK: Local operations

    /// What `read()` should do now.
    mutating func read() -> ReadStep {
        if readClosed { return .endOfStream }
        if ending == .reset { return .fail(StreamError.reset) }
        if let data = buffer.popFirst() {
            // Once the peer has sent FIN it sends no more data: no window to return.
            let update = receivedFIN ? nil : receiveWindow.consume(data.readableBytes)
            return .data(data, windowUpdate: update)
        }
        if receivedFIN { return .endOfStream }
        if case .sessionEnded(let error) = ending { return .fail(error) }
        return .wait
    }

    /// Takes send window for the next data frame, at most `wanted` bytes.
    mutating func reserveSend(upTo wanted: Int) -> WriteStep {
        switch ending {
        case .reset: return .fail(.reset)
        case .sessionEnded(let error): return .sessionEnded(error)
        case nil: break
        }
        if sentFIN { return .fail(.closed) }
        let granted = sendWindow.reserve(upTo: wanted)
        return granted == 0 ? .wait : .send(granted)
    }

    /// Half-close. Returns true when a FIN must be sent; false if already sent.
    mutating func closeWrite() throws -> Bool {
        switch ending {
        case .reset: throw StreamError.reset
        case .sessionEnded(let error): throw error
        case nil: break
        }
        if sentFIN { return false }
        sentFIN = true
        return true
    }

    /// Full local close: stop reading (drop what is buffered) and half-close.
    /// Returns true when a FIN must be sent.
    mutating func close() -> Bool {
        guard ending == nil else { return false }
        readClosed = true
        buffer.removeAll()
        if sentFIN { return false }
        sentFIN = true
        return true
    }

    /// Abrupt local close. Returns true when an RST must be sent (not when the stream
    /// already ended or both sides finished cleanly).
    mutating func resetLocally() -> Bool {
        guard !isFinished else { return false }
        ending = .reset
        buffer.removeAll()
        return true
    }

    /// The session ended under the stream. Buffered data stays readable.
    mutating func sessionEnded(_ error: MuxerError) {
        if ending == nil { ending = .sessionEnded(error) }
    }

    /// Whether the next frame we send must carry ACK, and the window extension to
    /// announce with it. Consumes the duty: call it when the frame is being written.
    mutating func takeAcknowledgement() -> (ack: Bool, windowExtension: UInt32) {
        guard acknowledgement == .mustSendAck else { return (false, 0) }
        acknowledgement = .acknowledged
        return (true, receiveWindow.takeInitialExtension())
    }

    /// The window extension to announce with our SYN.
    mutating func takeSynWindowExtension() -> UInt32 {
        receiveWindow.takeInitialExtension()
    }
}
