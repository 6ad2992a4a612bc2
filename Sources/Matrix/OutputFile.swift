#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A child's captured output file as text, read with POSIX calls.
///
/// Not `String(contentsOf:)`: FoundationEssentials (Swift 6.3) leaks a 4 KiB buffer
/// on every read of an empty file (`readBytesFromFile`; `Data(contentsOf:)` too),
/// and a child's stderr is usually empty. LeakSanitizer found it, and turned the
/// exit status of `libp2p-interop matrix` to 1 under AddressSanitizer.
enum OutputFile {
    static func text(atPath path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes.append(contentsOf: chunk[..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
