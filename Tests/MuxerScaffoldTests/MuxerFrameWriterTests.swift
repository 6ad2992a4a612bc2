import LibP2PConformance
import LibP2PCore
import LibP2PMuxerScaffold
import LibP2PRegistry
import NIOCore
import Testing

/// An output whose writes are recorded, each held until the test lets it through
/// (`open()`), so a test can keep the writer busy and line others up behind it.
private final class GatedOutput: ByteStream {
    private struct State: Sendable {
        var writes: [[UInt8]] = []
        var open = false
        var gate = WaiterQueue<Void>()
        var closed = false
    }

    private let state = LockedState(State())
    let failWrites: Bool

    init(open: Bool = false, failWrites: Bool = false) {
        self.failWrites = failWrites
        state.withLock { $0.open = open }
    }

    var writes: [[UInt8]] { state.withLock { $0.writes } }
    var isClosed: Bool { state.withLock { $0.closed } }
    /// Writes begun, held at the gate or through it.
    var started: Int { state.withLock { $0.writes.count } }

    func open() { state.withLockThenResume { s in s.open = true; return s.gate.wakeAll(returning: ()) } }

    func read() async throws -> ByteBuffer? { nil }

    func write(_ buffer: ByteBuffer) async throws {
        state.withLock { $0.writes.append(Array(buffer.readableBytesView)) }
        if failWrites { throw Broken() }
        try await state.wait(in: { s, use in use(&s.gate) }) { s, _ in s.open ? .ready(()) : .park }
    }

    func closeWrite() async throws {}
    func close() async { state.withLock { $0.closed = true } }
}

private struct Broken: Error, Equatable {}
private final class Owner: Sendable {}

private func waitUntil(_ condition: () -> Bool) async {
    while !condition() { await Task.yield() }
}

@Suite("MuxerFrameWriter")
struct MuxerFrameWriterTests {
    @Test("frames go out whole, one write each, in the order their writers arrived")
    func fifo() async throws {
        let output = GatedOutput()
        let writer = MuxerFrameWriter(output: output, controlLimit: 8)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.write(ByteBuffer(bytes: [0])) }
                await waitUntil { output.started == 1 }
                for index in 1...20 {
                    group.addTask { try await writer.write(ByteBuffer(bytes: [UInt8(index)])) }
                    // Let each writer queue before the next one starts.
                    await waitUntil { writer.waiterCount == index }
                }
                output.open()
                try await group.waitForAll()
            }
        }
        #expect(output.writes == (0...20).map { [UInt8($0)] })
    }

    @Test("control frames jump the queue: they go out in one write right after the frame being written")
    func controlPriority() async throws {
        let output = GatedOutput()
        let writer = MuxerFrameWriter(output: output, controlLimit: 8)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.write(ByteBuffer(bytes: [1])) }
                await waitUntil { output.started == 1 }
                group.addTask { try await writer.write(ByteBuffer(bytes: [2])) }
                await waitUntil { writer.waiterCount == 1 }
                #expect(writer.enqueueControl(ByteBuffer(bytes: [0xA])))
                #expect(writer.enqueueControl { $0.writeInteger(UInt8(0xB)) })
                output.open()
                try await group.waitForAll()
            }
        }
        #expect(output.writes == [[1], [0xA, 0xB], [2]])
    }

    @Test("with no other writer, the flusher sends queued control frames; beyond the limit the peer is cut off")
    func flusher() async throws {
        let output = GatedOutput(open: true)
        let writer = MuxerFrameWriter(output: output, controlLimit: 2)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await writer.runControlFlusher() }
                #expect(writer.enqueueControl(ByteBuffer(bytes: [7])))
                await waitUntil { output.writes == [[7]] }
                writer.fail(MuxerError.connectionClosed)
                try await group.waitForAll()
            }
        }
        let stuck = MuxerFrameWriter(output: GatedOutput(), controlLimit: 2)
        #expect(stuck.enqueueControl(ByteBuffer(bytes: [1])))
        #expect(stuck.enqueueControl(ByteBuffer(bytes: [2])))
        #expect(!stuck.enqueueControl(ByteBuffer(bytes: [3])))
        stuck.fail(MuxerError.connectionClosed)
        #expect(stuck.enqueueControl(ByteBuffer(bytes: [4])), "after the end, control frames are dropped quietly")
    }

    @Test("failing ends waiting and later writes, not the one in progress; the final frame still goes out")
    func failure() async throws {
        let output = GatedOutput()
        let writer = MuxerFrameWriter(output: output, controlLimit: 8)
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.write(ByteBuffer(bytes: [1])) }
                await waitUntil { output.started == 1 }
                group.addTask {
                    await #expect(throws: MuxerError.connectionClosed) { try await writer.write(ByteBuffer(bytes: [2])) }
                }
                await waitUntil { writer.waiterCount == 1 }
                writer.fail(MuxerError.connectionClosed)
                await #expect(throws: MuxerError.connectionClosed) { try await writer.write(ByteBuffer(bytes: [3])) }
                output.open()
                try await group.waitForAll()
            }
            await writer.writeFinal(ByteBuffer(bytes: [9]), within: .seconds(5))
        }
        #expect(output.writes == [[1], [9]])
    }

    @Test("a stream's waiting writes can be failed alone; a cancelled waiter leaves the queue")
    func ownersAndCancellation() async throws {
        let output = GatedOutput()
        let writer = MuxerFrameWriter(output: output, controlLimit: 8)
        let (reset, other) = (Owner(), Owner())
        try await withTimeout {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.write(ByteBuffer(bytes: [1])) }
                await waitUntil { output.started == 1 }
                group.addTask {
                    await #expect(throws: StreamError.reset) {
                        try await writer.write(owner: ObjectIdentifier(reset)) { ByteBuffer(bytes: [2]) }
                    }
                }
                await waitUntil { writer.waiterCount == 1 }
                let cancelled = Task { try await writer.write(ByteBuffer(bytes: [3])) }
                await waitUntil { writer.waiterCount == 2 }
                group.addTask { try await writer.write(owner: ObjectIdentifier(other)) { ByteBuffer(bytes: [4]) } }
                await waitUntil { writer.waiterCount == 3 }
                writer.failWrites(of: ObjectIdentifier(reset), with: StreamError.reset)
                cancelled.cancel()
                await #expect(throws: CancellationError.self) { try await cancelled.value }
                #expect(writer.waiterCount == 1)
                output.open()
                try await group.waitForAll()
            }
        }
        #expect(output.writes == [[1], [4]])
    }

    @Test("a failed write breaks the writer: its error is kept, waiters see the connection closed, the output is closed")
    func brokenWrite() async throws {
        let output = GatedOutput(failWrites: true)
        let writer = MuxerFrameWriter(output: output, controlLimit: 8)
        await #expect(throws: Broken.self) { try await writer.write(ByteBuffer(bytes: [1])) }
        #expect(writer.writeFailure is Broken)
        #expect(output.isClosed)
        await #expect(throws: MuxerError.connectionClosed) { try await writer.write(ByteBuffer(bytes: [2])) }
    }
}
