import LibP2PCore
import NIOCore
import NIOConcurrencyHelpers

/// The async adapter between a `TLSEngine` and the `ByteStream` below it: runs the
/// handshake, then reads and writes application data.
///
/// One task may read while another writes. The engine sits behind a lock that is held
/// only around synchronous engine calls, never across an `await`. Only writers
/// (`write`, `closeWrite`, the handshake) take the engine's ciphertext and hand it
/// to the stream, so records reach the wire in the order OpenSSL made them; bytes
/// OpenSSL produces while reading (a KeyUpdate reply) wait in the engine and go out
/// ahead of the next write, which is when TLS 1.3 requires them.
final class TLSSession: Sendable {
    /// Unchecked: the engine is not thread-safe, and it is only ever touched under
    /// `state`'s lock (NIO's, which ThreadSanitizer sees, unlike `Mutex` on Linux).
    private struct State: @unchecked Sendable {
        let engine: TLSEngine
        var writing = false
        var writeClosed = false
        var closed = false
    }

    /// Plaintext encrypted per stream write: 64 KiB becomes four records and one write.
    static let maxPlaintextPerWrite = 64 * 1024

    let transport: any ByteStream
    private let state: NIOLockedValueBox<State>

    init(engine: sending TLSEngine, transport: any ByteStream) {
        self.transport = transport
        self.state = NIOLockedValueBox(State(engine: engine))
    }

    /// Runs `body` on the engine under the lock (for post-handshake queries).
    func withEngine<T: Sendable>(_ body: (TLSEngine) throws -> T) rethrows -> T {
        try state.withLockedValue { try body($0.engine) }
    }

    // MARK: Handshake

    /// Drives the handshake to completion. On failure, whatever OpenSSL queued for
    /// the peer (an alert saying why) is sent before the error is thrown.
    func handshake() async throws {
        while true {
            let (progress, output) = state.withLockedValue { s in
                let progress = s.engine.handshake()
                return (progress, s.engine.takeOutput())
            }
            switch progress {
            case .complete:
                if let output { try await transport.write(output) }
                return
            case .failed(let error):
                if let output { try? await transport.write(output) }
                throw error
            case .needsInput:
                if let output { try await transport.write(output) }
                guard let input = try await transport.read() else { throw TLSError.closedDuringHandshake }
                state.withLockedValue { $0.engine.feed(input) }
            }
        }
    }

    // MARK: ByteStream

    func read() async throws -> ByteBuffer? {
        while true {
            let result = try state.withLockedValue { s -> TLSEngine.ReadResult in
                if s.closed { return .closed }
                return try s.engine.read()
            }
            switch result {
            case .plaintext(let plaintext):
                return plaintext
            case .closed:
                return nil
            case .needsInput:
                guard let ciphertext = try await transport.read() else {
                    // The stream ended without close_notify: accept it at a record
                    // boundary (as go does), refuse a cut-off record.
                    let truncated = state.withLockedValue { !$0.closed && $0.engine.hasPartialRecord }
                    if truncated { throw TLSError.truncatedRecord }
                    return nil
                }
                state.withLockedValue { $0.engine.feed(ciphertext) }
            }
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        try beginWrite()
        defer { state.withLockedValue { $0.writing = false } }
        var remaining = buffer
        while remaining.readableBytes > 0 {
            let plaintext = remaining.readSlice(length: min(Self.maxPlaintextPerWrite, remaining.readableBytes))!
            let ciphertext = try state.withLockedValue { s -> ByteBuffer? in
                guard !s.closed else { throw StreamError.closed }
                try s.engine.write(plaintext)
                return s.engine.takeOutput()
            }
            if let ciphertext { try await transport.write(ciphertext) }
        }
    }

    /// Sends close_notify, then half-closes the stream below. Reading goes on.
    func closeWrite() async throws {
        guard try beginWrite(unlessWriteClosed: true) else { return }
        defer { state.withLockedValue { $0.writing = false } }
        let ciphertext = state.withLockedValue { s -> ByteBuffer? in
            s.writeClosed = true
            s.engine.sendCloseNotify()
            return s.engine.takeOutput()
        }
        if let ciphertext { try await transport.write(ciphertext) }
        try await transport.closeWrite()
    }

    /// Closes the stream below at once, without close_notify: waiting to send it
    /// could block on a peer that no longer reads. Use `closeWrite` for a clean end.
    func close() async {
        state.withLockedValue { $0.closed = true }
        await transport.close()
    }

    /// Marks a write in progress; false (nothing to do) for a repeated `closeWrite`.
    @discardableResult
    private func beginWrite(unlessWriteClosed: Bool = false) throws -> Bool {
        try state.withLockedValue { s in
            guard !s.closed else { throw StreamError.closed }
            if s.writeClosed {
                if unlessWriteClosed { return false }
                throw StreamError.closed
            }
            guard !s.writing else { throw TLSError.concurrentWrite }
            s.writing = true
            return true
        }
    }
}
