import LibP2PConformance
import LibP2PMplex
import Testing

/// The shared muxer conformance suite on mplex: one test case per check, each run in
/// both roles (see `MuxerConformance`).
@Suite("mplex conformance")
struct MplexConformanceTests {
    /// mplex has no flow control: a reader task that is descheduled while its writer
    /// runs on lets the stream overrun its 4 MiB receive cap and be reset, as it
    /// should be. The default large transfer (8 MiB a stream a direction) did so
    /// about once in 40 runs on a loaded two-core machine; spread over 16 streams,
    /// each carries 2 MiB, half the cap, and still moves 64 MiB in all.
    static var limits: MuxerConformance.Limits {
        var limits = MuxerConformance.Limits()
        limits.largeTransferStreams = 16
        return limits
    }

    @Test(arguments: MuxerConformance.Check.allCases)
    func conformance(_ check: MuxerConformance.Check) async throws {
        try await MuxerConformance(MplexMuxer(), violations: MplexViolations.all, limits: Self.limits).run(check)
    }
}

/// Frames that break mplex's rules (libp2p/specs mplex/README.md), built by hand
/// rather than with the plugin's own encoder: `uvarint(id << 3 | flag)`,
/// `uvarint(length)`, data. Streams are keyed by who opened them, so these use
/// stream numbers of the peer's own (flag 0 NewStream, 2 MessageInitiator).
enum MplexViolations {
    static let all: [MuxerConformance.Violation] = [
        .init("flag 7, which mplex does not define", bytes: frame(stream: 9, flag: 7)),
        .init("the same stream opened twice", bytes: frame(stream: 9, flag: 0) + frame(stream: 9, flag: 0)),
        .init("a message over the 1 MiB limit", bytes: uvarint(9 << 3 | 0) + uvarint(0) + uvarint(9 << 3 | 2) + uvarint((1 << 20) + 1)),
        .init("a header varint longer than 64 bits", bytes: [UInt8](repeating: 0xFF, count: 10) + [0x01, 0x00]),
    ]

    private static func frame(stream: UInt64, flag: UInt64, payload: [UInt8] = []) -> [UInt8] {
        uvarint(stream << 3 | flag) + uvarint(UInt64(payload.count)) + payload
    }

    /// Unsigned LEB128, as multiformats' unsigned-varint.
    private static func uvarint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        repeat {
            out.append(UInt8(value & 0x7F) | (value >= 0x80 ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return out
    }
}
