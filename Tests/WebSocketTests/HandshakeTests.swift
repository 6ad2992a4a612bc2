import NIOCore
import Testing

@testable import LibP2PWebSocket

/// The opening handshake's pieces on their own: the key's answer, and the HTTP head
/// reader on heads that arrive in pieces, in odd but legal shapes, or broken.
struct HandshakeTests {
    @Test func acceptValueOfTheRFCExample() {
        // RFC 6455 §1.3.
        #expect(HandshakeKey.accept(for: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func sha1Vectors() {
        let hex = { (bytes: [UInt8]) in bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }
        #expect(hex(HandshakeKey.sha1([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(HandshakeKey.sha1(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        // Two blocks (56 bytes forces the padding into a second one).
        #expect(hex(HandshakeKey.sha1(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test func keys() {
        let key = HandshakeKey.random()
        #expect(HandshakeKey.isValid(key))
        #expect(HandshakeKey.random() != key)
        #expect(!HandshakeKey.isValid("c2hvcnQ="))
        #expect(!HandshakeKey.isValid("dGhlIHNhbXBsZSBub25jZQ=!"))
    }

    @Test func headInPiecesWithBareLineFeedsAndFramesBehind() throws {
        var reader = HTTPHeadReader(.request, maxBytes: 1024)
        let pieces = ["GE", "T / HTTP/1.1\r\nHost: a\r\nconnection:  keep-alive, UPGRADE \r\n", "Upgrade: WebSocket\n", "\r"]
        for piece in pieces {
            guard case .needMore = reader.feed(ByteBuffer(string: piece)) else { Issue.record("done early at \(piece)"); return }
        }
        // The head's last byte and the first frame's first bytes in one read.
        let result = reader.feed(ByteBuffer(bytes: [UInt8(ascii: "\n"), 0x82, 0x00]))
        guard case .head(let head, let rest) = result else { Issue.record("not a head: \(result)"); return }
        #expect(head.startLine == ["GET", "/", "HTTP/1.1"])
        #expect(head.hasToken("connection", "upgrade"))
        #expect(head.hasToken("upgrade", "websocket"))
        #expect(head.values("host") == ["a"])
        #expect(Array(rest.readableBytesView) == [0x82, 0x00])
    }

    @Test func refusals() {
        func step(_ text: String, _ kind: HTTPHeadReader.Kind = .request, max: Int = 1024) -> String {
            var reader = HTTPHeadReader(kind, maxBytes: max)
            return "\(reader.feed(ByteBuffer(string: text)))"
        }
        #expect(step("\u{16}\u{3}\u{1}").hasPrefix("invalid"))
        #expect(step("SSH-2.0-OpenSSH_9.2\r\n").hasPrefix("invalid"))
        #expect(step("GET / HTTP/1.1\r\n bad: fold\r\n\r\n").hasPrefix("invalid"))
        #expect(step("GET / HTTP/1.1\r\nName : v\r\n\r\n").hasPrefix("invalid"))
        #expect(step("GET / HTTP/1.0\r\n\r\n").hasPrefix("invalid"))
        #expect(step("GET / HTTP/1.1\r\nX: \(String(repeating: "a", count: 2000))") == "tooLarge")
        #expect(step("GET / HTTP/1.1\r\nHost: a\r\n") == "needMore")
        #expect(step("FTP 220 hello\r\n\r\n", .response).hasPrefix("invalid"))
        #expect(step("HTTP/1.1 101 Switching Protocols\r\n\r\n", .response).hasPrefix("head"))
    }
}
