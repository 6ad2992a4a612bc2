import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PMplex

/// Two sessions over a `MemoryPipe`, `dialer` as initiator and `listener` as responder,
/// both `run()`s driven in a task group. After `body`, both are closed and their runs
/// must end cleanly. The whole thing is bounded by `timeout`.
func withSessionPair(
    dialer dialerConfig: MplexMuxer.Configuration = .init(),
    listener listenerConfig: MplexMuxer.Configuration = .init(),
    pipeCapacity: Int = 64 * 1024,
    timeout: Double = 30,
    _ body: @escaping @Sendable (_ dialer: MplexSession, _ listener: MplexSession) async throws -> Void
) async throws {
    let (a, b) = MemoryPipe.makePair(capacity: pipeCapacity)
    let dialer = MplexSession(over: a, role: .initiator, configuration: dialerConfig)
    let listener = MplexSession(over: b, role: .responder, configuration: listenerConfig)
    try await withTimeout(timeout) {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await dialer.run() }
            group.addTask { try await listener.run() }
            do {
                try await body(dialer, listener)
            } catch {
                await dialer.close()
                await listener.close()
                throw error
            }
            await dialer.close()
            await listener.close()
            try await group.waitForAll()
        }
    }
}

/// The two sessions of a pair seen by role: who opens the stream under test, who accepts.
func sides(_ opener: MuxerRole, _ dialer: MplexSession, _ listener: MplexSession) -> (opener: MplexSession, acceptor: MplexSession) {
    opener == .initiator ? (dialer, listener) : (listener, dialer)
}

/// The next inbound stream, which must exist.
func accept(_ session: MplexSession) async throws -> MplexStream {
    let stream = try #require(try await session.acceptStream())
    return try #require(stream as? MplexStream)
}

func open(_ session: MplexSession) async throws -> MplexStream {
    try #require(try await session.openStream() as? MplexStream)
}

/// Reads until end of stream; fails past `limit` bytes.
func readToEnd(_ stream: any ByteStream, limit: Int = 64 << 20) async throws -> [UInt8] {
    var out: [UInt8] = []
    while let chunk = try await stream.read() {
        #expect(chunk.readableBytes > 0, "read returned an empty buffer")
        out.append(contentsOf: chunk.readableBytesView)
        if out.count > limit { throw StreamError.messageTooLarge(out.count, limit: limit) }
    }
    return out
}

/// Reads exactly `count` bytes (chunks may split or join writes).
func read(_ count: Int, from stream: any ByteStream) async throws -> [UInt8] {
    var out: [UInt8] = []
    while out.count < count {
        guard let chunk = try await stream.read() else { throw StreamError.unexpectedEOF("\(count) bytes") }
        out.append(contentsOf: chunk.readableBytesView)
    }
    #expect(out.count == count)
    return out
}

/// Deterministic bytes that differ per `seed` and position, so misrouted or reordered
/// data is caught.
func pattern(_ count: Int, seed: Int) -> [UInt8] {
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    var words = [UInt64](repeating: 0, count: (count + 7) / 8)
    for i in words.indices {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        words[i] = state
    }
    return words.withUnsafeBytes { Array($0.prefix(count)) }
}

/// The peer's side of a pipe spoken by hand, frame by frame.
struct RawPeer: Sendable {
    let stream: MemoryByteStream
    private var decoder = MplexFrameDecoder()

    init(_ stream: MemoryByteStream) { self.stream = stream }

    func send(_ id: UInt64, _ flag: MplexFlag, _ payload: [UInt8] = []) async throws {
        try await stream.write(MplexFrame(streamID: id, flag: flag, payload: ByteBuffer(bytes: payload)).encoded())
    }

    func send(raw bytes: [UInt8]) async throws {
        try await stream.write(bytes)
    }

    /// The next frame the session sent, or nil at end of stream.
    mutating func nextFrame() async throws -> MplexFrame? {
        while true {
            if let frame = try decoder.next() { return frame }
            guard let chunk = try await stream.read() else {
                try decoder.finish()
                return nil
            }
            decoder.append(chunk)
        }
    }

    mutating func expectFrame(_ id: UInt64, _ flag: MplexFlag, _ payload: [UInt8] = [], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let frame = try #require(try await nextFrame(), sourceLocation: sourceLocation)
        #expect(frame == MplexFrame(streamID: id, flag: flag, payload: ByteBuffer(bytes: payload)), sourceLocation: sourceLocation)
    }
}

/// One session over a pipe whose other end the test speaks by hand. The session runs in
/// a task group and must end cleanly when `body` is done.
func withRawPeer(
    role: MuxerRole = .responder,
    config: MplexMuxer.Configuration = .init(),
    pipeCapacity: Int = 64 * 1024,
    timeout: Double = 30,
    _ body: @escaping @Sendable (MplexSession, inout RawPeer) async throws -> Void
) async throws {
    let (local, remote) = MemoryPipe.makePair(capacity: pipeCapacity)
    let session = MplexSession(over: local, role: role, configuration: config)
    try await withTimeout(timeout) {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await session.run()
                } catch {
                    Issue.record("run() threw \(error)")
                }
            }
            var peer = RawPeer(remote)
            do {
                try await body(session, &peer)
            } catch {
                await session.close()
                throw error
            }
            await session.close()
            await remote.close()
            try await group.waitForAll()
        }
    }
}

/// A byte stream that reports each write as it begins, so a test can tell, without
/// polling, that the session's writer is inside a write the pipe holds up.
final class ObservedByteStream: ByteStream {
    let base: any ByteStream
    let writesStarted: AsyncStream<Int>
    private let started: AsyncStream<Int>.Continuation

    init(_ base: any ByteStream) {
        self.base = base
        (writesStarted, started) = AsyncStream.makeStream(of: Int.self)
    }

    func read() async throws -> ByteBuffer? { try await base.read() }

    func write(_ buffer: ByteBuffer) async throws {
        started.yield(buffer.readableBytes)
        try await base.write(buffer)
    }

    func closeWrite() async throws { try await base.closeWrite() }

    func close() async {
        started.finish()
        await base.close()
    }
}


func expectFailure<T, E: Error & Equatable>(_ result: Result<T, any Error>, _ expected: E, sourceLocation: SourceLocation = #_sourceLocation) {
    switch result {
    case .success(let value):
        Issue.record("expected \(expected), got \(value)", sourceLocation: sourceLocation)
    case .failure(let error):
        #expect(error as? E == expected, "expected \(expected), got \(error)", sourceLocation: sourceLocation)
    }
}

/// A byte stream whose writes fail, as a connection broken under the session would.
final class BrokenWritesByteStream: ByteStream {
    struct WriteFailed: Error, Equatable {}
    let base: any ByteStream

    init(_ base: any ByteStream) { self.base = base }

    func read() async throws -> ByteBuffer? { try await base.read() }
    func write(_ buffer: ByteBuffer) async throws { throw WriteFailed() }
    func closeWrite() async throws { try await base.closeWrite() }
    func close() async { await base.close() }
}
