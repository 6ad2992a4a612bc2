import NIOCore
import Testing
@testable import LibP2PQUIC

/// Packets gathered for UDP segmentation offload keep GSO's rule: every segment but
/// the last is exactly the segment size.
@Suite struct QUICDatagramBatcherTests {
    static func batch(_ sizes: [Int], offload: Bool = true) -> [QUICDatagram] {
        var batcher = QUICDatagramBatcher(offload: offload)
        var out: [QUICDatagram] = []
        for (index, size) in sizes.enumerated() {
            let packet = [UInt8](repeating: UInt8(index), count: size)
            packet.withUnsafeBytes { batcher.add($0, to: &out) }
        }
        return out
    }

    @Test("full packets share a datagram; a short one ends it; a longer one starts another")
    func rules() {
        let out = Self.batch([1452, 1452, 1452, 300, 1452, 1200, 1452])
        #expect(out.map(\.bytes.readableBytes) == [1452 * 3 + 300, 1452 + 1200, 1452])
        #expect(out.map(\.segmentSize) == [1452, 1452, nil])
        // The bytes are the packets in order.
        #expect(Array(out[0].bytes.readableBytesView.prefix(1453).suffix(2)) == [0, 1])
    }

    @Test("at most maxSegments per datagram; without offload one packet each")
    func limits() {
        let many = Self.batch(Array(repeating: 1000, count: QUICDatagram.maxSegments + 1))
        #expect(many.map(\.bytes.readableBytes) == [1000 * QUICDatagram.maxSegments, 1000])
        let plain = Self.batch([1452, 1452, 10], offload: false)
        #expect(plain.map(\.bytes.readableBytes) == [1452, 1452, 10] && plain.allSatisfy { $0.segmentSize == nil })
    }
}
