import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Synchronization
import Testing

@testable import LibP2PNoise

@Suite("Noise transport channel")
struct ChannelTests {
    @Test("a 200 KB write round-trips as frames of at most 65519 bytes, both ways",
          arguments: [NoiseRole.initiator, .responder])
    func largeWrite(writer: NoiseRole) async throws {
        let (initiator, responder) = try await HandshakeRun().channels()
        let (sender, receiver) = writer == .initiator ? (initiator, responder) : (responder, initiator)
        let data = randomBytes(200_000)
        let received = try await withTimeout {
            async let write: Void = sender.write(data)
            let received = try await readChunks(data.count, from: receiver)
            try await write
            return received
        }
        #expect(received.bytes == data)
        // One read decrypts one frame.
        #expect(received.chunks == [65519, 65519, 65519, 200_000 - 3 * 65519])
    }

    @Test("frames of one write go to the stream below in one write, up to about 1 MiB")
    func coalescedWrites() async throws {
        let tap = Mutex<WireTap?>(nil)
        let outcome = try await HandshakeRun().run { stream in
            let wireTap = WireTap(stream)
            tap.withLock { $0 = wireTap }
            return wireTap
        }
        let initiator = try outcome.initiator.get()
        let responder = try outcome.responder.get()
        let wire = try #require(tap.withLock { $0 })
        let handshakeWrites = wire.writeSizes.count

        let small = randomBytes(200_000)
        let large = randomBytes(3 * 1024 * 1024)
        try await withTimeout {
            async let write: Void = {
                try await initiator.write(small)
                try await initiator.write(large)
            }()
            #expect(try await readExactly(small.count + large.count, from: responder) == small + large)
            try await write
        }
        let sizes = Array(wire.writeSizes.dropFirst(handshakeWrites))
        // 200 KB: 4 frames, one write. 3 MiB: 49 frames, in writes of at most 16 frames.
        #expect(sizes.first == 200_000 + 4 * 18)
        #expect(sizes.count == 1 + 4)
        #expect(sizes.dropFirst().allSatisfy { $0 <= 16 * (2 + 65535) })
        #expect(sizes.dropFirst().reduce(0, +) == large.count + 49 * 18)
    }

    @Test("reads and writes run concurrently in both directions")
    func concurrentDirections() async throws {
        let (initiator, responder) = try await HandshakeRun().channels()
        let fromInitiator = randomBytes(300_000)
        let fromResponder = randomBytes(300_000)
        try await withTimeout {
            // Four tasks: each side writes in 1000-byte pieces while reading the other's bytes.
            async let a: Void = {
                for chunk in stride(from: 0, to: fromInitiator.count, by: 1000) {
                    try await initiator.write(Array(fromInitiator[chunk..<chunk + 1000]))
                }
            }()
            async let b: Void = {
                for chunk in stride(from: 0, to: fromResponder.count, by: 1000) {
                    try await responder.write(Array(fromResponder[chunk..<chunk + 1000]))
                }
            }()
            async let atResponder = readExactly(fromInitiator.count, from: responder)
            async let atInitiator = readExactly(fromResponder.count, from: initiator)
            #expect(try await atResponder == fromInitiator)
            #expect(try await atInitiator == fromResponder)
            try await a
            try await b
        }
    }

    @Test("closeWrite passes through: the peer reads the data, then the end", arguments: [NoiseRole.initiator, .responder])
    func halfClose(closer: NoiseRole) async throws {
        let (initiator, responder) = try await HandshakeRun().channels()
        let (closing, other) = closer == .initiator ? (initiator, responder) : (responder, initiator)
        try await withTimeout {
            try await closing.write([1, 2, 3])
            try await closing.closeWrite()
            #expect(try await readExactly(3, from: other) == [1, 2, 3])
            #expect(try await other.read() == nil)
            // The other direction still works.
            try await other.write([4])
            #expect(try await readExactly(1, from: closing) == [4])
        }
    }

    @Test("bytes pipelined right behind message 3 are not lost")
    func pipelinedData() async throws {
        // The initiator's first data frame can arrive in the same read as message 3;
        // the responder must hand those bytes to its channel.
        let (initiator, responder) = try await HandshakeRun().channels()
        try await withTimeout {
            try await initiator.write([42])
            try await initiator.write([43])
            #expect(try await readExactly(2, from: responder) == [42, 43])
        }
    }

    @Test("a tampered frame fails to decrypt, and the read side stays failed")
    func tamperedFrame() async throws {
        // Initiator writes: 1 = message 1, 2 = message 3, 3 = first data.
        let outcome = try await HandshakeRun().run { WireTap($0, attack: .flipLastByte(ofWrite: 3)) }
        let initiator = try outcome.initiator.get()
        let responder = try outcome.responder.get()
        try await withTimeout {
            try await initiator.write([1, 2, 3, 4])
            await #expect(throws: NoiseError.decryptionFailed("transport frame")) { try await responder.read() }
            try await initiator.write([5])
            await #expect(throws: NoiseError.self) { try await responder.read() }
        }
    }

    @Test("a frame cut short by the end of the stream is an error, not a hang")
    func truncatedFrame() async throws {
        let outcome = try await HandshakeRun().run { WireTap($0, attack: .truncate(write: 3)) }
        let initiator = try outcome.initiator.get()
        let responder = try outcome.responder.get()
        try await withTimeout {
            try await initiator.write(randomBytes(1000))
            await #expect(throws: StreamError.unexpectedEOF("noise transport frame")) { try await responder.read() }
        }
    }

    @Test("a second concurrent reader is refused; a cancelled read leaves the channel usable")
    func concurrentReadAndCancellation() async throws {
        let (initiator, responder) = try await HandshakeRun().channels()
        try await withTimeout {
            // A reader that keeps trying until it holds the read side, then blocks there.
            let blocked = Task {
                while true {
                    do { return try await responder.read() } catch StreamError.concurrentRead { await Task.yield() }
                }
            }
            // Our reads give up after 50 ms, so the blocked reader gets its turn.
            while true {
                do {
                    _ = try await withTimeout(0.05) { try await responder.read() }
                } catch StreamError.concurrentRead {
                    break
                } catch is TimeoutError {
                    continue
                }
            }
            blocked.cancel()
            _ = await blocked.result
            try await initiator.write([7])
            #expect(try await readExactly(1, from: responder) == [7])
        }
    }

    @Test("frames from a raw peer: one frame per read, empty frames skipped, a zero-length frame refused")
    func rawFrames() async throws {
        var peer = try RawPeer()
        // Three frames in one chunk, the middle one empty (legal Noise, just a tag).
        let threeFrames = try peer.frame([1]) + peer.frame([]) + peer.frame([2, 3])
        let split = try peer.frame([4, 5, 6])
        let (channel, end) = (peer.channel, peer.end)
        try await withTimeout {
            try await end.write(threeFrames)
            #expect(try await channel.read() == ByteBuffer(bytes: [1]))
            #expect(try await channel.read() == ByteBuffer(bytes: [2, 3]))
            // A frame split across chunks is reassembled.
            try await end.write(Array(split.prefix(1)))
            try await end.write(Array(split.dropFirst()))
            #expect(try await channel.read() == ByteBuffer(bytes: [4, 5, 6]))
            // A frame too short to hold a tag.
            try await end.write([0x00, 0x00])
            await #expect(throws: NoiseError.messageTooShort("transport frame", length: 0, minimum: 16)) {
                try await channel.read()
            }
        }
    }

    @Test("an empty write sends nothing; the peer closing at a frame boundary is a clean end")
    func emptyWriteAndCleanEnd() async throws {
        let peer = try RawPeer()
        let (channel, end) = (peer.channel, peer.end)
        try await withTimeout {
            try await channel.write(ByteBuffer())
            #expect(end.bytesInFlight == 0)
            try await end.closeWrite()
            #expect(try await channel.read() == nil)
        }
    }

    @Test("the write side refuses to go on after its stream failed")
    func writeAfterFailure() async throws {
        let (initiator, responder) = try await HandshakeRun().channels()
        await responder.close()
        try await withTimeout {
            await #expect(throws: StreamError.closed) { try await initiator.write([1]) }
            await #expect(throws: NoiseError.self) { try await initiator.write([2]) }
        }
    }
}

/// A `NoiseSecureChannel` whose peer is the test: both ends' ciphers come from an
/// in-memory XX handshake, and the test writes raw frames to the channel's stream.
struct RawPeer {
    let channel: NoiseSecureChannel
    let end: MemoryByteStream
    var send: CipherState

    init() throws {
        var initiator = HandshakeState(role: .initiator, localStatic: .generate())
        var responder = HandshakeState(role: .responder, localStatic: .generate())
        _ = try responder.readMessage(initiator.writeMessage(payload: []))
        _ = try initiator.readMessage(responder.writeMessage(payload: []))
        _ = try responder.readMessage(initiator.writeMessage(payload: []))
        let (channelSend, channelReceive) = try initiator.split()
        send = try responder.split().send
        let (a, b) = MemoryPipe.makePair()
        let identity = PrivateKey.generateEd25519()
        channel = try NoiseSecureChannel(
            reader: ByteStreamReader(a), send: channelSend, receive: channelReceive,
            localPeer: identity.peerID, remote: RemoteIdentity(publicKey: identity.publicKey, muxers: []),
            earlyMuxer: nil)
        end = b
    }

    /// One transport frame carrying `plaintext`.
    mutating func frame(_ plaintext: [UInt8]) throws -> [UInt8] {
        let ciphertext = try send.encrypt(ad: [], plaintext: plaintext)
        return [UInt8(ciphertext.count >> 8), UInt8(ciphertext.count & 0xff)] + ciphertext
    }
}
