import NIOCore
import Testing

@testable import LibP2PWebSocket

/// The frame header codec and the masking on their own; `BadInputTests` drives the
/// handler built on them with a raw peer.
struct FrameCodecTests {
    @Test(arguments: [0, 1, 125, 126, 65_535, 65_536, 5 << 20])
    func headerRoundTripsAtEveryLengthForm(length: Int) {
        for mask in [nil, UInt32(0xA1B2_C3D4)] {
            let header = FrameHeader(fin: length % 2 == 0, reserved: 0, opcode: FrameHeader.binary, mask: mask, length: length)
            var buffer = ByteBuffer()
            header.write(to: &buffer)
            let size = buffer.readableBytes
            // Every prefix is incomplete and consumes nothing.
            for cut in 0..<size {
                var prefix = buffer.getSlice(at: 0, length: cut)!
                #expect(FrameHeader.parse(&prefix) == .incomplete)
                #expect(prefix.readableBytes == cut)
            }
            buffer.writeString("payload")
            #expect(FrameHeader.parse(&buffer) == .header(header))
            #expect(buffer.readableBytes == 7)
        }
    }

    @Test func lengthWithTheTopBitSetIsInvalid() {
        var buffer = ByteBuffer(bytes: [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0])
        #expect(FrameHeader.parse(&buffer) == .invalid)
    }

    @Test func maskingInPiecesAtAnyOffsetMatchesTheRFCDefinition() {
        let key: UInt32 = 0x0102_0304
        let keyBytes: [UInt8] = [1, 2, 3, 4]
        let payload = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let expected = payload.enumerated().map { $0.element ^ keyBytes[$0.offset % 4] }
        for split in [0, 1, 3, 5, 9, 17, 64, 100] {
            var first = Array(payload[..<split])
            var second = Array(payload[split...])
            first.withUnsafeMutableBytes { FrameHeader.applyMask(key, offset: 0, to: $0) }
            second.withUnsafeMutableBytes { FrameHeader.applyMask(key, offset: split, to: $0) }
            #expect(first + second == expected, "split at \(split)")
        }
    }

    @Test func aMaskedFrameCarriesTheKeyAndTheMaskedPayload() {
        let frame = FrameHeader.frame(
            opcode: FrameHeader.binary, payload: ByteBuffer(bytes: [0x10, 0x20, 0x30, 0x40, 0x50]), mask: 0x0102_0304,
            allocator: ByteBufferAllocator())
        #expect(Array(frame.readableBytesView) == [0x82, 0x85, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x51])
    }
}
