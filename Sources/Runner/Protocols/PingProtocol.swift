import LibP2PCore
import NIOCore

/// `/ipfs/ping/1.0.0`: the client writes 32 random bytes, the server echoes them,
/// in a loop on the same stream until the client ends it.
public enum PingProtocol {
    public static let id = "/ipfs/ping/1.0.0"
    public static let payloadSize = 32

    /// 32 random bytes.
    public static func randomPayload() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<payloadSize).map { _ in rng.next() }
    }

    /// One ping on an open stream; returns its round-trip time.
    public static func ping(over reader: inout ByteStreamReader) async throws -> Duration {
        let payload = randomPayload()
        let clock = ContinuousClock()
        let start = clock.now
        try await reader.stream.write(ByteBuffer(bytes: payload))
        try await readEcho(of: payload, from: &reader)
        return clock.now - start
    }

    /// Waits for the echo of a payload already sent (e.g. pipelined behind the
    /// protocol proposal) and checks it.
    public static func readEcho(of payload: [UInt8], from reader: inout ByteStreamReader) async throws {
        var echoed = try await reader.readExactly(payloadSize, what: "ping echo")
        guard echoed.readBytes(length: payloadSize) == payload else { throw PingError.mismatchedEcho }
    }

    /// Serves pings until the client closes the stream (at a message boundary).
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
}

public enum PingError: Error, CustomStringConvertible {
    case mismatchedEcho

    public var description: String {
        switch self {
        case .mismatchedEcho: return "the peer echoed different bytes than we sent"
        }
    }
}
