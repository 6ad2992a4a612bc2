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

    /// The server: echoes pings until the client closes the stream (at a message
    /// boundary), then closes our side.
    public static func serve(_ stream: any ByteStream) async throws {
        var reader = ByteStreamReader(stream)
        while true {
            if reader.buffered.readableBytes == 0 {
                guard try await reader.fill() else { break }
            }
            let payload = try await reader.readExactly(payloadSize, what: "ping payload")
            try await stream.write(payload)
        }
        try? await stream.closeWrite()
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

    public var description: String {
        switch self {
        case .mismatchedEcho: return "the peer echoed different bytes than we sent"
        case .streamEnded: return "the peer ended the ping stream before echoing"
        }
    }
}
