import LibP2PCore
import NIOConcurrencyHelpers
import NIOCore

/// A `ByteStream` whose peer is a script: reads hand out the given chunks, then end
/// of stream; writes are counted and dropped. Nothing ever waits on it, so a parser
/// or session over it runs as fast as it can and always reaches the end of input.
final class ScriptedStream: ByteStream {
    private struct State {
        var chunks: [ByteBuffer]
        var next = 0
        var closed = false
        var written = 0
    }

    private let state: NIOLockedValueBox<State>

    init(_ chunks: [[UInt8]]) {
        state = NIOLockedValueBox(State(chunks: chunks.filter { !$0.isEmpty }.map { ByteBuffer(bytes: $0) }))
    }

    /// Bytes the code under test wrote.
    var written: Int { state.withLockedValue { $0.written } }

    func read() async throws -> ByteBuffer? {
        state.withLockedValue { s in
            guard !s.closed, s.next < s.chunks.count else { return nil }
            defer { s.next += 1 }
            return s.chunks[s.next]
        }
    }

    func write(_ buffer: ByteBuffer) async throws {
        try state.withLockedValue { s in
            guard !s.closed else { throw StreamError.closed }
            s.written += buffer.readableBytes
        }
    }

    func closeWrite() async throws {}

    func close() async { state.withLockedValue { $0.closed = true } }
}
