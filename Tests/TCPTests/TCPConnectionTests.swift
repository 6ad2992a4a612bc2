import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization
import Testing

@testable import LibP2PTCP
@testable import LibP2PSockets

@Suite struct TCPConnectionTests {
    @Test(arguments: ["/ip4/127.0.0.1", "/ip6/::1"])
    func dialListenAcceptAndTalkBothWays(host: String) async throws {
        let pair = try await ConnectedPair.make(host: host)
        let listening = pair.listener.localAddresses[0]
        #expect(listening.description.hasPrefix(host + "/tcp/"))
        #expect(listening.components.last != .tcp(0), "port 0 must be replaced by the bound port")
        #expect(pair.client.remoteAddress == listening)
        #expect(pair.server.localAddress == listening)
        #expect(pair.server.remoteAddress == pair.client.localAddress)

        try await withTimeout {
            try await pair.client.write(Array("ping".utf8))
            #expect(string(try await readExactly(4, from: pair.server)) == "ping")
            try await pair.server.write(Array("pong!".utf8))
            #expect(string(try await readExactly(5, from: pair.client)) == "pong!")
        }
        await pair.close()
    }

    @Test func dialAcceptsATrailingPeerID() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        let address = listener.localAddresses[0].appending(.p2p(PrivateKey.generateEd25519().peerID))
        try await withTimeout {
            async let accepted = listener.accept()
            let client = try await transport.dial(address)
            let server = try #require(try await accepted)
            #expect(client.remoteAddress == listener.localAddresses[0])
            await client.close()
            await server.close()
        }
        await listener.close()
    }

    @Test func dialsADNS4Name() async throws {
        let transport = TCPTransport()
        let listener = try await transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        let port = try #require(listener.localAddresses[0].tcpHostPort?.port)
        try await withTimeout {
            async let accepted = listener.accept()
            let client = try await transport.dial(try Multiaddr("/dns4/localhost/tcp/\(port)"))
            let server = try #require(try await accepted)
            #expect(client.remoteAddress == listener.localAddresses[0])
            await client.close()
            await server.close()
        }
        await listener.close()
    }

    @Test func multiMebibyteTransferBothWaysAtOnceKeepsEveryByte() async throws {
        let pair = try await ConnectedPair.make()
        let total = 8 * 1024 * 1024
        try await withTimeout(.seconds(60)) {
            async let clientSent: Void = {
                try await writePattern(pair.client, total: total)
                try await pair.client.closeWrite()
            }()
            async let serverSent: Void = {
                try await writePattern(pair.server, total: total)
                try await pair.server.closeWrite()
            }()
            async let serverGot = readPattern(pair.server)
            async let clientGot = readPattern(pair.client)
            try await clientSent
            try await serverSent
            #expect(try await serverGot == total)
            #expect(try await clientGot == total)
        }
        await pair.close()
    }

    @Test(arguments: [true, false])
    func halfCloseEndsOneDirectionOnly(clientClosesFirst: Bool) async throws {
        let pair = try await ConnectedPair.make()
        let (first, second) = clientClosesFirst ? (pair.client, pair.server) : (pair.server, pair.client)
        try await withTimeout {
            try await first.write(Array("last words".utf8))
            try await first.closeWrite()
            #expect(string(try await readExactly(10, from: second)) == "last words")
            #expect(try await second.read() == nil)
            #expect(try await second.read() == nil, "end of stream stays ended")

            // The other direction still works both ways round.
            try await second.write(Array("reply".utf8))
            #expect(string(try await readExactly(5, from: first)) == "reply")
            await #expect(throws: StreamError.closed) { try await first.write(Array("more".utf8)) }
            try await second.closeWrite()
            #expect(try await first.read() == nil)
        }
        await pair.close()
    }

    @Test func closeWakesAPendingReadWithEndOfStream() async throws {
        let pair = try await ConnectedPair.make()
        try await withTimeout {
            async let pending = pair.client.read()
            try await Task.sleep(for: .milliseconds(50))  // let the read park
            await pair.client.close()
            #expect(try await pending == nil)
            #expect(try await pair.client.read() == nil)
            await #expect(throws: StreamError.closed) { try await pair.client.write(Array("x".utf8)) }
            // The peer sees the end too.
            #expect(try await pair.server.read() == nil)
        }
        await pair.close()
    }

    @Test func closeIsIdempotentAndClosesWriteQuietly() async throws {
        let pair = try await ConnectedPair.make()
        await pair.client.close()
        await pair.client.close()
        try await pair.client.closeWrite()
        await pair.close()
    }

    @Test func cancelledReadLeavesTheConnectionUsable() async throws {
        let pair = try await ConnectedPair.make()
        try await withTimeout {
            let reader = Task { try await pair.server.read() }
            try await Task.sleep(for: .milliseconds(50))
            reader.cancel()
            await #expect(throws: CancellationError.self) { try await reader.value }
            try await pair.client.write(Array("after".utf8))
            #expect(string(try await readExactly(5, from: pair.server)) == "after")
        }
        await pair.close()
    }

    @Test func peerResetFailsReadsWithAClearError() async throws {
        let pair = try await ConnectedPair.make()
        try await withTimeout {
            // Unread data at close makes the client's kernel send a reset, not a FIN.
            try await pair.server.write(Array("never read".utf8))
            try await Task.sleep(for: .milliseconds(50))
            await pair.client.close()
            // The server sees either a clean end or a reset, never a hang; a later
            // write must fail once the reset arrives.
            do {
                while try await pair.server.read() != nil {}
            } catch let error as TCPError {
                #expect(error.description.contains(pair.client.localAddress.description))
            }
            var failed = false
            for _ in 0..<100 where !failed {
                do {
                    try await pair.server.write(Array("x".utf8))
                    try await Task.sleep(for: .milliseconds(10))
                } catch {
                    failed = true
                }
            }
            #expect(failed, "writes to a closed peer must eventually fail")
        }
        await pair.close()
    }

    /// A reader that does not read must stop the writer (TCP's window fills, then our
    /// bounded buffers): a writer of 64 MiB stalls long before the end, and finishes
    /// with every byte intact once the reader drains.
    @Test func slowReaderStallsTheWriterThenEverythingArrives() async throws {
        let pair = try await ConnectedPair.make()
        let total = 64 * 1024 * 1024
        let written = Counter()
        try await withTimeout(.seconds(60)) {
            async let writer: Void = {
                let chunk = 256 * 1024
                var offset = 0
                while offset < total {
                    try await pair.client.write(pattern(from: offset, count: chunk))
                    offset += chunk
                    written.value.store(offset, ordering: .relaxed)
                }
                try await pair.client.closeWrite()
            }()
            // Wait until the writer makes no progress for a while.
            var last = -1
            while written.value.load(ordering: .relaxed) != last {
                last = written.value.load(ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(last < total / 2, "the writer ran \(last) bytes ahead of a reader that never read")
            #expect(try await readPattern(pair.server) == total)
            try await writer
        }
        await pair.close()
    }

    @Test func closeFailsAWriterWaitingOnAFullPipe() async throws {
        let pair = try await ConnectedPair.make()
        try await withTimeout {
            let writer = Task {
                let chunk = ByteBuffer(repeating: 7, count: 256 * 1024)
                while true { try await pair.client.write(chunk) }
            }
            try await Task.sleep(for: .milliseconds(500))  // long enough to fill every buffer
            await pair.client.close()
            await #expect(throws: StreamError.closed) { try await writer.value }
        }
        await pair.close()
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}
