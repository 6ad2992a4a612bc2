import LibP2PCore
import NIOCore

/// `/ipfs/ping/1.0.0`: the client writes 32 random bytes, the server echoes them.
/// The spec lets a client repeat on the same stream and says a server *should*
/// loop; ours does (`serve`), and our client (`Pinger`) also copes with servers
/// that answer once and close, as nim-libp2p's does.
public enum PingProtocol {
    public static let id = "/ipfs/ping/1.0.0"
    public static let payloadSize = 32

    /// 32 random bytes.
    public static func randomPayload() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<payloadSize).map { _ in rng.next() }
    }

    /// A ping stream that completes no echo for this long is given up (between
    /// one and two of it): a partial ping followed by silence, or echoes the
    /// client never reads (our write stalls on its window), would otherwise hold
    /// the stream and its task for good. go-libp2p's handler bounds each ping with
    /// a timer the same way.
    public static let idleTimeout: Duration = .seconds(10)

    /// The server: echoes pings until the client closes the stream (at a message
    /// boundary), then closes our side. Throws `PingError.idle` (the host then
    /// resets the stream) when the client stops completing pings.
    public static func serve(_ stream: any ByteStream, idleTimeout: Duration = idleTimeout) async throws {
        let echoes = LockedState(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var reader = ByteStreamReader(stream)
                while true {
                    if reader.buffered.readableBytes == 0 {
                        guard try await reader.fill() else { break }
                    }
                    let payload = try await reader.readExactly(payloadSize, what: "ping payload")
                    try await stream.write(payload)
                    echoes.withLock { $0 &+= 1 }
                }
                try? await stream.closeWrite()
            }
            group.addTask {
                var seen = -1
                while true {
                    let now = echoes.withLock { $0 }
                    if now == seen { throw PingError.idle(idleTimeout) }
                    seen = now
                    try await cancellableSleep(for: idleTimeout)
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Reads the echo of `payload`. Returns false when the stream ended cleanly
    /// before any byte of it (the server closed after its previous answer); a
    /// partial echo, a reset or different bytes are errors.
    static func readEcho(of payload: [UInt8], from reader: inout ByteStreamReader) async throws -> Bool {
        while reader.buffered.readableBytes < payloadSize {
            guard try await reader.fill() else {
                if reader.buffered.readableBytes == 0 { return false }
                throw StreamError.unexpectedEOF("ping echo")
            }
        }
        var slice = try await reader.readExactly(payloadSize, what: "ping echo")
        guard slice.readBytes(length: payloadSize) == payload else { throw PingError.mismatchedEcho }
        return true
    }
}

public enum PingError: Error, CustomStringConvertible {
    case mismatchedEcho
    /// The peer ended the stream before echoing our ping.
    case streamEnded
    /// The client completed no ping within the server's idle bound.
    case idle(Duration)

    public var description: String {
        switch self {
        case .mismatchedEcho: return "the peer echoed different bytes than we sent"
        case .streamEnded: return "the peer ended the ping stream before echoing"
        case .idle(let limit): return "the client completed no ping within \(limit)"
        }
    }
}
