import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import NIOCore
import NIOConcurrencyHelpers
import Testing

@testable import LibP2PYamux

/// Two yamux sessions over an in-memory pipe, both running for the duration of
/// `body`. The initiator (dialer) uses odd stream IDs, the responder even ones.
func withSessionPair(
    configuration: YamuxConfiguration = YamuxConfiguration(),
    pipeCapacity: Int = 64 * 1024,
    _ body: @escaping @Sendable (_ initiator: YamuxSession, _ responder: YamuxSession) async throws -> Void
) async throws {
    try await withTimeout {
        let (a, b) = MemoryPipe.makePair(capacity: pipeCapacity)
        let muxer = YamuxMuxer(configuration: configuration)
        let initiator = muxer.makeYamuxSession(over: a, role: .initiator)
        let responder = muxer.makeYamuxSession(over: b, role: .responder)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await initiator.run() }
            group.addTask { try await responder.run() }
            try await body(initiator, responder)
            await initiator.close()
            await responder.close()
            try await group.waitForAll()
        }
    }
}

/// The two sessions of a pair, named by who opens the stream under test.
func opener(_ role: MuxerRole, _ initiator: YamuxSession, _ responder: YamuxSession) -> (opener: YamuxSession, acceptor: YamuxSession) {
    role == .initiator ? (initiator, responder) : (responder, initiator)
}

/// One yamux session under test facing a hand-driven peer that reads and writes raw
/// frames: for what a well-behaved session never does (overrun a window, send
/// garbage) and for checking exact frames on the wire.
func withRawPeer(
    sessionRole: MuxerRole,
    configuration: YamuxConfiguration = YamuxConfiguration(),
    _ body: @escaping @Sendable (_ session: YamuxSession, _ peer: RawPeer, _ run: Task<Void, any Error>) async throws -> Void
) async throws {
    try await withTimeout {
        let (a, b) = MemoryPipe.makePair()
        let session = YamuxMuxer(configuration: configuration).makeYamuxSession(over: a, role: sessionRole)
        let peer = RawPeer(stream: b)
        // `run` is awaited (or cancelled) before the test returns: not fire-and-forget.
        let run = Task { try await session.run() }
        do {
            try await body(session, peer, run)
        } catch {
            run.cancel()
            await session.close()
            _ = await run.result
            throw error
        }
        await session.close()
        await peer.stream.close()
        _ = await run.result
    }
}

/// The far end of a pipe, speaking raw yamux frames.
final class RawPeer: Sendable {
    let stream: MemoryByteStream
    private let decoder = NIOLockedValueBox(YamuxFrameDecoder(maxDataLength: .max))

    init(stream: MemoryByteStream) {
        self.stream = stream
    }

    func send(_ header: YamuxFrameHeader, payload: [UInt8] = []) async throws {
        var header = header
        if header.type == .data { header.length = UInt32(payload.count) }
        try await stream.write(YamuxFrame(header: header, payload: ByteBuffer(bytes: payload)).encoded)
    }

    func sendRaw(_ bytes: [UInt8]) async throws {
        try await stream.write(bytes)
    }

    /// The next frame the session sent; `nil` at end of stream.
    func nextFrame() async throws -> YamuxFrame? {
        while true {
            if let frame = try decoder.withLockedValue({ try $0.next() }) { return frame }
            guard let chunk = try await stream.read() else { return nil }
            decoder.withLockedValue { $0.append(chunk) }
        }
    }

    /// The next frame, skipping window updates that carry nothing but credit.
    func nextFrameSkippingCredit() async throws -> YamuxFrame? {
        while let frame = try await nextFrame() {
            if frame.header.type == .windowUpdate, frame.header.flags.isEmpty { continue }
            return frame
        }
        return nil
    }
}

/// Deterministic non-repeating-looking bytes for integrity checks.
func pattern(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8) &+ Int(seed)) }
}

extension ByteBuffer {
    var bytes: [UInt8] { Array(readableBytesView) }
}
