import LibP2PCore
import NIOCore

// Sending the test pattern over a `ByteStream` and checking what arrives.

/// Writes `count` bytes of the pattern stream starting at `start` to `stream`, in
/// writes of `chunk` bytes; `progress` sees the total after each accepted write.
func writePattern(
    to stream: any ByteStream, start: Int, count: Int, chunk: Int = 1 << 20,
    progress: @Sendable (Int) -> Void = { _ in }
) async throws {
    var position = 0
    while position < count {
        let length = min(chunk, count - position)
        try await stream.write(TestPattern.shared.slice(start: start, position: position, length: length))
        position += length
        progress(position)
    }
}

/// Checks a received byte stream against the pattern, chunk by chunk as it arrives.
struct PatternVerifier {
    let start: Int
    let expected: Int
    private(set) var received = 0

    init(start: Int, expected: Int) {
        self.start = start
        self.expected = expected
    }

    /// Compares `chunk` with the bytes expected at this position; returns what is
    /// wrong, or nil.
    mutating func consume(_ chunk: ByteBuffer) -> String? {
        if chunk.readableBytes == 0 { return "read() returned an empty buffer (a ByteStream never does)" }
        if received + chunk.readableBytes > expected {
            return "received \(received + chunk.readableBytes) bytes, more than the \(expected) sent"
        }
        var rest = chunk
        while rest.readableBytes > 0 {
            let piece = rest.readSlice(length: min(rest.readableBytes, TestPattern.maxSlice))!
            let expected = TestPattern.shared.slice(start: start, position: received, length: piece.readableBytes)
            if piece != expected {
                // Only on failure: find the first differing byte, byte by byte.
                let offset = zip(piece.readableBytesView, expected.readableBytesView).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
                return "byte \(received + offset) differs from what was sent (in a read of \(piece.readableBytes) bytes at \(received))"
            }
            received += piece.readableBytes
        }
        return nil
    }
}

/// Reads the pattern stream starting at `start` until end of stream and checks every
/// byte and the count; throws a failure from `context` on any difference.
func readAndVerifyPattern(
    from stream: any ByteStream, start: Int, count: Int, context: CheckContext, what: String
) async throws {
    var verifier = PatternVerifier(start: start, expected: count)
    while let chunk = try await stream.read() {
        if let problem = verifier.consume(chunk) { throw context.failure("\(what): \(problem)") }
    }
    try context.require(
        verifier.received == count,
        "\(what): end of stream after \(verifier.received) of \(count) bytes")
}

/// Reads exactly `count` pattern bytes (not to end of stream) and checks them.
func readPatternPrefix(
    from stream: any ByteStream, start: Int, count: Int, context: CheckContext, what: String
) async throws {
    var verifier = PatternVerifier(start: start, expected: count)
    while verifier.received < count {
        guard let chunk = try await stream.read() else {
            throw context.failure("\(what): end of stream after \(verifier.received) of \(count) bytes")
        }
        if let problem = verifier.consume(chunk) { throw context.failure("\(what): \(problem)") }
    }
}

/// Sends `count` pattern bytes from `sender` to `receiver` and checks them, writing
/// and reading at once (a pipe holds less than a check sends). With `closing`, the
/// sender half-closes after the data and the receiver must then see end of stream;
/// without it the receiver reads exactly `count` bytes.
func transfer(
    _ count: Int, start: Int, from sender: any ByteStream, to receiver: any ByteStream, closing: Bool,
    _ context: CheckContext, _ what: String
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            try await context.step("\(what): writing \(count) bytes\(closing ? ", then closeWrite()" : "")") {
                try await writePattern(to: sender, start: start, count: count)
                if closing { try await sender.closeWrite() }
            }
        }
        group.addTask {
            try await context.step("\(what): reading \(count) bytes\(closing ? " and the end" : "")") {
                if closing {
                    try await readAndVerifyPattern(from: receiver, start: start, count: count, context: context, what: what)
                } else {
                    try await readPatternPrefix(from: receiver, start: start, count: count, context: context, what: what)
                }
            }
        }
        try await group.awaitAll()
    }
}
