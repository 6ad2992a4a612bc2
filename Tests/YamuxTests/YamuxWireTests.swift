import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PYamux

/// A session facing a hand-driven peer: exact frames on the wire, and misbehaviour a
/// Swift session would never produce.
@Suite("yamux wire behaviour against raw frames")
struct YamuxWireTests {
    typealias Header = YamuxFrameHeader

    @Test("openStream sends a window update with SYN at once; data follows without waiting for the ACK")
    func synBeforeAck() async throws {
        try await withRawPeer(sessionRole: .initiator) { session, peer, _ in
            let stream = try await session.openStream()
            let syn = try #require(try await peer.nextFrame())
            #expect(syn.header == Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            try await stream.write(Array("fast".utf8))
            let data = try #require(try await peer.nextFrame())
            #expect(data.header == Header(type: .data, streamID: 1, length: 4))
            #expect(data.payload.bytes == Array("fast".utf8))
            // The peer's ACK may carry data too.
            try await peer.send(Header(type: .data, flags: .ack, streamID: 1, length: 0), payload: Array("ok".utf8))
            #expect(try await readExactly(2, from: stream) == Array("ok".utf8))
        }
    }

    @Test("data in the SYN frame is delivered; our first frame acknowledges, as a window update before the data")
    func dataInSyn() async throws {
        try await withRawPeer(sessionRole: .responder) { session, peer, _ in
            try await peer.send(Header(type: .data, flags: .syn, streamID: 1, length: 0), payload: Array("hi".utf8))
            let stream = try #require(try await session.acceptStream())
            #expect(try await readExactly(2, from: stream) == Array("hi".utf8))
            try await stream.write(Array("yo".utf8))
            let ack = try #require(try await peer.nextFrame())
            #expect(ack.header == Header(type: .windowUpdate, flags: .ack, streamID: 1, length: 0))
            let data = try #require(try await peer.nextFrame())
            #expect(data.header == Header(type: .data, streamID: 1, length: 2))
            #expect(data.payload.bytes == Array("yo".utf8))
            // FIN and RST travel on zero-length data frames.
            try await stream.closeWrite()
            let fin = try #require(try await peer.nextFrame())
            #expect(fin.header == Header(type: .data, flags: .fin, streamID: 1, length: 0))
        }
    }

    @Test("a stream closed before any write still sends its ACK first")
    func ackBeforeFin() async throws {
        try await withRawPeer(sessionRole: .responder) { session, peer, _ in
            try await peer.send(Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            let stream = try #require(try await session.acceptStream())
            try await stream.closeWrite()
            #expect(try await peer.nextFrame()?.header == Header(type: .windowUpdate, flags: .ack, streamID: 1, length: 0))
            #expect(try await peer.nextFrame()?.header == Header(type: .data, flags: .fin, streamID: 1, length: 0))
        }
    }

    @Test("every ping SYN is answered with an ACK carrying the same value")
    func pingAnswered() async throws {
        try await withRawPeer(sessionRole: .responder) { _, peer, _ in
            for value: UInt32 in [0, 1, 0xDEAD_BEEF, .max] {
                try await peer.send(Header(type: .ping, flags: .syn, streamID: 0, length: value))
                #expect(try await peer.nextFrame()?.header == Header(type: .ping, flags: .ack, streamID: 0, length: value))
            }
        }
    }

    @Test("our ping waits for the ACK with its own value")
    func pingMeasured() async throws {
        try await withRawPeer(sessionRole: .initiator) { session, peer, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await session.ping() }
                let syn = try #require(try await peer.nextFrame())
                #expect(syn.header.type == .ping && syn.header.flags == .syn)
                // A stray ACK does not complete it; the right one does.
                try await peer.send(Header(type: .ping, flags: .ack, streamID: 0, length: syn.header.length &+ 1))
                try await peer.send(Header(type: .ping, flags: .ack, streamID: 0, length: syn.header.length))
                try await group.waitForAll()
            }
        }
    }

    @Test("a peer that overruns the window gets a go away with the protocol-error code")
    func windowOverrun() async throws {
        try await withRawPeer(sessionRole: .responder) { session, peer, run in
            try await peer.send(Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            let stream = try #require(try await session.acceptStream())
            let chunk = [UInt8](repeating: 7, count: 64 * 1024)
            for _ in 0..<4 { try await peer.send(Header(type: .data, streamID: 1, length: 0), payload: chunk) }
            // Exactly the window so far: fine. One more byte is a violation.
            try await peer.send(Header(type: .data, streamID: 1, length: 0), payload: [1])
            let goAway = try #require(try await peer.nextFrameSkippingCredit())
            #expect(goAway.header == Header(type: .goAway, streamID: 0, length: YamuxGoAwayCode.protocolError.rawValue))
            #expect(try await peer.nextFrame() == nil)
            await #expect(throws: MuxerError.self) { try await run.value }
            // Pending stream operations fail with the reason.
            var received = 0
            do {
                while let data = try await stream.read() { received += data.readableBytes }
                Issue.record("read should fail after a protocol error")
            } catch let error as MuxerError {
                guard case .protocolViolation(let why) = error else { Issue.record("unexpected \(error)"); return }
                #expect(why.contains("window"))
            }
            #expect(received == 256 * 1024)
        }
    }

    @Test("a data frame longer than the window is refused from its header")
    func oversizeFrame() async throws {
        try await withRawPeer(sessionRole: .responder) { _, peer, run in
            try await peer.sendRaw(Header(type: .data, flags: .syn, streamID: 1, length: 256 * 1024 + 1).encoded.bytes)
            #expect(try await peer.nextFrame()?.header == Header(type: .goAway, streamID: 0, length: 1))
            await #expect(throws: MuxerError.protocolViolation(YamuxFrameError.dataTooLarge(length: 256 * 1024 + 1, limit: 256 * 1024).description)) {
                try await run.value
            }
        }
    }

    @Test("undecodable frames end the session with a protocol error", arguments: [
        [UInt8]([0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),  // unknown type
        [0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],  // unknown version
    ])
    func garbage(bytes: [UInt8]) async throws {
        try await withRawPeer(sessionRole: .initiator) { _, peer, run in
            try await peer.sendRaw(bytes)
            #expect(try await peer.nextFrame()?.header == Header(type: .goAway, streamID: 0, length: 1))
            await #expect(throws: MuxerError.self) { try await run.value }
        }
    }

    @Test("input cut off inside a frame is a protocol error, not a crash")
    func truncatedInput() async throws {
        try await withRawPeer(sessionRole: .initiator) { _, peer, run in
            try await peer.sendRaw([0x00, 0x00, 0x00])
            try await peer.stream.closeWrite()
            await #expect(throws: MuxerError.protocolViolation(YamuxFrameError.truncated(needed: 12, available: 3, what: "frame header").description)) {
                try await run.value
            }
        }
    }

    @Test("stream-level protocol violations", arguments: [
        // Wrong parity: the dialer (initiator) opens odd IDs, so an even SYN from it is wrong.
        Header(type: .windowUpdate, flags: .syn, streamID: 2, length: 0),
        // Stream frames on the session's ID 0.
        Header(type: .data, flags: [], streamID: 0, length: 0),
    ])
    func streamViolations(header: Header) async throws {
        try await withRawPeer(sessionRole: .responder) { _, peer, run in
            try await peer.send(header)
            #expect(try await peer.nextFrame()?.header == Header(type: .goAway, streamID: 0, length: 1))
            await #expect(throws: MuxerError.self) { try await run.value }
        }
    }

    @Test("a second SYN for an open stream is a protocol error")
    func duplicateSyn() async throws {
        try await withRawPeer(sessionRole: .responder) { _, peer, run in
            try await peer.send(Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            try await peer.send(Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            #expect(try await peer.nextFrame()?.header == Header(type: .goAway, streamID: 0, length: 1))
            await #expect(throws: MuxerError.self) { try await run.value }
        }
    }

    @Test("SYNs beyond the accept backlog are answered with RST")
    func backlogRst() async throws {
        try await withRawPeer(sessionRole: .responder, configuration: YamuxConfiguration(acceptBacklog: 3)) { session, peer, _ in
            for id: UInt32 in [1, 3, 5, 7, 9] {
                try await peer.send(Header(type: .data, flags: .syn, streamID: id, length: 0), payload: [UInt8(id)])
            }
            #expect(try await peer.nextFrame()?.header == Header(type: .data, flags: .rst, streamID: 7, length: 0))
            #expect(try await peer.nextFrame()?.header == Header(type: .data, flags: .rst, streamID: 9, length: 0))
            for id: UInt8 in [1, 3, 5] {
                let stream = try #require(try await session.acceptStream())
                #expect(try await readExactly(1, from: stream) == [id])
            }
        }
    }

    @Test("a received go away stops new streams but not existing ones; the session ends at EOF")
    func receivedGoAway() async throws {
        try await withRawPeer(sessionRole: .initiator) { session, peer, run in
            let stream = try await session.openStream()
            #expect(try await peer.nextFrame()?.header.flags == .syn)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let next = try await session.acceptStream()
                    #expect(next == nil)
                }
                try await peer.send(Header(type: .goAway, streamID: 0, length: 0))
                try await group.waitForAll()
            }
            #expect(session.remoteGoAway == .normal)
            await #expect(throws: MuxerError.connectionClosed) { try await session.openStream() }
            // The existing stream still carries data both ways.
            try await peer.send(Header(type: .data, flags: .ack, streamID: 1, length: 0), payload: [5])
            #expect(try await readExactly(1, from: stream) == [5])
            try await stream.write([6])
            #expect(try await peer.nextFrame()?.payload.bytes == [6])
            // EOF from the peer ends the session cleanly and fails what is pending.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await #expect(throws: MuxerError.connectionClosed) { try await stream.read() } }
                try await peer.stream.closeWrite()
                try await group.waitForAll()
            }
            try await run.value
        }
    }

    @Test("close() sends a go away with the normal code, then ends the stream below")
    func closeSendsGoAway() async throws {
        try await withRawPeer(sessionRole: .initiator) { session, peer, run in
            await session.close()
            #expect(try await peer.nextFrame()?.header == Header(type: .goAway, streamID: 0, length: 0))
            #expect(try await peer.nextFrame() == nil)
            try await run.value
        }
    }

    @Test("the writer never exceeds the window; it waits for the update, then goes on")
    func writerRespectsWindow() async throws {
        try await withRawPeer(sessionRole: .initiator) { session, peer, _ in
            let data = pattern(600 * 1024, seed: 9)
            let stream = try await session.openStream()
            #expect(try await peer.nextFrame()?.header.flags == .syn)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await stream.write(ByteBuffer(bytes: data)) }
                var received: [UInt8] = []
                // Exactly the initial window arrives, no more.
                while received.count < 256 * 1024 {
                    let frame = try #require(try await peer.nextFrame())
                    #expect(frame.header.type == .data)
                    received += frame.payload.readableBytesView
                }
                #expect(received.count == 256 * 1024)
                // The next frame is the answer to this ping, not more data.
                try await peer.send(Header(type: .ping, flags: .syn, streamID: 0, length: 42))
                #expect(try await peer.nextFrame()?.header == Header(type: .ping, flags: .ack, streamID: 0, length: 42))
                // Grant the rest in two steps; the writer resumes each time.
                for grant in [100 * 1024, data.count - 356 * 1024] {
                    try await peer.send(Header(type: .windowUpdate, flags: grant == 100 * 1024 ? .ack : [], streamID: 1, length: UInt32(grant)))
                    let target = received.count + grant
                    while received.count < target {
                        let frame = try #require(try await peer.nextFrame())
                        received += frame.payload.readableBytesView
                    }
                    #expect(received.count == target)
                }
                try await group.waitForAll()
                #expect(received == data)
            }
        }
    }

    @Test("the reader hands window back once it has consumed half of it")
    func windowUpdatesSent() async throws {
        try await withRawPeer(sessionRole: .responder) { session, peer, _ in
            try await peer.send(Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            let stream = try #require(try await session.acceptStream())
            try await peer.send(Header(type: .data, streamID: 1, length: 0), payload: pattern(128 * 1024))
            #expect(try await readExactly(128 * 1024, from: stream) == pattern(128 * 1024))
            let update = try #require(try await peer.nextFrame())
            #expect(update.header == Header(type: .windowUpdate, flags: .ack, streamID: 1, length: 128 * 1024))
        }
    }

    @Test("session end from the peer's EOF fails pending accepts and reads")
    func peerEOF() async throws {
        try await withRawPeer(sessionRole: .responder) { session, peer, run in
            try await peer.send(Header(type: .windowUpdate, flags: .syn, streamID: 1, length: 0))
            let stream = try #require(try await session.acceptStream())
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let next = try await session.acceptStream()
                    #expect(next == nil)
                }
                group.addTask { await #expect(throws: MuxerError.connectionClosed) { try await stream.read() } }
                await peer.stream.close()
                try await group.waitForAll()
            }
            try await run.value
            await #expect(throws: MuxerError.connectionClosed) { try await session.openStream() }
        }
    }
}
