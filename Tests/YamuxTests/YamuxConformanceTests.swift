import LibP2PConformance
import LibP2PRegistry
import LibP2PYamux
import Testing

/// The shared muxer conformance suite on yamux: one test case per check, each run in
/// both roles (see `MuxerConformance`).
@Suite("yamux conformance")
struct YamuxConformanceTests {
    @Test(arguments: MuxerConformance.Check.allCases)
    func conformance(_ check: MuxerConformance.Check) async throws {
        try await MuxerConformance(YamuxMuxer(), violations: YamuxViolations.all).run(check)
    }
}

/// Frames that break yamux's rules (libp2p/specs yamux/README.md), built by hand
/// rather than with the plugin's own encoder. The session under test has already
/// opened its first stream (1 as initiator, 2 as responder).
enum YamuxViolations {
    static let all: [MuxerConformance.Violation] = [
        .init("a SYN with the session's own stream-ID parity") { role in
            frame(type: 1, flags: syn, stream: role == .initiator ? 101 : 102)
        },
        .init("the same stream opened twice") { role in
            frame(type: 1, flags: syn, stream: peerStream(role)) + frame(type: 1, flags: syn, stream: peerStream(role))
        },
        .init("a data frame on stream ID 0", bytes: frame(type: 0, flags: 0, stream: 0, payload: [1])),
        .init("a window update on stream ID 0", bytes: frame(type: 1, flags: 0, stream: 0, length: 1024)),
        .init("data beyond the stream's 256 KiB window") { role in
            frame(type: 1, flags: syn, stream: peerStream(role))
                + frame(type: 0, flags: 0, stream: peerStream(role), payload: [UInt8](repeating: 7, count: 200 << 10))
                + frame(type: 0, flags: 0, stream: peerStream(role), payload: [UInt8](repeating: 7, count: 100 << 10))
        },
        .init("an unknown protocol version", bytes: frame(version: 1, type: 2, flags: syn, stream: 0, length: 7)),
        .init("an unknown frame type", bytes: frame(type: 4, flags: 0, stream: 0)),
    ]

    private static let syn: UInt16 = 1

    /// A stream ID the peer may open: the dialer (initiator) uses odd IDs.
    private static func peerStream(_ sessionRole: MuxerRole) -> UInt32 {
        sessionRole == .initiator ? 2 : 1
    }

    /// One frame: the 12-byte big-endian header (version, type, flags, stream ID,
    /// length), then the payload; for data frames the length is the payload's.
    private static func frame(
        version: UInt8 = 0, type: UInt8, flags: UInt16, stream: UInt32, length: UInt32? = nil, payload: [UInt8] = []
    ) -> [UInt8] {
        let length = length ?? UInt32(payload.count)
        return [version, type] + bigEndian(flags) + bigEndian(stream) + bigEndian(length) + payload
    }

    private static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian, Array.init)
    }
}
