import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PMplex

@Suite("mplex limits: overrun, backlog, stream count")
struct MplexLimitsTests {
    /// Writes `chunk`-sized pieces until a write fails; returns that error (and fails the
    /// test if `maxBytes` go through without one).
    static func writeUntilFailure(_ stream: MplexStream, chunk: Int = 16 * 1024, maxBytes: Int = 64 << 20) async -> (any Error)? {
        let data = pattern(chunk, seed: 5)
        var written = 0
        while written < maxBytes {
            do {
                try await stream.write(data)
            } catch {
                return error
            }
            written += chunk
        }
        Issue.record("wrote \(written) bytes without an error")
        return nil
    }

    @Test("a stream whose reader never reads is reset at the cap; the session lives on", arguments: MplexSessionTests.roles)
    func overrun(reader role: MuxerRole) async throws {
        let cap = 64 * 1024
        var config = MplexMuxer.Configuration()
        config.maxStreamReceiveBuffer = cap
        try await withSessionPair(dialer: config, listener: config) { dialer, listener in
            let (writerSession, readerSession) = sides(role == .initiator ? .responder : .initiator, dialer, listener)
            let flooding = try await open(writerSession)
            try await flooding.write([0])
            let idle = try await accept(readerSession)

            let error = await Self.writeUntilFailure(flooding)
            #expect(error as? StreamError == .reset)
            // The reader's side dropped what it held and forgot the stream.
            #expect(readerSession.bufferedBytes == 0)
            #expect(readerSession.streamCount == 0)
            await #expect(throws: StreamError.reset) { try await idle.read() }
            #expect(writerSession.streamCount == 0)

            // Other streams, in both directions, still work.
            let next = try await open(writerSession)
            try await next.write(pattern(cap / 2, seed: 9))
            let nextIn = try await accept(readerSession)
            #expect(try await read(cap / 2, from: nextIn) == pattern(cap / 2, seed: 9))
            try await nextIn.write([42])
            #expect(try await read(1, from: next) == [42])
        }
    }

    /// The race behind a rare hang of the conformance check `slowReader`: a writer
    /// that outruns its reader's `acceptStream()` gets the stream reset at the cap
    /// while it still waits in the accept backlog. The acceptor must still get it (and
    /// learn of the reset by reading), or it waits for a stream that never comes.
    @Test("a stream reset at the cap before it was accepted is still accepted, reset", arguments: MplexSessionTests.roles)
    func overrunBeforeAccept(reader role: MuxerRole) async throws {
        var config = MplexMuxer.Configuration()
        config.maxStreamReceiveBuffer = 64 * 1024
        try await withSessionPair(dialer: config, listener: config) { dialer, listener in
            let (writerSession, readerSession) = sides(role == .initiator ? .responder : .initiator, dialer, listener)
            let flooding = try await open(writerSession)
            // The writer sees the reset only after the reader's session applied the overflow.
            let error = await Self.writeUntilFailure(flooding)
            #expect(error as? StreamError == .reset)
            #expect(readerSession.streamCount == 0)
            // Without it in the backlog the accept below would wait until the test's timeout.
            try #require(readerSession.backlogCount == 1, "the stream reset at the cap left the accept backlog")

            let idle = try await accept(readerSession)
            #expect(idle.id == flooding.id)
            await #expect(throws: StreamError.reset) { try await idle.read() }
            #expect(readerSession.bufferedBytes == 0)
        }
    }

    @Test("unread data of all streams together is capped; the stream that overflows it is reset")
    func connectionCap() async throws {
        var config = MplexMuxer.Configuration()
        config.maxStreamReceiveBuffer = 64 * 1024
        config.maxConnectionReceiveBuffer = 100 * 1024
        try await withSessionPair(listener: config) { dialer, listener in
            let first = try await open(dialer)
            let firstData = pattern(60 * 1024, seed: 1)
            try await first.write(firstData)
            let firstIn = try await accept(listener)

            // A round trip on another stream: the listener has processed `first`'s data.
            let probe = try await open(dialer)
            try await probe.write([1])
            let probeIn = try await accept(listener)
            _ = try await read(1, from: probeIn)
            #expect(listener.bufferedBytes == 60 * 1024)

            // 60 KiB more on a second stream is within its own cap but not the session's.
            let second = try await open(dialer)
            let error = await Self.writeUntilFailure(second, chunk: 20 * 1024)
            #expect(error as? StreamError == .reset)
            #expect(listener.bufferedBytes <= 100 * 1024)

            // The first stream lost nothing.
            try await first.closeWrite()
            #expect(try await readToEnd(firstIn) == firstData)
            #expect(listener.bufferedBytes < 1024)
        }
    }

    @Test("unread bytes of a stream dropped unread leave the session's total")
    func droppedStreamReleasesBudget() async throws {
        try await withSessionPair { dialer, listener in
            let outbound = try await open(dialer)
            try await outbound.write(pattern(10_000, seed: 3))
            try await outbound.closeWrite()
            do {
                let inbound = try await accept(listener)
                try await inbound.closeWrite()  // both directions closed, data unread
            } catch {
                Issue.record("\(error)")
            }
            let probe = try await open(dialer)
            try await probe.write([1])
            let probeIn = try await accept(listener)
            _ = try await read(1, from: probeIn)
            // A round trip orders after the data and Close: the finished stream held
            // 10,000 unread bytes until the last reference to it was dropped above.
            #expect(listener.streamCount == 1)
            #expect(listener.bufferedBytes == 0)
        }
    }

    @Test("inbound streams beyond the accept backlog are reset")
    func backlog() async throws {
        var config = MplexMuxer.Configuration()
        config.acceptBacklog = 2
        try await withSessionPair(listener: config) { dialer, listener in
            var streams: [MplexStream] = []
            for i in 0..<3 {
                let stream = try await open(dialer)
                try await stream.write([UInt8(i)])
                streams.append(stream)
            }
            // The third is refused: its opener sees a reset, not data or end of stream.
            await #expect(throws: StreamError.reset) { try await streams[2].read() }
            #expect(listener.backlogCount == 2)
            for i in 0..<2 {
                let inbound = try await accept(listener)
                #expect(inbound.id == UInt64(i))
                #expect(try await read(1, from: inbound) == [UInt8(i)])
            }
            #expect(listener.backlogCount == 0)
            // Accepting made room again.
            let later = try await open(dialer)
            try await later.write([9])
            #expect(try await read(1, from: try await accept(listener)) == [9])
        }
    }

    @Test("openStream() beyond the stream cap throws until a stream ends")
    func maxOutboundStreams() async throws {
        var config = MplexMuxer.Configuration()
        config.maxStreams = 2
        try await withSessionPair(dialer: config) { dialer, listener in
            let a = try await open(dialer)
            _ = try await open(dialer)
            await #expect(throws: MuxerError.tooManyStreams) { try await dialer.openStream() }
            await a.reset()
            let c = try await open(dialer)
            try await c.write([3])
            // Stream 0 may or may not still be queued, depending on when its reset lands.
            var inbound = try await accept(listener)
            while inbound.id != 2 { inbound = try await accept(listener) }
            #expect(try await read(1, from: inbound) == [3])
        }
    }

    @Test("inbound streams beyond the stream cap are reset")
    func maxInboundStreams() async throws {
        var config = MplexMuxer.Configuration()
        config.maxStreams = 2
        try await withSessionPair(listener: config) { dialer, listener in
            var streams: [MplexStream] = []
            for i in 0..<3 {
                let stream = try await open(dialer)
                try await stream.write([UInt8(i)])
                streams.append(stream)
            }
            await #expect(throws: StreamError.reset) { try await streams[2].read() }
            #expect(listener.streamCount == 2)
            for i in 0..<2 {
                #expect(try await read(1, from: try await accept(listener)) == [UInt8(i)])
            }
        }
    }
}
