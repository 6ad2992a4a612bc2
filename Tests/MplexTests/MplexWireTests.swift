import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PMplex

/// The session against a peer spoken by hand, frame by frame: what goes on the wire
/// and how the session treats what comes off it.
@Suite("mplex on the wire")
struct MplexWireTests {
    @Test("frames are routed by number and opener, and sent with our side's flags")
    func routing() async throws {
        try await withRawPeer { session, peer in
            var ours: [MplexStream] = []
            for id in 0..<4 {
                ours.append(try await open(session))
                try await peer.expectFrame(UInt64(id), .newStream, Array(String(id).utf8))
            }
            // The peer opens its own stream 3.
            try await peer.send(3, .newStream, Array("theirs".utf8))
            let theirs = try await accept(session)
            #expect(theirs.id == 3 && theirs.name == "theirs")

            try await peer.send(3, .messageInitiator, Array("to theirs".utf8))  // sent by the opener
            try await peer.send(3, .messageReceiver, Array("to ours".utf8))  // sent by the acceptor
            #expect(try await read(9, from: theirs) == Array("to theirs".utf8))
            #expect(try await read(7, from: ours[3]) == Array("to ours".utf8))

            try await theirs.write(Array("a".utf8))
            try await peer.expectFrame(3, .messageReceiver, Array("a".utf8))
            try await ours[3].write(Array("b".utf8))
            try await peer.expectFrame(3, .messageInitiator, Array("b".utf8))

            try await theirs.closeWrite()
            try await peer.expectFrame(3, .closeReceiver)
            try await ours[3].closeWrite()
            try await peer.expectFrame(3, .closeInitiator)
            await ours[2].reset()
            try await peer.expectFrame(2, .resetInitiator)

            try await peer.send(3, .closeInitiator)
            #expect(try await theirs.read() == nil)
            try await peer.send(3, .closeReceiver)
            #expect(try await ours[3].read() == nil)
            try await peer.send(1, .resetReceiver)
            await #expect(throws: StreamError.reset) { try await ours[1].read() }
            #expect(session.streamCount == 1)  // only our stream 0 is left

            try await peer.send(5, .newStream)
            let another = try await accept(session)
            #expect(another.name == "")
            await another.reset()
            try await peer.expectFrame(5, .resetReceiver)
        }
    }

    @Test("a write over 1 MiB goes out as 1 MiB messages")
    func splitting() async throws {
        let data = pattern(5 * (1 << 19) + 3, seed: 11)  // 2.5 MiB + 3
        try await withRawPeer { session, peer in
            let stream = try await open(session)
            try await peer.expectFrame(0, .newStream, Array("0".utf8))
            async let written: Void = stream.write(data)
            var sizes: [Int] = []
            var received: [UInt8] = []
            while received.count < data.count {
                let frame = try #require(try await peer.nextFrame())
                #expect(frame.streamID == 0 && frame.flag == .messageInitiator)
                sizes.append(frame.payload.readableBytes)
                received += frame.payload.readableBytesView
            }
            try await written
            #expect(sizes == [1 << 20, 1 << 20, (1 << 19) + 3])
            #expect(received == data)
        }
    }

    @Test("frames about streams the session does not know are ignored")
    func unknownStreams() async throws {
        try await withRawPeer { session, peer in
            try await peer.send(7, .messageInitiator, [1, 2, 3])
            try await peer.send(7, .closeInitiator)
            try await peer.send(7, .resetInitiator)
            try await peer.send(9, .messageReceiver, [1])
            try await peer.send(9, .resetReceiver)
            try await peer.send(1, .newStream)
            try await peer.send(1, .messageInitiator, [4])
            let stream = try await accept(session)
            #expect(stream.id == 1)
            #expect(try await read(1, from: stream) == [4])
            #expect(session.streamCount == 1)
        }
    }

    @Test("a stream past the accept backlog gets ResetReceiver on the wire")
    func backlogReset() async throws {
        var config = MplexMuxer.Configuration()
        config.acceptBacklog = 1
        try await withRawPeer(config: config) { session, peer in
            try await peer.send(0, .newStream)
            try await peer.send(1, .newStream)
            try await peer.send(1, .messageInitiator, [1])  // in flight; dropped
            let reset = try #require(try await peer.nextFrame())
            #expect(Array(reset.encoded().readableBytesView) == [0x0D, 0x00])  // 1 << 3 | 5
            #expect(try await accept(session).id == 0)
        }
    }

    @Test("an overrun stream gets ResetReceiver and its later data is dropped")
    func overrunReset() async throws {
        var config = MplexMuxer.Configuration()
        config.maxStreamReceiveBuffer = 1000
        try await withRawPeer(config: config) { session, peer in
            try await peer.send(0, .newStream)
            try await peer.send(0, .messageInitiator, pattern(600, seed: 1))
            try await peer.send(0, .messageInitiator, pattern(600, seed: 2))
            try await peer.expectFrame(0, .resetReceiver)
            try await peer.send(0, .messageInitiator, pattern(600, seed: 3))
            #expect(session.bufferedBytes == 0)
            try await peer.send(1, .newStream)
            try await peer.send(1, .messageInitiator, [7])
            // Stream 0 stays in the backlog, reset: its acceptor learns of the reset by
            // reading (the data after it was dropped), rather than waiting for it forever.
            let overrun = try await accept(session)
            #expect(overrun.id == 0)
            await #expect(throws: StreamError.reset) { try await overrun.read() }
            let next = try await accept(session)
            #expect(next.id == 1)
            #expect(try await read(1, from: next) == [7])
        }
    }

    @Test("reset() never waits for a peer that does not read; queued writes of the stream fail at once")
    func resetDoesNotBlock() async throws {
        let (local, remote) = MemoryPipe.makePair(capacity: 1024)
        let observed = ObservedByteStream(local)
        let session = MplexSession(over: observed, role: .initiator)
        try await withTimeout(10) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await session.run() }
                var peer = RawPeer(remote)
                var writes = observed.writesStarted.makeAsyncIterator()
                let blocked = try await open(session)
                let other = try await open(session)
                _ = await writes.next()
                _ = await writes.next()

                // The peer reads nothing: this write fills the pipe and holds the writer.
                async let stuck: Void = blocked.write(pattern(64 * 1024, seed: 1))
                let size = try #require(await writes.next())
                #expect(size > 64 * 1024)
                // `other`'s write waits behind it, until the reset fails it.
                async let queued = outcome { try await other.write([1]) }
                await other.reset()
                expectFailure(await queued, StreamError.reset)
                await blocked.reset()
                #expect(session.streamCount == 0)

                // Now the peer reads: the data, then both resets (and nothing of `other`).
                try await peer.expectFrame(0, .newStream, Array("0".utf8))
                try await peer.expectFrame(1, .newStream, Array("1".utf8))
                try await peer.expectFrame(0, .messageInitiator, pattern(64 * 1024, seed: 1))
                try await stuck
                var resets: Set<UInt64> = []
                for _ in 0..<2 {
                    let frame = try #require(try await peer.nextFrame())
                    #expect(frame.flag == .resetInitiator)
                    resets.insert(frame.streamID)
                }
                #expect(resets == [0, 1])
                await session.close()
                try await group.waitForAll()
            }
        }
    }

    // MARK: The end of a session

    /// Runs a session whose peer sends `bytes` and closes; returns how `run()` ended.
    static func runAgainst(_ bytes: [UInt8]) async throws -> (MplexSession, Result<Void, any Error>) {
        let (local, remote) = MemoryPipe.makePair()
        let session = MplexSession(over: local, role: .responder)
        try await remote.write(bytes)
        try await remote.closeWrite()
        let result = try await withTimeout(10) { () -> Result<Void, any Error> in
            do {
                try await session.run()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        return (session, result)
    }

    static func violation(_ result: Result<Void, any Error>) -> String? {
        guard case .failure(let error) = result, case .protocolViolation(let why) = error as? MuxerError else { return nil }
        return why
    }

    @Test("bad frames from the peer end the session with a clear protocol error", arguments: [
        ([0x07, 0x00], "unknown flag 7"),
        ([0x0A, 0x81, 0x80, 0x40], "exceeds the limit of 1048576"),
        ([0x00, 0x00, 0x00, 0x00], "already has open"),  // NewStream 0 twice
        ([0x1A, 0x05, 0x68], "ended inside a frame"),
        ([0x0A, 0x80, 0x00], "not minimally encoded"),
    ] as [([UInt8], String)])
    func badInput(bytes: [UInt8], reason: String) async throws {
        let (session, result) = try await Self.runAgainst(bytes)
        let why = try #require(Self.violation(result), "run() ended with \(result)")
        #expect(why.contains(reason), "\(why)")
        #expect(try await session.acceptStream() == nil)
        await #expect(throws: MuxerError.connectionClosed) { try await session.openStream() }
    }

    @Test("the peer closing the connection ends every stream and the session")
    func endOfStream() async throws {
        let bytes =
            Array(MplexFrame(streamID: 0, flag: .newStream).encoded().readableBytesView)
            + Array(MplexFrame(streamID: 0, flag: .messageInitiator, payload: ByteBuffer(string: "hi")).encoded().readableBytesView)
            + Array(MplexFrame(streamID: 1, flag: .newStream).encoded().readableBytesView)
            + Array(MplexFrame(streamID: 1, flag: .messageInitiator, payload: ByteBuffer(string: "done")).encoded().readableBytesView)
            + Array(MplexFrame(streamID: 1, flag: .closeInitiator).encoded().readableBytesView)
        let (session, result) = try await Self.runAgainst(bytes)
        guard case .success = result else {
            Issue.record("a clean end of stream should end run() normally, got \(result)")
            return
        }
        // Streams not accepted before the end go with the session.
        #expect(try await session.acceptStream() == nil)
        #expect(session.streamCount == 0)
        await #expect(throws: MuxerError.connectionClosed) { try await session.openStream() }
    }

    @Test("a failed write ends the session with that error")
    func brokenWrite() async throws {
        let (local, remote) = MemoryPipe.makePair()
        let session = MplexSession(over: BrokenWritesByteStream(local), role: .initiator)
        try await withTimeout(10) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await #expect(throws: BrokenWritesByteStream.WriteFailed()) { try await session.run() }
                }
                var peer = RawPeer(remote)
                try await peer.send(0, .newStream)
                let inbound = try await accept(session)
                await #expect(throws: BrokenWritesByteStream.WriteFailed()) { try await inbound.write([1]) }
                // The writer closed the connection: the peer sees it end, and the session too.
                #expect(try await peer.nextFrame() == nil)
                try await group.waitForAll()
                await #expect(throws: MuxerError.connectionClosed) { try await inbound.read() }
                await #expect(throws: MuxerError.connectionClosed) { try await session.openStream() }
            }
        }
    }

    @Test("streams in use when the peer goes away fail their pending operations")
    func endOfStreamWithPendingReads() async throws {
        let (local, remote) = MemoryPipe.makePair()
        let session = MplexSession(over: local, role: .initiator)
        try await withTimeout(10) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await session.run() }
                var peer = RawPeer(remote)
                let ours = try await open(session)
                try await peer.expectFrame(0, .newStream, Array("0".utf8))
                try await peer.send(0, .newStream)
                try await peer.send(0, .messageInitiator, Array("hi".utf8))
                try await peer.send(1, .newStream)
                try await peer.send(1, .messageInitiator, Array("done".utf8))
                try await peer.send(1, .closeInitiator)
                let open0 = try await accept(session)
                let closed1 = try await accept(session)
                #expect(try await read(2, from: open0) == Array("hi".utf8))
                #expect(try await readToEnd(closed1) == Array("done".utf8))

                async let pendingRead = outcome { try await ours.read() }
                async let pendingAccept = session.acceptStream()
                await remote.close()
                expectFailure(await pendingRead, MuxerError.connectionClosed)
                #expect(try await pendingAccept == nil)
                await #expect(throws: MuxerError.connectionClosed) { try await open0.read() }
                await #expect(throws: MuxerError.connectionClosed) { try await open0.write([1]) }
                await #expect(throws: MuxerError.connectionClosed) { try await ours.write([1]) }
                #expect(session.streamCount == 0)
                try await group.waitForAll()
            }
        }
    }
}
