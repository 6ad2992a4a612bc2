import LibP2PConformance
import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore
import Testing

/// A toy muxer, as small as the scaffold allows: frames are `kind, stream, byte`
/// (kind 0 opens a stream, 1 carries the byte, anything else is a violation).
private enum ToyMuxer: ScaffoldedMuxer {
    typealias Decoder = ToyDecoder
    typealias StreamKey = UInt8
    typealias Stream = ToyStream
    typealias Rules = ToyRules
}

private struct ToyFrame: Sendable, Equatable {
    var kind: UInt8
    var stream: UInt8
    var byte: UInt8
}

private struct ToyDecodingError: Error, CustomStringConvertible {
    var description: String { "toy input ended inside a frame" }
}

private struct ToyDecoder: MuxerFrameDecoder {
    var buffer = ByteBuffer()
    mutating func append(_ chunk: ByteBuffer) { buffer.writeImmutableBuffer(chunk) }
    mutating func next() throws(ToyDecodingError) -> ToyFrame? {
        guard let bytes = buffer.readBytes(length: 3) else { return nil }
        return ToyFrame(kind: bytes[0], stream: bytes[1], byte: bytes[2])
    }
    func finish() throws(ToyDecodingError) {
        if buffer.readableBytes > 0 { throw ToyDecodingError() }
    }
}

private struct ToyRules: MuxerSessionRules {
    mutating func sessionEnding(_ end: MuxerSessionEnd) -> MuxerSessionEnding {
        // A one-byte farewell, 0xFF, except when the peer closed first.
        if case .remoteClosed = end { return MuxerSessionEnding() }
        return MuxerSessionEnding(farewell: ByteBuffer(bytes: [0xFF]))
    }
}

private final class ToyStream: ScaffoldedStream {
    let id: UInt8
    private let ended = LockedState<MuxerError?>(nil)
    init(id: UInt8) { self.id = id }
    var endError: MuxerError? { ended.withLock { $0 } }
    func sessionEnded(_ error: MuxerError) { ended.withLock { $0 = error } }
}

/// The toy session: its frame handler is all it writes besides the streams.
private final class ToySession: Sendable {
    let scaffold: MuxerScaffold<ToyMuxer>

    init(over stream: any ByteStream, acceptBacklog: Int = 2) {
        scaffold = MuxerScaffold(over: stream, rules: ToyRules(), acceptBacklog: acceptBacklog, controlLimit: 8)
    }

    func run() async throws {
        try await scaffold.run(decoder: ToyDecoder(), handle: handle, calledTwice: MuxerError.protocolViolation("twice"))
    }

    func handle(_ frame: ToyFrame) throws {
        guard frame.kind == 0 else { throw MuxerError.protocolViolation("toy frame of kind \(frame.kind)") }
        let stream = ToyStream(id: frame.stream)
        scaffold.state.withLock { $0.streams[frame.stream] = stream }
        if !scaffold.offerInbound(stream) {
            scaffold.state.withLock { $0.streams[frame.stream] = nil }
            _ = scaffold.writer.enqueueControl(ByteBuffer(bytes: [2, frame.stream, 0]))  // refused
        }
    }
}

@Suite("MuxerScaffold, driven by a toy muxer")
struct MuxerScaffoldTests {
    @Test("inbound streams are accepted in order, refused beyond the backlog; the peer's end ends everything cleanly")
    func acceptAndRemoteEnd() async throws {
        let (local, peer) = MemoryPipe.makePair()
        let session = ToySession(over: local)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await session.run() }
                try await peer.write(ByteBuffer(bytes: [0, 1, 0, 0, 2, 0, 0, 3, 0]))
                #expect(try await peer.read().map { Array($0.readableBytesView) } == [2, 3, 0])  // the third is refused
                #expect(try await session.scaffold.accept()?.id == 1)
                let second = try #require(try await session.scaffold.accept())
                #expect(second.id == 2)
                async let pending = session.scaffold.accept()
                try await peer.closeWrite()
                #expect(try await pending == nil)
                try await group.waitForAll()  // run() returned normally
                #expect(second.endError == .connectionClosed)
                #expect(session.scaffold.state.withLock { $0.streams.isEmpty && $0.endError == .connectionClosed })
            }
        }
    }

    @Test("a violation ends run() with it: streams see it, the farewell frame goes out, the stream below is closed")
    func violation() async throws {
        let (local, peer) = MemoryPipe.makePair()
        let session = ToySession(over: local)
        try await withTimeout {
            let stream = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await #expect(throws: MuxerError.protocolViolation("toy frame of kind 9")) { try await session.run() }
                }
                try await peer.write(ByteBuffer(bytes: [0, 1, 0]))
                let stream = try #require(try await session.scaffold.accept())
                try await peer.write(ByteBuffer(bytes: [9, 9, 9]))
                try await group.waitForAll()
                return stream
            }
            #expect(stream.endError == .protocolViolation("toy frame of kind 9"))
            #expect(try await session.scaffold.accept() == nil)
            var received: [UInt8] = []
            while let chunk = try await peer.read() { received += chunk.readableBytesView }
            #expect(received == [0xFF])
        }
    }

    @Test("a second run() throws; run() after close() returns at once; a removed stream is never accepted")
    func lifecycle() async throws {
        let (local, _) = MemoryPipe.makePair()
        let session = ToySession(over: local)
        let stream = ToyStream(id: 7)
        #expect(session.scaffold.offerInbound(stream))
        #expect(session.scaffold.acceptBacklogCount == 1)
        session.scaffold.removeFromAcceptBacklog(stream)
        #expect(session.scaffold.acceptBacklogCount == 0)
        try await withTimeout {
            await session.scaffold.end(.closedLocally)
            try await session.run()
            await #expect(throws: MuxerError.protocolViolation("twice")) { try await session.run() }
            #expect(try await session.scaffold.accept() == nil)
        }
    }
}
