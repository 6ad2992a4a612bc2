import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PYamux

@Suite("yamux sessions, Swift against Swift")
struct YamuxSessionTests {
    static let roles: [MuxerRole] = [.initiator, .responder]

    @Test("the plugin names itself as the registry and the wire expect")
    func plugin() {
        let muxer = YamuxMuxer()
        #expect(muxer.name == "yamux")
        #expect(muxer.protocolID == "/yamux/1.0.0")
        #expect(muxer.configuration.receiveWindow == 256 * 1024)
        #expect(muxer.configuration.acceptBacklog == 256)
        #expect(muxer.configuration.maxStreams == 1024)
    }

    @Test("open, accept and exchange data both ways", arguments: roles)
    func openAccept(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (opener, acceptor) = opener(role, initiator, responder)
            let outbound = try await opener.openYamuxStream()
            #expect(outbound.id % 2 == (role == .initiator ? 1 : 0))
            try await outbound.write(Array("hello".utf8))
            let inbound = try #require(try await acceptor.acceptYamuxStream())
            #expect(inbound.id == outbound.id)
            #expect(try await readExactly(5, from: inbound) == Array("hello".utf8))
            try await inbound.write(Array("world!".utf8))
            #expect(try await readExactly(6, from: outbound) == Array("world!".utf8))
        }
    }

    @Test("stream IDs: odd from the dialer, even from the listener, increasing")
    func streamIDs() async throws {
        try await withSessionPair { initiator, responder in
            let a = try await initiator.openYamuxStream()
            let b = try await initiator.openYamuxStream()
            let c = try await responder.openYamuxStream()
            let d = try await responder.openYamuxStream()
            #expect([a.id, b.id, c.id, d.id] == [1, 3, 2, 4])
        }
    }

    @Test("200 concurrent streams each carry their own echo", arguments: roles)
    func manyStreams(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (opener, acceptor) = opener(role, initiator, responder)
            let count = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Echo server: every accepted stream echoes until end of stream, then closes.
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { echoes in
                        for _ in 0..<count {
                            let stream = try #require(try await acceptor.acceptStream())
                            echoes.addTask {
                                while let chunk = try await stream.read() { try await stream.write(chunk) }
                                try await stream.closeWrite()
                            }
                        }
                        try await echoes.waitForAll()
                    }
                }
                for index in 0..<count {
                    group.addTask {
                        let stream = try await opener.openStream()
                        let message = pattern(1000 + index, seed: UInt8(truncatingIfNeeded: index))
                        try await stream.write(message)
                        try await stream.closeWrite()
                        #expect(try await stream.readAll(limit: 64 << 20) == message)
                    }
                }
                try await group.waitForAll()
            }
            #expect(initiator.activeStreamCount == 0)
            #expect(responder.activeStreamCount == 0)
        }
    }

    @Test("several MiB each way, beyond the 256 KiB window, arrive intact", arguments: roles)
    func largeTransfer(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (opener, acceptor) = opener(role, initiator, responder)
            let up = pattern(3 * 1024 * 1024 + 17, seed: 1)
            let down = pattern(2 * 1024 * 1024 + 5, seed: 2)
            let outbound = try await opener.openStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let inbound = try #require(try await acceptor.acceptStream())
                    // Write while reading: both directions at once.
                    async let received = inbound.readAll(limit: 64 << 20)
                    try await inbound.write(ByteBuffer(bytes: down))
                    try await inbound.closeWrite()
                    #expect(try await received == up)
                }
                group.addTask {
                    async let received = outbound.readAll(limit: 64 << 20)
                    try await outbound.write(ByteBuffer(bytes: up))
                    try await outbound.closeWrite()
                    #expect(try await received == down)
                }
                try await group.waitForAll()
            }
        }
    }

    @Test("a larger configured window is announced and used")
    func largerWindow() async throws {
        let configuration = YamuxConfiguration(receiveWindow: 1024 * 1024)
        try await withSessionPair(configuration: configuration) { initiator, responder in
            let data = pattern(4 * 1024 * 1024, seed: 3)
            let outbound = try await initiator.openStream()
            async let sent: Void = {
                try await outbound.write(ByteBuffer(bytes: data))
                try await outbound.closeWrite()
            }()
            let inbound = try #require(try await responder.acceptStream())
            #expect(try await inbound.readAll(limit: 64 << 20) == data)
            try await sent
        }
    }

    @Test("FIN is a half-close, each way", arguments: roles)
    func halfClose(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (opener, acceptor) = opener(role, initiator, responder)
            let outbound = try await opener.openStream()
            try await outbound.write(Array("request".utf8))
            try await outbound.closeWrite()
            await #expect(throws: StreamError.closed) { try await outbound.write([1]) }

            let inbound = try #require(try await acceptor.acceptStream())
            #expect(try await inbound.readAll(limit: 64 << 20) == Array("request".utf8))
            #expect(try await inbound.read() == nil)
            // The other direction is still open.
            try await inbound.write(Array("response".utf8))
            try await inbound.closeWrite()
            #expect(acceptor.activeStreamCount == 0)

            #expect(try await outbound.readAll(limit: 64 << 20) == Array("response".utf8))
            #expect(opener.activeStreamCount == 0)
        }
    }

    @Test("RST fails pending reads and later writes on the other side, each way", arguments: roles)
    func reset(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (opener, acceptor) = opener(role, initiator, responder)
            let outbound = try await opener.openStream()
            try await outbound.write([1])
            let inbound = try #require(try await acceptor.acceptStream())
            #expect(try await readExactly(1, from: inbound) == [1])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    await #expect(throws: StreamError.reset) { try await inbound.read() }
                    await #expect(throws: StreamError.reset) { try await inbound.write([2]) }
                }
                // The reader is parked (or will find the reset): reset from the opener.
                await outbound.reset()
                try await group.waitForAll()
            }
            await #expect(throws: StreamError.reset) { try await outbound.write([3]) }
            await #expect(throws: StreamError.reset) { try await outbound.read() }
            #expect(opener.activeStreamCount == 0)
            #expect(acceptor.activeStreamCount == 0)
        }
    }

    @Test("a slow reader makes the writer wait; nothing is lost")
    func slowReader() async throws {
        try await withSessionPair { initiator, responder in
            let data = pattern(1024 * 1024, seed: 4)
            let outbound = try await initiator.openStream()
            try await outbound.write([0])
            let inbound = try #require(try await responder.acceptYamuxStream())
            #expect(try await readExactly(1, from: inbound) == [0])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await outbound.write(ByteBuffer(bytes: data))
                    try await outbound.closeWrite()
                }
                var received: [UInt8] = []
                // Read in small bites; the receive buffer never holds more than the window
                // (the session would fail with a protocol error otherwise).
                while let chunk = try await inbound.read() {
                    #expect(chunk.readableBytes <= 256 * 1024)
                    received += chunk.readableBytesView
                    await Task.yield()
                }
                #expect(received == data)
                try await group.waitForAll()
            }
        }
    }

    @Test("yamux ping: the peer answers, both ways")
    func ping() async throws {
        try await withSessionPair { initiator, responder in
            _ = try await initiator.ping()
            _ = try await responder.ping()
            async let first = initiator.ping()
            async let second = initiator.ping()
            _ = try await (first, second)
        }
    }

    @Test("go away: no new streams either way, existing streams finish", arguments: roles)
    func goAway(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (leaving, staying) = opener(role, initiator, responder)
            let existing = try await staying.openStream()
            try await existing.write([1])
            let existingInbound = try #require(try await leaving.acceptStream())

            try await leaving.goAway()
            // The peer sees the go away (the ping's answer comes after it on the wire).
            _ = try await staying.ping()
            #expect(staying.remoteGoAway == .normal)
            await #expect(throws: MuxerError.connectionClosed) { try await staying.openStream() }
            await #expect(throws: MuxerError.connectionClosed) { try await leaving.openStream() }
            #expect(try await staying.acceptStream() == nil)
            #expect(try await leaving.acceptStream() == nil)

            // The existing stream still works both ways.
            #expect(try await readExactly(1, from: existingInbound) == [1])
            try await existingInbound.write([2])
            #expect(try await readExactly(1, from: existing) == [2])
            try await existing.closeWrite()
            try await existingInbound.closeWrite()
            #expect(try await existingInbound.read() == nil)
            #expect(try await existing.read() == nil)
        }
    }

    @Test("close() fails pending accept and read promptly, on both sides", arguments: roles)
    func closeFailsPending(role: MuxerRole) async throws {
        try await withSessionPair { initiator, responder in
            let (closing, other) = opener(role, initiator, responder)
            let outbound = try await other.openStream()
            try await outbound.write([7])
            let inbound = try #require(try await closing.acceptStream())
            #expect(try await readExactly(1, from: inbound) == [7])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let next = try await closing.acceptStream()
                    #expect(next == nil)
                }
                group.addTask { await #expect(throws: MuxerError.connectionClosed) { try await inbound.read() } }
                group.addTask { await #expect(throws: MuxerError.connectionClosed) { try await outbound.read() } }
                group.addTask {
                    let next = try await other.acceptStream()
                    #expect(next == nil)
                }
                await closing.close()
                try await group.waitForAll()
            }
            await #expect(throws: MuxerError.connectionClosed) { try await closing.openStream() }
            await #expect(throws: MuxerError.connectionClosed) { try await inbound.write([1]) }
            #expect(closing.activeStreamCount == 0)
        }
    }

    @Test("inbound streams beyond the accept backlog are reset")
    func backlogOverflow() async throws {
        try await withSessionPair(configuration: YamuxConfiguration(acceptBacklog: 2)) { initiator, responder in
            let first = try await initiator.openStream()
            let second = try await initiator.openStream()
            let third = try await initiator.openStream()
            await #expect(throws: StreamError.reset) { try await third.read() }
            for stream in [first, second] { try await stream.write([1]) }
            for _ in 0..<2 {
                let inbound = try #require(try await responder.acceptStream())
                #expect(try await readExactly(1, from: inbound) == [1])
            }
            #expect(initiator.activeStreamCount == 2)
        }
    }

    @Test("openStream waits while the ACK backlog is full, and goes on when ACKs arrive")
    func ackBacklog() async throws {
        try await withSessionPair(configuration: YamuxConfiguration(ackBacklog: 2)) { initiator, responder in
            let first = try await initiator.openStream()
            _ = try await initiator.openStream()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Blocks until the responder acknowledges one of the first two.
                    let third = try await initiator.openYamuxStream()
                    #expect(third.id == 5)
                }
                let inbound = try #require(try await responder.acceptStream())
                try await inbound.write([1])  // carries the ACK
                #expect(try await readExactly(1, from: first) == [1])
                try await group.waitForAll()
            }
        }
    }

    @Test("the muxer protocol's makeSession gives a working connection")
    func throughProtocol() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            let muxer: any MuxerProtocol = YamuxMuxer()
            let dialer = muxer.makeSession(over: a, role: .initiator)
            let listener = muxer.makeSession(over: b, role: .responder)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await dialer.run() }
                group.addTask { try await listener.run() }
                let stream = try await dialer.openStream()
                try await stream.write([42])
                let inbound = try #require(try await listener.acceptStream())
                #expect(try await readExactly(1, from: inbound) == [42])
                await dialer.close()
                try await group.waitForAll()
            }
        }
    }
}
