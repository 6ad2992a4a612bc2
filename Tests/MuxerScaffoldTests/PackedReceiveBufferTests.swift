import LibP2PMuxerScaffold
import NIOCore
import Testing

@Suite("PackedReceiveBuffer")
struct PackedReceiveBufferTests {
    private func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 8)) &+ seed }
    }

    @Test("the receive buffer packs small slices and keeps large ones, in order")
    func packing() {
        var big = ByteBuffer(bytes: pattern(64 * 1024, seed: 3))
        var buffer = PackedReceiveBuffer()
        var expected: [UInt8] = []
        for i in 0..<100 {
            let slice = big.readSlice(length: i % 2 == 0 ? 10 : 600)!
            expected += slice.readableBytesView
            buffer.append(slice)
        }
        let whole = ByteBuffer(bytes: pattern(5000, seed: 4))
        buffer.append(whole)
        expected += whole.readableBytesView
        #expect(buffer.byteCount == expected.count)
        var got: [UInt8] = []
        var chunks = 0
        while let chunk = buffer.popFirst() {
            // A small slice never keeps the 64 KiB buffer it came from alive.
            #expect(chunk.storageCapacity < 64 * 1024)
            got += chunk.readableBytesView
            chunks += 1
        }
        #expect(got == expected)
        #expect(chunks < 30, "small payloads should be packed, got \(chunks) chunks")
        #expect(buffer.byteCount == 0 && buffer.isEmpty)
    }

    @Test("removeAll empties it; packing starts afresh")
    func removeAll() {
        var buffer = PackedReceiveBuffer()
        buffer.append(ByteBuffer(bytes: [1, 2, 3]))
        buffer.removeAll()
        #expect(buffer.isEmpty && buffer.popFirst() == nil)
        buffer.append(ByteBuffer(bytes: [4]))
        #expect(buffer.popFirst().map { Array($0.readableBytesView) } == [4])
    }
}
