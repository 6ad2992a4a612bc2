import LibP2PConformance
import LibP2PCore
import Testing

@Suite("UVarint")
struct UVarintTests {
    /// Vectors from the multiformats unsigned-varint spec.
    static let vectors: [(UInt64, [UInt8])] = [
        (0, [0x00]),
        (1, [0x01]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (255, [0xFF, 0x01]),
        (300, [0xAC, 0x02]),
        (16384, [0x80, 0x80, 0x01]),
        (UInt64(Int64.max), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
    ]

    @Test("encodes the spec vectors", arguments: vectors)
    func encodes(value: UInt64, bytes: [UInt8]) {
        #expect(UVarint.encode(value) == bytes)
    }

    @Test("decodes the spec vectors", arguments: vectors)
    func decodes(value: UInt64, bytes: [UInt8]) {
        #expect(UVarint.decode(bytes) == .value(value, length: bytes.count))
    }

    @Test func intOverloadMatchesUInt64() {
        #expect(UVarint.encode(300) == UVarint.encode(UInt64(300)))
        #expect(UVarint.encode(Int(16384)) == [0x80, 0x80, 0x01])
    }

    @Test func reportsLengthAndIgnoresTrailingBytes() {
        #expect(UVarint.decode([0xAC, 0x02, 0xFF, 0x00]) == .value(300, length: 2))
        #expect(UVarint.decode([0x01, 0x80]) == .value(1, length: 1))
    }

    @Test func decodesFromASlice() {
        let bytes: [UInt8] = [0xEE, 0xAC, 0x02]
        #expect(UVarint.decode(bytes.dropFirst()) == .value(300, length: 2))
    }

    @Test("round trips at every 7-bit boundary and its neighbours")
    func roundTrips() {
        var values: [UInt64] = []
        for shift in stride(from: 0, through: 56, by: 7) {
            let edge = UInt64(1) << UInt64(shift)
            values += [edge - 1, edge, edge + 1]
        }
        values += [1 << 62, UInt64(Int64.max) - 1, UInt64(Int64.max), 0xDEAD_BEEF, 65535, 65536]
        for value in values {
            let encoded = UVarint.encode(value)
            #expect(encoded.count <= 9, "\(value) needs \(encoded.count) bytes")
            #expect(UVarint.decode(encoded) == .value(value, length: encoded.count), "value \(value)")
        }
    }

    /// 2^64-1 needs ten bytes: past the spec's nine-byte (63-bit) cap, so the default
    /// decoder refuses it, while a caller that raises the cap gets it back.
    @Test func uint64MaxNeedsTenBytes() {
        let encoded = UVarint.encode(UInt64.max)
        #expect(encoded == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        guard case .invalid = UVarint.decode(encoded) else {
            Issue.record("a 10-byte varint must be refused under the default 9-byte cap")
            return
        }
        #expect(UVarint.decode(encoded, maxBytes: 10) == .value(UInt64.max, length: 10))
    }

    @Test("refuses non-minimal encodings", arguments: [
        [0x80, 0x00],  // 0 in two bytes
        [0x81, 0x00],  // 1 in two bytes
        [0xFF, 0x80, 0x00],  // 127 in three bytes
        [0x80, 0x80, 0x80, 0x00],
    ] as [[UInt8]])
    func refusesNonMinimal(bytes: [UInt8]) {
        guard case .invalid(let reason) = UVarint.decode(bytes) else {
            Issue.record("\(bytes.hex) should be refused as non-minimal")
            return
        }
        #expect(reason.contains("minimal"))
    }

    @Test func refusesMoreThanNineBytes() {
        let tenBytes: [UInt8] = Array(repeating: 0x80, count: 9) + [0x01]
        guard case .invalid(let reason) = UVarint.decode(tenBytes) else {
            Issue.record("a 10-byte varint must be refused")
            return
        }
        #expect(reason.contains("9"))
        // Nine continuation bytes: refused at once, not "need more bytes".
        guard case .invalid = UVarint.decode([UInt8](repeating: 0xFF, count: 9)) else {
            Issue.record("nine continuation bytes can never become a valid varint")
            return
        }
    }

    @Test func honoursASmallerCap() {
        #expect(UVarint.decode([0xAC, 0x02], maxBytes: 2) == .value(300, length: 2))
        guard case .invalid = UVarint.decode([0x80, 0x80, 0x01], maxBytes: 2) else {
            Issue.record("a 3-byte varint must be refused under a 2-byte cap")
            return
        }
        guard case .invalid = UVarint.decode([0x80, 0x80], maxBytes: 2) else {
            Issue.record("two continuation bytes under a 2-byte cap can never complete")
            return
        }
    }

    @Test func refusesOverflowPast64Bits() {
        let tooBig: [UInt8] = Array(repeating: 0xFF, count: 9) + [0x02]
        guard case .invalid = UVarint.decode(tooBig, maxBytes: 10) else {
            Issue.record("a value past 2^64-1 must be refused")
            return
        }
    }

    @Test("asks for more bytes when truncated", arguments: [
        [], [0x80], [0xFF, 0xFF], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
    ] as [[UInt8]])
    func needsMoreBytes(bytes: [UInt8]) {
        #expect(UVarint.decode(bytes) == .needMoreBytes)
    }

    @Test func errorsDescribeThemselves() {
        #expect(VarintError.invalid("x").description == "invalid varint: x")
    }
}
