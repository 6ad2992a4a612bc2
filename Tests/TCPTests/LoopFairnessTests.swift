import LibP2PConformance
import LibP2PCore
import NIOCore
import Synchronization
import Testing

@testable import LibP2PSockets
@testable import LibP2PTCP

/// `LoopTurn` and the poll gate: a task that never has to wait must still let its
/// event loop serve the other sockets on it.
@Suite struct LoopFairnessTests {
    /// Tasks busy on every shared loop, each checking its turn between slices of
    /// work as the socket writes and muxer frame loops do. NIO runs ready tasks
    /// before it polls, so without the step-aside no socket on those loops would be
    /// served again and the round trip below would never finish.
    @Test func busyTasksOnEveryLoopStillLetItsSocketsBeServed() async throws {
        let flags = BusyFlags()
        // The busy tasks give up after 10 s, so that a loop they keep from its
        // sockets is freed and the test fails rather than hangs.
        let giveUp = NIODeadline.now() + .seconds(10)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for executor in EventLoopTaskExecutor.all {
                group.addTask(executorPreference: executor) {
                    while !flags.stop.load(ordering: .relaxed) {
                        guard NIODeadline.now() < giveUp else {
                            flags.gaveUp.store(true, ordering: .relaxed)
                            return
                        }
                        let sliceEnd = NIODeadline.now() + .microseconds(200)
                        while NIODeadline.now() < sliceEnd {}
                        if LoopTurn.isOverdue { flags.stepsAside.add(1, ordering: .relaxed) }
                        await LoopTurn.stepAsideIfOverdue()
                    }
                }
            }
            defer { flags.stop.store(true, ordering: .relaxed) }
            let pair = try await ConnectedPair.make()
            try await withTimeout(30) {
                for round in 0..<20 {
                    let ping = Array("ping \(round)".utf8)
                    try await pair.client.write(ping)
                    #expect(try await readExactly(ping.count, from: pair.server) == ping)
                    try await pair.server.write(Array("pong".utf8))
                    _ = try await readExactly(4, from: pair.client)
                }
            }
            let gaveUp = flags.gaveUp.load(ordering: .relaxed)
            #expect(!gaveUp, "the sockets were served only once the busy tasks gave up")
            await pair.close()
            flags.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }
        let stepsAside = flags.stepsAside.load(ordering: .relaxed)
        #expect(stepsAside > 0, "the busy tasks must have outrun their turn at least once")
    }

    @Test func noTurnOffTheLoops() async {
        // The cooperative pool runs no event loop's jobs: nothing to step aside for.
        let sliceEnd = NIODeadline.now() + LoopTurn.quantum + .milliseconds(1)
        while NIODeadline.now() < sliceEnd {}
        #expect(!LoopTurn.isOverdue)
        await LoopTurn.stepAsideIfOverdue()
    }
}

private final class BusyFlags: Sendable {
    let stop = Atomic<Bool>(false)
    let gaveUp = Atomic<Bool>(false)
    let stepsAside = Atomic<Int>(0)
}
