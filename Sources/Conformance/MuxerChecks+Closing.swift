import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Checks of how streams and sessions end: half-close, reset, and closing the session.
extension MuxerConformance {
    func checkHalfClose(opener role: MuxerRole, _ context: CheckContext) async throws {
        try await withSessionPair(context) { pair in
            let opener = pair.session(role)
            let acceptor = pair.session(role.other)
            let size = 100_000

            // The opener closes first: request, FIN, then the acceptor answers after it.
            let (request, served) = try await openAndAccept(opener, acceptor, context)
            try await transfer(size, start: 5, from: request, to: served, closing: true, context, "the opener's request")
            let late = await outcome { try await request.write([0]) }
            try context.require(late.isFailure, "a write after the opener's own closeWrite() succeeded; it must throw")
            let again = try await context.step("acceptor reads again after the end") { try await served.read() }
            try context.require(again == nil, "a read after end of stream returned \(again?.readableBytes ?? 0) bytes instead of nil again")
            try await transfer(size, start: 6, from: served, to: request, closing: true, context, "the acceptor's answer after the opener's FIN")
            await request.close()
            await served.close()

            // The acceptor closes first: the opener sees the end, then still sends.
            let (upload, sink) = try await openAndAccept(opener, acceptor, context)
            try await context.step("acceptor's closeWrite() before reading anything") { try await sink.closeWrite() }
            let end = try await context.step("opener reads the acceptor's end") { try await upload.read() }
            try context.require(end == nil, "the opener read \(end?.readableBytes ?? 0) bytes where the acceptor's closeWrite() should end the stream")
            try await transfer(size, start: 7, from: upload, to: sink, closing: true, context, "the opener's data after the acceptor's FIN")
            await upload.close()
            await sink.close()
        }
    }

    func checkReset(opener role: MuxerRole, _ context: CheckContext) async throws {
        try await withSessionPair(context) { pair in
            let opener = pair.session(role)
            let acceptor = pair.session(role.other)
            let (opened, accepted) = try await openAndAccept(opener, acceptor, context)
            try await resetOne(resetter: opened, named: "opener", peer: accepted, named: "acceptor", context)
            let (opened2, accepted2) = try await openAndAccept(opener, acceptor, context)
            try await resetOne(resetter: accepted2, named: "acceptor", peer: opened2, named: "opener", context)
            // Resets end streams, not the session.
            let (opened3, accepted3) = try await openAndAccept(opener, acceptor, context)
            try await exchangeByte(opened3, accepted3, context, "a stream opened after two resets")
        }
    }

    /// `resetter` resets with reads pending on both sides: both reads must fail (a
    /// reset is not a clean end), and later writes on both sides must fail.
    private func resetOne(
        resetter: any MuxedStream, named resetterName: String, peer: any MuxedStream, named peerName: String,
        _ context: CheckContext
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (name, stream, whose) in [(peerName, peer, "the \(resetterName)'s reset"), (resetterName, resetter, "its own reset")] {
                group.addTask {
                    let read = try await context.promptly("\(name)'s pending read after \(whose)") { await outcome { try await stream.read() } }
                    switch read {
                    case .failure: break
                    case .success(nil): throw context.failure("\(name)'s pending read returned end of stream after \(whose); it must fail")
                    case .success(let chunk?): throw context.failure("\(name)'s pending read returned \(chunk.readableBytes) bytes after \(whose); it must fail")
                    }
                }
            }
            try await letPendingOperationsPark()
            context.note("\(resetterName)'s reset()")
            await resetter.reset()
            try await group.awaitAll()
        }
        for (name, stream) in [(resetterName, resetter), (peerName, peer)] {
            let write = try await context.promptly("\(name)'s write after the reset") { await outcome { try await stream.write([1]) } }
            try context.require(write.isFailure, "\(name)'s write after \(resetterName)'s reset() succeeded; it must throw")
        }
        await resetter.close()
        await peer.close()
    }

    func checkRemoteClose(closer role: MuxerRole, _ context: CheckContext) async throws {
        try await remoteClose(closer: role, remoteWriting: false, context.variant("nothing in flight"))
        try await remoteClose(closer: role, remoteWriting: true, context.variant("the remote in the middle of a write"))
    }

    /// The closer closes its session with an accept and a read pending on both sides
    /// and, if `remoteWriting`, a write of the remote's waiting for credit. With
    /// nothing in flight the close is clean for both: the remote's `run()` must
    /// return normally. A write in flight may break the connection under the
    /// remote (over TCP the closer's kernel answers it with a reset), so then the
    /// remote's `run()` may throw, but not report a protocol violation.
    private func remoteClose(closer role: MuxerRole, remoteWriting: Bool, _ context: CheckContext) async throws {
        let clean: [MuxerRole] = remoteWriting ? [role] : [.initiator, .responder]
        try await withSessionPair(context, cleanRuns: clean) { pair in
            let closer = pair.session(role)
            let remote = pair.session(role.other)
            // A stream each way; on each, the side that will wait is the one that never gets data.
            let (closersStream, remotesAccepted) = try await openAndAccept(closer, remote, context)
            let (remotesStream, _) = try await openAndAccept(remote, closer, context)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, session) in [("remote's", remote), ("closer's own", closer)] {
                    group.addTask {
                        let accepted = try await context.promptly("the \(name) pending acceptStream() after the close") {
                            try await session.acceptStream()
                        }
                        try context.require(accepted == nil, "the \(name) pending acceptStream() returned a stream after the close; it must return nil")
                    }
                }
                for (name, stream) in [("remote's", remotesAccepted), ("closer's own", closersStream)] {
                    group.addTask {
                        let read = try await context.promptly("the \(name) pending read after the close") { await outcome { try await stream.read() } }
                        if case .success(let chunk?) = read {
                            throw context.failure("the \(name) pending read returned \(chunk.readableBytes) bytes nobody wrote")
                        }
                    }
                }
                if remoteWriting {
                    group.addTask {
                        // More than any window: waits for credit the closer will never give.
                        _ = try await context.promptly("the remote's pending write after the close") {
                            await outcome { try await writePattern(to: remotesStream, start: 9, count: 4 << 20, chunk: 64 << 10) }
                        }
                    }
                }
                try await letPendingOperationsPark()
                context.note("close() of the \(role)'s session")
                await closer.close()
                try await group.awaitAll()
            }

            for (name, stream) in [("the remote's stream", remotesStream), ("the closer's own stream", closersStream)] {
                let write = try await context.promptly("a write on \(name) after the close") { await outcome { try await stream.write([1]) } }
                try context.require(write.isFailure, "a write on \(name) after the close succeeded; it must throw")
            }
            for (name, session) in [("the remote", remote), ("the closer", closer)] {
                let open = try await context.promptly("\(name)'s openStream() after the close") { await outcome { try await session.openStream() } }
                try context.require(open.isFailure, "\(name)'s openStream() after the close succeeded; it must throw")
            }

            // The remote's run() ends on its own, without the remote being closed.
            let remoteRun = try await context.promptly("the remote's run() returning after the peer's close()") {
                await pair.runOutcome(role.other).wait()
            }
            if case .failure(let error)? = remoteRun {
                if !remoteWriting {
                    throw context.failure("the remote's run() threw \(describe(error)) after the peer closed cleanly; it must return")
                }
                if case MuxerError.protocolViolation = error {
                    throw context.failure("the remote's run() reported \(describe(error)) after the peer closed")
                }
            }
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
