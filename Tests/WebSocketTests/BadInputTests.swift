import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import LibP2PWebSocket
import NIOCore
import Testing

/// A ws listener fed what no correct dialer sends, over a raw TCP socket. Each case
/// checks the answer (status line, close frame, or the socket closing within a
/// bound), and then that an honest dial and a data exchange still work on the same
/// listener: bad input costs the peer that sent it its connection, nothing more.
@Suite("WebSocket listener: bad input is refused and the listener keeps serving", .serialized)
struct BadInputTests {
    /// Well above any answer's time on a loaded machine, well below the 10 s header
    /// deadline: a refusal closed within it was closed by the answer, not the deadline.
    static let promptly = Duration.seconds(3)

    // MARK: Refused before the upgrade: an HTTP answer, then the socket closes

    @Test("plain HTTP request without an upgrade: 400, closed")
    func plainHTTP() async throws {
        try await expectRefused("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", status: "400", mentioning: "not a WebSocket upgrade request")
    }

    @Test("missing Sec-WebSocket-Key: 400, closed")
    func missingKey() async throws {
        try await expectRefused(Frame.upgradeRequest(key: nil), status: "400", mentioning: "Sec-WebSocket-Key")
    }

    @Test("malformed Sec-WebSocket-Key (not the base64 of 16 bytes): 400, closed")
    func wrongKey() async throws {
        try await expectRefused(Frame.upgradeRequest(key: "c2hvcnQ="), status: "400", mentioning: "Sec-WebSocket-Key")
    }

    @Test("Sec-WebSocket-Version 8: 426 naming version 13, closed")
    func wrongVersion() async throws {
        try await expectRefused(Frame.upgradeRequest(version: "8"), status: "426", mentioning: "Sec-WebSocket-Version: 13")
    }

    @Test("missing Sec-WebSocket-Version: 426, closed")
    func missingVersion() async throws {
        try await expectRefused(Frame.upgradeRequest(version: nil), status: "426", mentioning: "missing Sec-WebSocket-Version")
    }

    @Test("an upgrade by POST: 405, closed")
    func notGET() async throws {
        try await expectRefused(Frame.upgradeRequest(method: "POST"), status: "405", mentioning: "must be a GET")
    }

    @Test("junk instead of HTTP (a TLS ClientHello's first bytes): 400 at once, closed")
    func junk() async throws {
        try await expectRefused([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC], status: "400", mentioning: "not an HTTP request")
    }

    @Test("junk with HTTP's shape but a broken header line: 400, closed")
    func brokenHeaderLine() async throws {
        try await expectRefused("GET / HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n", status: "400", mentioning: "without a colon")
    }

    @Test("request head over maxHeaderBytes: 431, closed")
    func oversizedHeaders() async throws {
        let huge = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: \(String(repeating: "a", count: 20_000))\r\n\r\n"
        try await expectRefused(huge, status: "431", mentioning: "request head over 16384 bytes")
    }

    @Test("headers that never finish: closed at the header deadline, with no answer")
    func headersNeverFinish() async throws {
        let deadline = Duration.milliseconds(300)
        try await withListener(WebSocketTransport(headerTimeout: deadline)) { transport, listener in
            let peer = try await RawPeer.connect(to: listener)
            let start = ContinuousClock.now
            try await peer.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            #expect(try await peer.waitClosed(upTo: Self.promptly), "still open \(Self.promptly) after a 300 ms deadline")
            #expect(ContinuousClock.now - start >= .milliseconds(250), "closed before the deadline")
            #expect(peer.received.isEmpty)
            await peer.close()
            try await expectStillServes(transport, listener)
        }
    }

    @Test("wss: plaintext HTTP where TLS is expected: closed, and wss still serves")
    func plaintextToWSS() async throws {
        try await withListener(WebSocketTransport(secure: true), listenOn: "/ip4/127.0.0.1/tcp/0/tls/ws") { transport, listener in
            let peer = try await RawPeer.connect(to: listener)
            try await peer.send(Frame.upgradeRequest())
            #expect(try await peer.waitClosed(upTo: Self.promptly), "still open after \(Self.promptly)")
            #expect(!peer.receivedText.contains("HTTP/1.1"), "answered in plaintext")
            await peer.close()
            try await expectStillServes(transport, listener)
        }
    }

    // MARK: Refused after the upgrade: a close frame, and the accepted connection's reader fails

    @Test("unmasked client frame: close 1002, the reader fails naming it")
    func unmaskedFrame() async throws {
        try await withUpgradedPeer { peer, server in
            try await peer.send(Frame.make(opcode: Frame.binary, payload: Array("hi".utf8), mask: nil))
            let (bytes, error) = try await readToEnd(server)
            #expect(bytes.isEmpty)
            #expect("\(error.map { "\($0)" } ?? "no error")".contains("unmasked frame from the client"))
            #expect(try await peer.wait(upTo: Self.promptly) { $0.received.contains(Frame.serverClose(1002)) }, "no close 1002")
            #expect(try await peer.waitClosed(upTo: Self.promptly))
        }
    }

    @Test("frame over maxFrameSize: close 1009, the reader fails")
    func oversizedFrame() async throws {
        try await withUpgradedPeer(maxFrameSize: 1024) { peer, server in
            // Only the header: the length alone must be refused, before 4 KiB is buffered.
            try await peer.send(Array(Frame.make(opcode: Frame.binary, payload: [], declaredLength: 4096)))
            let (bytes, error) = try await readToEnd(server)
            #expect(bytes.isEmpty)
            #expect(error != nil, "the reader saw a clean end instead of a failure")
            #expect(try await peer.wait(upTo: Self.promptly) { $0.received.contains(Frame.serverClose(1009)) }, "no close 1009")
            #expect(try await peer.waitClosed(upTo: Self.promptly))
        }
    }

    @Test("text frame: read as stream bytes like a binary one, as go-libp2p does")
    func textFrame() async throws {
        try await withUpgradedPeer { peer, server in
            try await peer.send(Frame.make(opcode: Frame.text, payload: Array("hello".utf8)))
            #expect(try await readExactly(5, from: server) == Array("hello".utf8))
            try await peer.send(Frame.make(opcode: Frame.binary, payload: Array("!".utf8)))
            #expect(try await readExactly(1, from: server) == Array("!".utf8))
        }
    }

    @Test("a frame split byte by byte, fragments and a ping between them: joined, and the ping answered")
    func fragmentsAndPing() async throws {
        try await withUpgradedPeer { peer, server in
            let first = Frame.make(opcode: Frame.binary, fin: false, payload: Array("frag".utf8))
            for byte in first { try await peer.send([byte]) }
            try await peer.send(Frame.make(opcode: 0x9, payload: Array("are you there".utf8)))
            try await peer.send(Frame.make(opcode: 0x0, payload: Array("ments".utf8)))
            #expect(try await readExactly(9, from: server) == Array("fragments".utf8))
            let pong: [UInt8] = [0x8A, 13] + Array("are you there".utf8)
            #expect(try await peer.wait(upTo: Self.promptly) { $0.received.contains(pong) }, "no pong")
        }
    }

    @Test("close in the middle of a fragmented message: close 1002, the reader fails naming it")
    func closeMidMessage() async throws {
        try await withUpgradedPeer { peer, server in
            try await peer.send(Frame.make(opcode: Frame.binary, fin: false, payload: Array("abc".utf8)))
            try await peer.send(Frame.make(opcode: Frame.close, payload: [0x03, 0xE8]))
            let (bytes, error) = try await readToEnd(server)
            #expect(bytes == Array("abc".utf8), "the fragment before the close is delivered")
            #expect("\(error.map { "\($0)" } ?? "no error")".contains("closed in the middle of a message"))
            #expect(try await peer.wait(upTo: Self.promptly) { $0.received.contains(Frame.serverClose(1002)) }, "no close 1002")
        }
    }

    // MARK: Helpers

    /// Sends `input`, expects an answer with `status` whose text mentions
    /// `mentioning`, the socket closed right after it (well before the 10 s header
    /// deadline), nothing reaching `accept()`, and the listener still serving.
    func expectRefused(_ input: String, status: String, mentioning: String) async throws {
        try await expectRefused(Array(input.utf8), status: status, mentioning: mentioning)
    }

    func expectRefused(_ input: [UInt8], status: String, mentioning: String) async throws {
        try await withListener(WebSocketTransport()) { transport, listener in
            let peer = try await RawPeer.connect(to: listener)
            try await peer.send(input)
            #expect(try await peer.waitClosed(upTo: Self.promptly), "still open \(Self.promptly) after the bad input")
            let answer = peer.receivedText
            #expect(answer.hasPrefix("HTTP/1.1 \(status) "), "answer: \(answer)")
            #expect(answer.contains(mentioning), "answer: \(answer)")
            #expect(answer.contains("Connection: close"))
            await peer.close()
            try await expectStillServes(transport, listener)
        }
    }

    /// An honest dial and a few bytes each way; the accepted connection must be
    /// that dial (a refused one never reaches `accept()`).
    func expectStillServes(_ transport: WebSocketTransport, _ listener: any Listener) async throws {
        async let accepted = listener.accept()
        let client = try await transport.dial(listener.localAddresses[0])
        let server = try #require(try await accepted)
        #expect(server.remoteAddress.description == client.localAddress.description, "accept() returned another connection")
        try await client.write(ByteBuffer(string: "ping"))
        #expect(try await readExactly(4, from: server) == Array("ping".utf8))
        try await server.write(ByteBuffer(string: "pong"))
        #expect(try await readExactly(4, from: client) == Array("pong".utf8))
        await client.close()
        await server.close()
    }

    /// A raw peer that completed an honest upgrade (the RFC 6455 sample key, whose
    /// accept value checks our SHA-1), and the connection the listener accepted for it.
    /// After `body`, the listener must still serve an honest dial.
    func withUpgradedPeer(
        maxFrameSize: Int = 4 << 20, _ body: @escaping @Sendable (RawPeer, any RawConnection) async throws -> Void
    ) async throws {
        try await withListener(WebSocketTransport(maxFrameSize: maxFrameSize)) { transport, listener in
            async let accepted = listener.accept()
            let peer = try await RawPeer.connect(to: listener)
            try await peer.send(Frame.upgradeRequest())
            #expect(try await peer.wait(upTo: Self.promptly) { $0.receivedText.contains("\r\n\r\n") }, "no answer to the upgrade")
            let answer = peer.receivedText
            try #require(answer.hasPrefix("HTTP/1.1 101 "), "answer: \(answer)")
            #expect(answer.contains("Sec-WebSocket-Accept: \(Frame.sampleAccept)\r\n"), "answer: \(answer)")
            let server = try #require(try await accepted)
            try await body(peer, server)
            await server.close()
            await peer.close()
            try await expectStillServes(transport, listener)
        }
    }

    func withListener(
        _ transport: WebSocketTransport, listenOn address: String = "/ip4/127.0.0.1/tcp/0/ws",
        _ body: @escaping @Sendable (WebSocketTransport, any Listener) async throws -> Void
    ) async throws {
        let listener = try await transport.listen(try Multiaddr(address))
        do {
            try await withTimeout(30) { try await body(transport, listener) }
        } catch {
            await listener.close()
            throw error
        }
        await listener.close()
    }

    /// Reads until the end of the stream or a failure: the bytes, and the failure if any.
    func readToEnd(_ stream: any RawConnection) async throws -> ([UInt8], (any Error)?) {
        try await withTimeout(10) {
            var bytes: [UInt8] = []
            do {
                while let buffer = try await stream.read() { bytes += buffer.readableBytesView }
                return (bytes, nil)
            } catch {
                return (bytes, error)
            }
        }
    }
}
