import LibP2PBuiltins
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore

/// The stack's layers over an in-memory pipe instead of a socket: what a handshake
/// or a muxed stream costs in our own code, without the kernel.
public struct PipeStack: Sendable {
    public let security: any SecurityProtocol
    public let muxer: any MuxerProtocol
    let dialerKey = PrivateKey.generateEd25519()
    let listenerKey = PrivateKey.generateEd25519()
    /// Bytes the pipe holds per direction before a writer waits (a socket's buffer).
    let pipeCapacity: Int

    public init(security: String, muxer: String, pipeCapacity: Int = 256 * 1024) throws {
        let registry = Registry.builtin()
        self.security = try registry.security(named: security)
        self.muxer = try registry.muxer(named: muxer)
        self.pipeCapacity = pipeCapacity
        try self.security.prepare(identity: dialerKey)
        try self.security.prepare(identity: listenerKey)
    }

    /// Both sides of one security handshake, run concurrently.
    public func securePair() async throws -> (dialer: any SecureChannel, listener: any SecureChannel) {
        let (a, b) = MemoryPipe.makePair(capacity: pipeCapacity)
        async let listener = security.secureInbound(b, identity: listenerKey, muxers: [muxer.protocolID])
        let dialer = try await security.secureOutbound(
            a, identity: dialerKey, expecting: listenerKey.peerID, muxers: [muxer.protocolID])
        return (dialer, try await listener)
    }

    /// A secured, muxed connection whose listener side answers every stream (see
    /// `answer`), handed to `body` while both sessions run; closed afterwards.
    public func withMuxedConnection<T: Sendable>(
        _ body: (any MuxedConnection) async throws -> T
    ) async throws -> T {
        let (dialerChannel, listenerChannel) = try await securePair()
        let dialer = muxer.makeSession(over: dialerChannel, role: .initiator)
        let listener = muxer.makeSession(over: listenerChannel, role: .responder)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await dialer.run() }
            group.addTask { try? await listener.run() }
            group.addTask { try await Self.answer(listener) }
            defer { group.cancelAll() }
            let result = try await body(dialer)
            await dialer.close()
            await listener.close()
            return result
        }
    }

    /// Opens a stream, sends `payload`, closes the write side, and returns the byte
    /// count the listener reports back: one stream open and one round trip.
    public static func exchange(_ payload: ByteBuffer, over connection: any MuxedConnection) async throws -> Int {
        try await exchange(repeating: payload, count: payload.readableBytes, over: connection)
    }

    /// The same with `count` bytes written as repeated copies of `payload`.
    public static func exchange(
        repeating payload: ByteBuffer, count: Int, over connection: any MuxedConnection
    ) async throws -> Int {
        let stream = try await connection.openStream()
        try await StreamPump.send(count, of: payload, to: stream)
        try await stream.closeWrite()
        var reader = ByteStreamReader(stream)
        var reply = try await reader.readExactly(8, what: "byte count")
        await stream.close()
        return Int(reply.readInteger(as: UInt64.self)!)
    }

    /// The listener's side: every stream is drained to its end and answered with the
    /// number of bytes it carried (big-endian u64). Streams are served one at a time.
    static func answer(_ session: any MuxedConnection) async throws {
        while let stream = try await session.acceptStream() {
            let count = try await StreamPump.drain(stream)
            var reply = ByteBuffer()
            reply.writeInteger(UInt64(count))
            try await stream.write(reply)
            try await stream.closeWrite()
            await stream.close()
        }
    }
}
