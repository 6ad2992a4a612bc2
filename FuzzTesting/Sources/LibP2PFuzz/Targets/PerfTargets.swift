import LibP2PCore
import LibP2PHost
import NIOCore

/// The `/perf/1.0.0` server fed a client's bytes: the 8-byte request header, then
/// the upload. Small limits keep each input's answer short; the target also checks
/// the outcome, since a miscounted request or upload would not crash.
enum PerfTargets {
    static let all = [server]

    static let limits = PerfLimits(maxSendBytes: 256 * 1024, maxReceiveBytes: 64 * 1024)

    static let server = FuzzTarget(
        name: "perf-server",
        run: { bytes in
            var input = FuzzInput(bytes)
            let chunks = input.chunks()
            let stream = ScriptedStream(chunks)
            let sent = chunks.reduce(0) { $0 + $1.count }
            let requested = header(chunks)
            Blocking.run("perf server") {
                do {
                    try await PerfProtocol.serve(stream, limits: limits)
                    // Served: the header was whole, within the limits, and answered in full.
                    guard let requested, requested <= limits.maxSendBytes,
                        UInt64(sent - PerfProtocol.headerSize) <= limits.maxReceiveBytes,
                        stream.written == Int(requested)
                    else { fatalError("perf server served \(stream.written) bytes for a bad request (\(sent) bytes in)") }
                } catch let error as PerfError {
                    check(error, sent: sent, requested: requested)
                }
            }
        },
        seeds: {
            let request = Array(PerfProtocol.header(requesting: 100_000).readableBytesView)
            return [
                FuzzInput.whole(request + [UInt8](repeating: 1, count: 300)),
                [3] + Array(PerfProtocol.header(requesting: 0).readableBytesView),
                FuzzInput.whole(Array(PerfProtocol.header(requesting: 1 << 40).readableBytesView)),
            ]
        })

    /// The request the client's bytes carry, if they hold a whole header.
    static func header(_ chunks: [[UInt8]]) -> UInt64? {
        let bytes = chunks.joined().prefix(PerfProtocol.headerSize)
        guard bytes.count == PerfProtocol.headerSize else { return nil }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A refusal must name what was actually wrong with the client's bytes.
    static func check(_ error: PerfError, sent: Int, requested: UInt64?) {
        switch error {
        case .shortHeader(let received):
            guard requested == nil, received == sent else { fatalError("perf: \(error) after \(sent) bytes") }
        case .requestTooLarge(let value, _):
            guard value == requested, value > limits.maxSendBytes else { fatalError("perf: \(error) for \(String(describing: requested))") }
        case .uploadTooLarge:
            guard sent - PerfProtocol.headerSize > Int(limits.maxReceiveBytes) else { fatalError("perf: \(error) after \(sent) bytes") }
        case .wrongDownload:
            fatalError("perf: the server side reported a client error: \(error)")
        }
    }
}
