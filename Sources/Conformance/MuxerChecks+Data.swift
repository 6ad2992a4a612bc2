import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Checks that data flows: opening and accepting, both directions, many streams, a
/// large transfer.
extension MuxerConformance {
    func checkOpenAccept(opener role: MuxerRole, _ context: CheckContext) async throws {
        try await withSessionPair(context) { pair in
            let opener = pair.session(role)
            let acceptor = pair.session(role.other)
            let count = 3
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { streams in
                        for n in 1...count {
                            let accepted = try await context.step("acceptor's acceptStream() #\(n)") { try await acceptor.acceptStream() }
                            guard let accepted else {
                                throw context.failure("acceptStream() #\(n) returned nil while the opener was opening \(count) streams")
                            }
                            streams.addTask { try await answerTag(on: accepted, context) }
                        }
                        try await streams.awaitAll()
                    }
                }
                // Open them all before writing, so several are open and unaccepted at once.
                var opened: [any MuxedStream] = []
                for n in 1...count {
                    opened.append(try await context.step("opener's openStream() #\(n)") { try await opener.openStream() })
                }
                for (tag, stream) in opened.enumerated() {
                    try await context.step("opener writes tag \(tag)") { try await stream.write([UInt8(tag)]) }
                }
                for (tag, stream) in opened.enumerated() {
                    let answer = try await context.step("opener reads the answer on stream \(tag)") { try await readExactly(2, from: stream) }
                    try context.require(
                        answer == [UInt8(tag), 0xAC],
                        "opened stream \(tag) got the answer \(answer), expected [\(tag), 172]: streams are crossed")
                    try await context.step("opener closes stream \(tag) for writing") { try await stream.closeWrite() }
                    let end = try await context.step("opener reads the end of stream \(tag)") { try await stream.read() }
                    try context.require(end == nil, "stream \(tag) delivered \(end?.readableBytes ?? 0) bytes after the acceptor's closeWrite()")
                    await stream.close()
                }
                try await group.awaitAll()
            }

            // Both sides open at the same moment: the IDs they pick must not collide.
            context.note("both sides open a stream at the same time")
            async let fromOpener = openAndAccept(opener, acceptor, greeting: [1, 2, 3], context)
            async let fromAcceptor = openAndAccept(acceptor, opener, greeting: [4, 5, 6], context)
            let (a, b) = try await (fromOpener, fromAcceptor)
            try await exchangeByte(a.opened, a.accepted, context, "the opener's simultaneous stream")
            try await exchangeByte(b.opened, b.accepted, context, "the acceptor's simultaneous stream")
        }
    }

    func checkDataBothWays(opener role: MuxerRole, _ context: CheckContext) async throws {
        try await withSessionPair(context) { pair in
            let (opened, accepted) = try await openAndAccept(pair.session(role), pair.session(role.other), context)

            // Ping-pong: each message must arrive without more data pushing it out.
            let rounds = 16
            async let echoing: Void = context.step("acceptor answers \(rounds) small messages") {
                for round in 1...rounds {
                    let message = try await readExactly(round * 13, from: accepted)
                    try await accepted.write(message.map { $0 &+ 1 })
                }
            }
            for round in 1...rounds {
                let message = [UInt8](repeating: UInt8(round), count: round * 13)
                try await context.step("opener sends small message \(round)") { try await opened.write(message) }
                let answer = try await context.step("opener reads answer \(round)") { try await readExactly(message.count, from: opened) }
                try context.require(answer == message.map { $0 &+ 1 }, "answer \(round) differs from what the acceptor wrote")
            }
            try await echoing

            // Then both sides write more than a window at once, and read at once.
            let size = 1 << 20
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, stream, start, peerStart) in [("opener", opened, 11, 22), ("acceptor", accepted, 22, 11)] {
                    group.addTask {
                        try await context.step("\(name) writes \(size) bytes") {
                            try await writePattern(to: stream, start: start, count: size, chunk: 256 << 10)
                            try await stream.closeWrite()
                        }
                    }
                    group.addTask {
                        try await context.step("\(name) reads \(size) bytes") {
                            try await readAndVerifyPattern(from: stream, start: peerStart, count: size, context: context, what: "\(name)'s read")
                        }
                    }
                }
                try await group.awaitAll()
            }
            await opened.close()
            await accepted.close()
        }
    }

    func checkConcurrentStreams(opener role: MuxerRole, _ context: CheckContext) async throws {
        let count = limits.concurrentStreams
        try await withSessionPair(context) { pair in
            let opener = pair.session(role)
            let acceptor = pair.session(role.other)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { streams in
                        for n in 1...count {
                            let accepted = try await context.step("acceptor's acceptStream() #\(n) of \(count)") { try await acceptor.acceptStream() }
                            guard let accepted else { throw context.failure("acceptStream() #\(n) of \(count) returned nil") }
                            streams.addTask { try await echoUntilEnd(accepted, context) }
                        }
                        try await streams.awaitAll()
                    }
                }
                // Phase 1: open every stream and complete one echo on each; none is
                // closed. At most `concurrentOpens` are opened but not yet echoed at a
                // time: muxers without flow control on opening (mplex) rightly reset
                // streams beyond the acceptor's backlog.
                context.note("opening \(count) streams, each echoing its index")
                let openOne: @Sendable (Int) async throws -> any MuxedStream = { index in
                    let stream = try await context.step("openStream() #\(index)") { try await opener.openStream() }
                    let tag = withUnsafeBytes(of: UInt32(index).bigEndian, Array.init)
                    try await context.step("writing on stream #\(index)") { try await stream.write(tag) }
                    let echo = try await context.step("reading the echo on stream #\(index)") { try await readExactly(4, from: stream) }
                    try context.require(echo == tag, "stream #\(index) echoed \(echo), expected \(tag): streams are crossed")
                    return stream
                }
                let window = limits.concurrentOpens
                let open = try await withThrowingTaskGroup(of: (any MuxedStream).self) { streams in
                    var next = 0
                    while next < min(window, count) {
                        let index = next
                        streams.addTask { try await openOne(index) }
                        next += 1
                    }
                    var open: [any MuxedStream] = []
                    while let stream = try await streams.next() {
                        open.append(stream)
                        if next < count {
                            let index = next
                            streams.addTask { try await openOne(index) }
                            next += 1
                        }
                    }
                    return open
                }
                try context.require(open.count == count, "only \(open.count) of \(count) streams were open at once")
                // Phase 2: all are open at this point; close them all.
                context.note("closing \(count) open streams")
                try await withThrowingTaskGroup(of: Void.self) { streams in
                    for (index, stream) in open.enumerated() {
                        streams.addTask {
                            try await context.step("closeWrite() on stream #\(index)") { try await stream.closeWrite() }
                            let end = try await context.step("reading the end of stream #\(index)") { try await stream.read() }
                            try context.require(end == nil, "stream #\(index) delivered unexpected bytes instead of its end")
                            await stream.close()
                        }
                    }
                    try await streams.awaitAll()
                }
                try await group.awaitAll()
            }
        }
    }

    func checkLargeTransfer(opener role: MuxerRole, _ context: CheckContext) async throws {
        let streamCount = limits.largeTransferStreams
        let perDirection = limits.largeTransferBytes / (2 * streamCount)
        try await withSessionPair(context) { pair in
            let opener = pair.session(role)
            let acceptor = pair.session(role.other)
            // Pattern offsets: the opener's stream k sends from 1000 k + 1, the answer from 1000 k + 2.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await withThrowingTaskGroup(of: Void.self) { streams in
                        for n in 1...streamCount {
                            let accepted = try await context.step("acceptor's acceptStream() #\(n)") { try await acceptor.acceptStream() }
                            guard let accepted else { throw context.failure("acceptStream() #\(n) returned nil") }
                            streams.addTask {
                                var reader = ByteStreamReader(accepted)
                                let header = try await context.step("acceptor reads a stream's index") { try await reader.readExactly(1) }
                                let k = Int(header.getInteger(at: header.readerIndex, as: UInt8.self)!)
                                try context.require(k < streamCount, "accepted stream began with index \(k), not one the opener sent")
                                let rest = reader.remainingStream()
                                try await withThrowingTaskGroup(of: Void.self) { directions in
                                    directions.addTask {
                                        try await context.step("acceptor writes \(perDirection) bytes on stream \(k)") {
                                            try await writePattern(to: accepted, start: 1000 * k + 2, count: perDirection)
                                            try await accepted.closeWrite()
                                        }
                                    }
                                    directions.addTask {
                                        try await context.step("acceptor reads \(perDirection) bytes on stream \(k)") {
                                            try await readAndVerifyPattern(
                                                from: rest, start: 1000 * k + 1, count: perDirection, context: context,
                                                what: "the acceptor's read of stream \(k)")
                                        }
                                    }
                                    try await directions.awaitAll()
                                }
                            }
                        }
                        try await streams.awaitAll()
                    }
                }
                for k in 0..<streamCount {
                    group.addTask {
                        let stream = try await context.step("opener's openStream() #\(k)") { try await opener.openStream() }
                        try await context.step("opener writes stream index \(k)") { try await stream.write([UInt8(k)]) }
                        try await withThrowingTaskGroup(of: Void.self) { directions in
                            directions.addTask {
                                try await context.step("opener writes \(perDirection) bytes on stream \(k)") {
                                    try await writePattern(to: stream, start: 1000 * k + 1, count: perDirection)
                                    try await stream.closeWrite()
                                }
                            }
                            directions.addTask {
                                try await context.step("opener reads \(perDirection) bytes on stream \(k)") {
                                    try await readAndVerifyPattern(
                                        from: stream, start: 1000 * k + 2, count: perDirection, context: context,
                                        what: "the opener's read of stream \(k)")
                                }
                            }
                            try await directions.awaitAll()
                        }
                        await stream.close()
                    }
                }
                try await group.awaitAll()
            }
        }
    }
}

/// The acceptor's side of `openAccept`: read the opener's tag, answer tag + 0xAC,
/// half-close, and expect the opener's end of stream.
private func answerTag(on stream: any MuxedStream, _ context: CheckContext) async throws {
    let tag = try await context.step("acceptor reads an accepted stream's tag") { try await readExactly(1, from: stream) }
    try await context.step("acceptor answers tag \(tag[0])") {
        try await stream.write([tag[0], 0xAC])
        try await stream.closeWrite()
    }
    let end = try await context.step("acceptor reads the end of stream \(tag[0])") { try await stream.read() }
    try context.require(end == nil, "accepted stream \(tag[0]) delivered bytes after the opener's closeWrite()")
    await stream.close()
}

/// Echoes everything until the peer's end of stream, then half-closes.
func echoUntilEnd(_ stream: any MuxedStream, _ context: CheckContext) async throws {
    try await context.step("echoing an accepted stream") {
        while let chunk = try await stream.read() {
            try await stream.write(chunk)
        }
        try await stream.closeWrite()
    }
    await stream.close()
}

/// One byte each way on an opened/accepted pair, then both close.
func exchangeByte(_ opened: any MuxedStream, _ accepted: any MuxedStream, _ context: CheckContext, _ what: String) async throws {
    try await context.step("a byte each way on \(what)") {
        try await opened.write([0x0F])
        try await accepted.write([0xF0])
        let there = try await readExactly(1, from: accepted)
        let back = try await readExactly(1, from: opened)
        try context.require(there == [0x0F] && back == [0xF0], "\(what) carried \(there) and \(back), expected [15] and [240]")
    }
    await opened.close()
    await accepted.close()
}
