import LibP2PConformance
import LibP2PCore
import Testing

private struct Broken: Error, Equatable {}

@Suite("AsyncBoundedBuffer")
struct AsyncBoundedBufferTests {
    @Test("elements come out in order, then nil after finish")
    func order() async throws {
        let buffer = AsyncBoundedBuffer<Int>(capacity: 100)
        for i in 0..<10 { try await buffer.push(i) }
        buffer.finish()
        var got: [Int] = []
        while let i = try await buffer.next() { got.append(i) }
        #expect(got == Array(0..<10))
        await #expect(throws: AsyncBufferError.finished) { try await buffer.push(1) }
    }

    @Test("push suspends at capacity until a consumer makes room")
    func backpressure() async throws {
        let buffer = AsyncBoundedBuffer<[UInt8]>(capacity: 8, weight: { $0.count })
        try await buffer.push([1, 2, 3, 4])
        let blocked = Task { try await buffer.push([5, 6, 7, 8]) }
        // The second push is taken (the buffer was below capacity) but waits for room.
        while buffer.count < 2 { await Task.yield() }
        #expect(buffer.bufferedWeight == 8)
        #expect(buffer.offer([9]) == .full)
        #expect(try await buffer.next() == [1, 2, 3, 4])
        try await withTimeout { try await blocked.value }
        #expect(buffer.offer([9]) == .accepted)
    }

    @Test("a waiting consumer is handed the next element directly")
    func handOff() async throws {
        let buffer = AsyncBoundedBuffer<Int>(capacity: 1)
        let consumer = Task { try await buffer.next() }
        try await Task.sleep(for: .milliseconds(10))
        #expect(buffer.offer(42) == .accepted)
        #expect(try await withTimeout { try await consumer.value } == 42)
        #expect(buffer.count == 0)
    }

    @Test("fail drops the queue and ends producers and consumers")
    func failure() async throws {
        let buffer = AsyncBoundedBuffer<Int>(capacity: 2)
        try await buffer.push(1)
        let producer = Task { try await buffer.push(2) }
        while buffer.count < 2 { await Task.yield() }
        buffer.fail(Broken())
        await #expect(throws: Broken.self) { try await producer.value }
        await #expect(throws: Broken.self) { try await buffer.next() }
        #expect(buffer.offer(3) == .closed)
        #expect(buffer.poll() == nil)
    }

    @Test("removeAll(where:) drops matching elements in place and makes room for producers")
    func removeWhere() async throws {
        let buffer = AsyncBoundedBuffer<Int>(capacity: 3)
        for i in 0..<3 { #expect(buffer.offer(i) == .accepted) }
        let producer = Task { try await buffer.push(3) }
        while buffer.count < 4 { await Task.yield() }
        #expect(buffer.removeAll(where: { $0 % 2 == 1 }) == 2)
        try await withTimeout { try await producer.value }
        #expect(buffer.count == 2)
        #expect(buffer.poll() == 0)
        #expect(buffer.poll() == 2)
        #expect(buffer.offer(4) == .accepted)
    }

    @Test("a consumer cancelled while waiting throws CancellationError")
    func cancelledConsumer() async throws {
        let buffer = AsyncBoundedBuffer<Int>(capacity: 4)
        let consumer = Task { try await buffer.next() }
        try await Task.sleep(for: .milliseconds(10))
        consumer.cancel()
        await #expect(throws: CancellationError.self) { try await consumer.value }
        #expect(buffer.offer(1) == .accepted)
        #expect(buffer.poll() == 1)
    }

    @Test("a producer and a consumer move 100,000 elements with a small capacity")
    func throughput() async throws {
        let buffer = AsyncBoundedBuffer<Int>(capacity: 16)
        let total = try await withTimeout(60) {
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    for i in 0..<100_000 { try await buffer.push(i) }
                    buffer.finish()
                    return 0
                }
                group.addTask {
                    var expected = 0
                    while let i = try await buffer.next() {
                        guard i == expected else { throw Broken() }
                        expected += 1
                    }
                    return expected
                }
                var sum = 0
                for try await n in group { sum += n }
                return sum
            }
        }
        #expect(total == 100_000)
    }
}
