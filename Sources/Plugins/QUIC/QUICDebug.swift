#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `QUIC_DEBUG=1` in the environment: one stderr line per listener decision that
/// turns a peer away or ends a connection early, the figures a load run needs to
/// tell where connections went. Off, it costs one branch.
enum QUICDebug {
    static let enabled = getenv("QUIC_DEBUG") != nil

    static func log(_ message: @autoclosure () -> String) {
        guard enabled else { return }
        var line = "quic \(QUICClock.now / 1_000) µs: " + message() + "\n"
        line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }
}
