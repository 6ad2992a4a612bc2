import LibP2PCore
import NIOCore

/// The ping client on one connection.
///
/// `start` opens a `/ipfs/ping/1.0.0` stream with the first ping pipelined behind
/// the protocol proposal (one round trip for both) and returns once it is echoed.
/// Each `ping()` after that is one clean round trip: on the same stream while the
/// server keeps it open, or — when the server ended the stream after its last
/// echo, as a one-ping-per-stream server does — on a fresh stream whose
/// negotiation is finished before the clock starts.
public struct Pinger: Sendable {
    public let connection: Connection
    private var stream: ProtocolStream
    private var reader: ByteStreamReader
    /// Ping streams opened so far (more than one: the server answers once per stream).
    public private(set) var streamsOpened = 1

    private init(connection: Connection, stream: ProtocolStream) {
        self.connection = connection
        self.stream = stream
        self.reader = ByteStreamReader(stream)
    }

    /// Opens the ping stream and pings once, the ping riding with the proposal.
    public static func start(on connection: Connection) async throws -> Pinger {
        let payload = PingProtocol.randomPayload()
        let stream = try await connection.newStream(PingProtocol.id, pipelining: ByteBuffer(bytes: payload))
        var pinger = Pinger(connection: connection, stream: stream)
        do {
            guard try await PingProtocol.readEcho(of: payload, from: &pinger.reader) else { throw PingError.streamEnded }
        } catch {
            await stream.reset()
            throw error
        }
        return pinger
    }

    /// One more ping; returns its round-trip time.
    public mutating func ping() async throws -> Duration {
        if let rtt = try await timedPing() { return rtt }
        // The server ended the stream after its last echo (clean end, no byte of
        // this one): the spec allows a server to answer once per stream.
        await stream.close()
        stream = try await connection.newStream(PingProtocol.id)
        reader = ByteStreamReader(stream)
        streamsOpened += 1
        guard let rtt = try await timedPing() else {
            await stream.reset()
            throw PingError.streamEnded
        }
        return rtt
    }

    /// Ends the stream politely: our side closed, then the stream released.
    public func close() async {
        try? await stream.closeWrite()
        await stream.close()
    }

    /// One ping on the current stream: its RTT, or nil if the stream had ended.
    private mutating func timedPing() async throws -> Duration? {
        let payload = PingProtocol.randomPayload()
        let clock = ContinuousClock()
        let start = clock.now
        do {
            try await stream.write(ByteBuffer(bytes: payload))
            guard try await PingProtocol.readEcho(of: payload, from: &reader) else { return nil }
        } catch {
            await stream.reset()
            throw error
        }
        return clock.now - start
    }
}
