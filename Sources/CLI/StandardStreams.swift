#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole lines to stdout or stderr with plain `write(2)` calls: the binary does
/// not link Foundation (its start-up and conformance records cost every process
/// the harness starts), so no `FileHandle`.
enum StandardStreams {
    enum Stream {
        case standardOutput, standardError
        var descriptor: Int32 { self == .standardOutput ? 1 : 2 }
    }

    static func write(_ text: String, to stream: Stream) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = writeToDescriptor(stream.descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return  // A closed stream: nothing sensible left to do with the text.
                }
            }
        }
    }
}

/// `write(2)`, named apart from `StandardStreams.write` (a member would shadow it).
private func writeToDescriptor(_ fd: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    write(fd, bytes, count)
}

/// `exit(3)`, named apart from `ParsableCommand.exit(withError:)`, which shadows it in a command.
func exitProcess(_ code: Int32) -> Never {
    exit(code)
}
