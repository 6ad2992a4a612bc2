import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import LibP2PTLS
import NIOCore
import Testing

/// How a channel reads the end of the stream below, and bytes that are not TLS.
@Suite struct StreamEndTests {
    /// A handshake over a pipe whose server end the test keeps, to write raw bytes
    /// under the server's TLS layer.
    func clientWithRawServerEnd() async throws -> (client: any SecureChannel, server: any SecureChannel, raw: MemoryByteStream) {
        let serverKey = PrivateKey.generateEd25519()
        let (a, b) = MemoryPipe.makePair()
        async let server = TLSSecurity().secureInbound(b, identity: serverKey, muxers: [yamux])
        let client = try await TLSSecurity().secureOutbound(
            a, identity: .generateEd25519(), expecting: serverKey.peerID, muxers: [yamux])
        return (client, try await server, b)
    }

    @Test("the stream ending between records, without close_notify, reads as end of stream")
    func endAtRecordBoundary() async throws {
        try await withTimeout {
            let (client, server, raw) = try await clientWithRawServerEnd()
            try await server.write(Array("last words".utf8))
            try await raw.closeWrite()
            #expect(try await client.readAll(limit: 4 << 20) == Array("last words".utf8))
            await client.close()
        }
    }

    @Test("the stream ending inside a record is an error, not end of stream")
    func endInsideRecord() async throws {
        try await withTimeout {
            let (client, _, raw) = try await clientWithRawServerEnd()
            // An application-data record header announcing 64 bytes, then only 3.
            try await raw.write([0x17, 0x03, 0x03, 0x00, 0x40, 1, 2, 3])
            try await raw.closeWrite()
            await #expect(throws: TLSError.truncatedRecord) { try await client.read() }
            await client.close()
        }
    }

    @Test("a forged record fails to decrypt with a clear error")
    func forgedRecord() async throws {
        try await withTimeout {
            let (client, _, raw) = try await clientWithRawServerEnd()
            try await raw.write([0x17, 0x03, 0x03, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32))
            let error = await #expect(throws: TLSError.self) { try await client.read() }
            guard case .openSSL(let why) = error else {
                Issue.record("expected an OpenSSL error, got \(String(describing: error))")
                return
            }
            #expect(why.contains("bad record mac") || why.contains("decrypt"), "\(why)")
            await client.close()
        }
    }
}
