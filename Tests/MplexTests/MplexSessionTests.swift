import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization
import Testing

@testable import LibP2PMplex

@Suite("mplex sessions over a memory pipe")
struct MplexSessionTests {
    static let roles: [MuxerRole] = [.initiator, .responder]

    @Test("the plugin names itself and makes sessions")
    func plugin() {
        let muxer = MplexMuxer()
        #expect(muxer.name == "mplex")
        #expect(muxer.protocolID == "/mplex/6.7.0")
        #expect(muxer.configuration.maxMessageSize == 1 << 20)
        let (a, _) = MemoryPipe.makePair()
        let session = muxer.makeSession(over: a, role: .responder)
        #expect((session as? MplexSession)?.role == .responder)
    }

    @Test("either side opens, the other accepts, data flows both ways", arguments: roles)
    func openAccept(opener role: MuxerRole) async throws {
        try await withSessionPair { dialer, listener in
            let (opener, acceptor) = sides(role, dialer, listener)
            let outbound = try await open(opener)
            #expect(outbound.id == 0 && outbound.name == "0" && outbound.openedLocally)
            try await outbound.write(Array("ping".utf8))
            let inbound = try await accept(acceptor)
            #expect(inbound.id == 0 && inbound.name == "0" && !inbound.openedLocally)
            #expect(try await read(4, from: inbound) == Array("ping".utf8))
            try await inbound.write(Array("pong".utf8))
            #expect(try await read(4, from: outbound) == Array("pong".utf8))

            let second = try await open(opener)
            #expect(second.id == 1)
        }
    }

    @Test("both sides open stream 0 at once and each frame reaches the right one")
    func sameNumberBothWays() async throws {
        try await withSessionPair { dialer, listener in
            async let fromDialer = open(dialer)
            async let fromListener = open(listener)
            let (d, l) = try await (fromDialer, fromListener)
            #expect(d.id == 0 && l.id == 0)
            try await d.write(Array("dialer's stream".utf8))
            try await l.write(Array("listener's stream".utf8))

            let atListener = try await accept(listener)
            let atDialer = try await accept(dialer)
            #expect(atListener.id == 0 && atDialer.id == 0)
            #expect(try await read(15, from: atListener) == Array("dialer's stream".utf8))
            #expect(try await read(17, from: atDialer) == Array("listener's stream".utf8))

            // Replies travel with the acceptor's flags and land on each opener's stream.
            try await atListener.write(Array("reply to dialer".utf8))
            try await atDialer.write(Array("reply to listener".utf8))
            #expect(try await read(15, from: d) == Array("reply to dialer".utf8))
            #expect(try await read(17, from: l) == Array("reply to listener".utf8))
            #expect(dialer.streamCount == 2 && listener.streamCount == 2)
        }
    }

    @Test("200 concurrent streams echo their own data, then leave the tables empty")
    func manyStreams() async throws {
        let count = 200
        try await withSessionPair { dialer, listener in
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The listener echoes every stream it accepts.
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { echoes in
                        for _ in 0..<count {
                            let stream = try await accept(listener)
                            echoes.addTask {
                                while let chunk = try await stream.read() { try await stream.write(chunk) }
                                try await stream.closeWrite()
                            }
                        }
                        try await echoes.waitForAll()
                    }
                }
                for i in 0..<count {
                    group.addTask {
                        let stream = try await open(dialer)
                        let data = pattern(1000 + i * 37, seed: i)
                        try await stream.write(data)
                        try await stream.closeWrite()
                        #expect(try await readToEnd(stream) == data, "stream \(i)")
                    }
                }
                try await group.waitForAll()
            }
            #expect(dialer.streamCount == 0)
            #expect(listener.streamCount == 0)
            #expect(dialer.bufferedBytes == 0 && listener.bufferedBytes == 0)
        }
    }

    @Test("a multi-MiB write is split into 1 MiB messages and arrives intact, both ways", arguments: roles)
    func bigTransfer(opener role: MuxerRole) async throws {
        let size = 5 * (1 << 20) + 12345
        // This test is about splitting and integrity, not the overrun limit: let the
        // reader fall behind without being reset.
        var config = MplexMuxer.Configuration()
        config.maxStreamReceiveBuffer = 2 * size
        try await withSessionPair(dialer: config, listener: config) { dialer, listener in
            let (opener, acceptor) = sides(role, dialer, listener)
            let upload = pattern(size, seed: 7)
            let download = pattern(size, seed: 8)
            let outbound = try await open(opener)
            async let uploaded: Void = {
                try await outbound.write(upload)
                try await outbound.closeWrite()
            }()
            let inbound = try await accept(acceptor)
            #expect(try await readToEnd(inbound) == upload)
            try await uploaded
            try await inbound.write(download)
            try await inbound.closeWrite()
            #expect(try await readToEnd(outbound) == download)
        }
    }

    @Test("half-close: the closed direction ends, the other keeps working", arguments: roles)
    func halfClose(closer role: MuxerRole) async throws {
        try await withSessionPair { dialer, listener in
            let outbound = try await open(dialer)
            try await outbound.write(Array("hello".utf8))
            let inbound = try await accept(listener)
            #expect(try await read(5, from: inbound) == Array("hello".utf8))
            let (closer, other): (MplexStream, MplexStream) = role == .initiator ? (outbound, inbound) : (inbound, outbound)

            try await closer.write(Array("last".utf8))
            try await closer.closeWrite()
            try await closer.closeWrite()  // idempotent
            await #expect(throws: StreamError.closed) { try await closer.write(Array("late".utf8)) }
            #expect(try await readToEnd(other) == Array("last".utf8))

            // The other direction is still open.
            try await other.write(Array("still here".utf8))
            #expect(try await read(10, from: closer) == Array("still here".utf8))
            #expect(dialer.streamCount == 1 && listener.streamCount == 1)

            try await other.closeWrite()
            #expect(try await closer.read() == nil)
            // Both directions closed: both sessions forgot the stream.
            #expect(dialer.streamCount == 0 && listener.streamCount == 0)
        }
    }

    @Test("reset aborts both directions on both sides", arguments: roles)
    func reset(resetter role: MuxerRole) async throws {
        try await withSessionPair { dialer, listener in
            let outbound = try await open(dialer)
            try await outbound.write(Array("x".utf8))
            let inbound = try await accept(listener)
            #expect(try await read(1, from: inbound) == Array("x".utf8))
            let (resetter, other): (MplexStream, MplexStream) = role == .initiator ? (outbound, inbound) : (inbound, outbound)
            let (resetterSession, otherSession) = sides(role, dialer, listener)

            // The peer's pending read fails with a reset, not end of stream.
            async let pendingRead = outcome { try await other.read() }
            await resetter.reset()
            expectFailure(await pendingRead, StreamError.reset)
            await #expect(throws: StreamError.reset) { try await other.write(Array("y".utf8)) }
            await #expect(throws: StreamError.reset) { try await other.read() }
            await #expect(throws: StreamError.reset) { try await resetter.read() }
            await #expect(throws: StreamError.reset) { try await resetter.write(Array("y".utf8)) }
            await #expect(throws: StreamError.reset) { try await resetter.closeWrite() }
            await resetter.reset()  // idempotent
            #expect(resetterSession.streamCount == 0 && otherSession.streamCount == 0)

            // The session is unharmed.
            let next = try await open(dialer)
            try await next.write(Array("after".utf8))
            #expect(try await read(5, from: try await accept(listener)) == Array("after".utf8))
        }
    }

    @Test("close() ends both directions of a stream; the peer reads to the end")
    func streamClose() async throws {
        try await withSessionPair { dialer, listener in
            let outbound = try await open(dialer)
            try await outbound.write(Array("bye".utf8))
            await outbound.close()
            await #expect(throws: StreamError.closed) { try await outbound.write(Array("more".utf8)) }
            #expect(try await outbound.read() == nil)

            let inbound = try await accept(listener)
            #expect(try await readToEnd(inbound) == Array("bye".utf8))
            // Data sent to a stream its reader closed is dropped, not buffered.
            try await inbound.write(pattern(10_000, seed: 1))
            try await inbound.closeWrite()
            #expect(listener.streamCount == 0)
            // The dialer forgets the stream once the listener's Close arrives; a round
            // trip on another stream orders after it.
            let probe = try await open(dialer)
            try await probe.write([1])
            let probeIn = try await accept(listener)
            _ = try await read(1, from: probeIn)
            try await probeIn.write([2])
            _ = try await read(1, from: probe)
            #expect(dialer.streamCount == 1)
            #expect(dialer.bufferedBytes == 0)
        }
    }

    @Test("close() fails pending accepts and reads at once, and run() returns")
    func sessionClose() async throws {
        let (a, b) = MemoryPipe.makePair()
        let dialer = MplexSession(over: a, role: .initiator)
        let listener = MplexSession(over: b, role: .responder)
        try await withTimeout(10) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await dialer.run() }
                group.addTask { try await listener.run() }
                let outbound = try await open(dialer)
                try await outbound.write([1])
                let inbound = try await accept(listener)
                _ = try await read(1, from: inbound)

                async let pendingAccept = listener.acceptStream()
                async let pendingRead = outcome { try await inbound.read() }
                async let pendingDialerRead = outcome { try await outbound.read() }
                await listener.close()
                #expect(try await pendingAccept == nil)
                expectFailure(await pendingRead, MuxerError.connectionClosed)
                // The dialer sees the connection end too.
                expectFailure(await pendingDialerRead, MuxerError.connectionClosed)
                await #expect(throws: MuxerError.connectionClosed) { try await inbound.write([2]) }
                await #expect(throws: MuxerError.connectionClosed) { try await listener.openStream() }
                #expect(try await listener.acceptStream() == nil)
                #expect(try await dialer.acceptStream() == nil)
                await #expect(throws: MuxerError.connectionClosed) { try await dialer.openStream() }
                await listener.close()  // idempotent
                try await group.waitForAll()
            }
        }
    }

    @Test("run() twice is refused")
    func runTwice() async throws {
        let (a, _) = MemoryPipe.makePair()
        let session = MplexSession(over: a, role: .initiator)
        await session.close()
        try await withTimeout(10) { try await session.run() }
        await #expect(throws: MplexUsageError.runCalledTwice) { try await session.run() }
    }

    @Test("cancelling a pending read or accept throws CancellationError and leaves the stream usable")
    func cancellation() async throws {
        try await withSessionPair { dialer, listener in
            let accepting = Task { try await listener.acceptStream() }
            accepting.cancel()
            await #expect(throws: CancellationError.self) { try await accepting.value }

            let outbound = try await open(dialer)
            try await outbound.write([1])
            let inbound = try await accept(listener)
            _ = try await read(1, from: inbound)
            let reading = Task { try await inbound.read() }
            reading.cancel()
            await #expect(throws: CancellationError.self) { try await reading.value }
            try await outbound.write([2])
            #expect(try await read(1, from: inbound) == [2])
        }
    }
}
