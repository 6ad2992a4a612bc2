import Benchmark
import NIOCore
import ThroughputKit

/// What `scripts/bench-compare.sh` calls a regression against the baseline (in
/// percent, at the median). Allocation counts are the figure to watch: they do not
/// move with the machine's load, so they get a tight bound. Time moves with
/// whatever else the machine runs, so only a doubling counts.
func regressionThresholds() -> [BenchmarkMetric: BenchmarkThresholds] {
    [
        .mallocCountTotal: .init(relative: [.p50: 5.0]),
        .wallClock: .init(relative: [.p50: 100.0]),
    ]
}

let benchmarks: @Sendable () -> Void = {
    let thresholds = regressionThresholds()
    // Over a real socket the number of reads, wake-ups and so allocations depends
    // on how the two event loops interleave: only a large change means something.
    var socketThresholds = thresholds
    socketThresholds[.mallocCountTotal] = .init(relative: [.p50: 50.0])
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal],
        warmupIterations: 2,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 1_000,
        thresholds: thresholds)

    frameBenchmarks()

    for security in ["noise", "tls"] {
        Benchmark("\(security) handshake, memory pipe") { benchmark in
            let stack = try PipeStack(security: security, muxer: "yamux")
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await stack.securePair())
            }
        }
    }

    for muxer in ["yamux", "mplex"] {
        Benchmark("\(muxer) stream open + 1 RTT, noise over memory pipe") { benchmark in
            let stack = try PipeStack(security: "noise", muxer: muxer)
            let payload = ByteBuffer(bytes: [1])
            try await stack.withMuxedConnection { connection in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try await PipeStack.exchange(payload, over: connection))
                }
                benchmark.stopMeasurement()
            }
        }
    }

    for muxer in ["yamux", "mplex"] {
        Benchmark(
            "1 MiB through noise+\(muxer), memory pipe",
            configuration: .init(maxDuration: .seconds(5), maxIterations: 200, thresholds: thresholds)
        ) { benchmark in
            let stack = try PipeStack(security: "noise", muxer: muxer)
            let payload = ByteBuffer(repeating: 0x5A, count: 64 * 1024)
            try await stack.withMuxedConnection { connection in
                benchmark.startMeasurement()
                for _ in benchmark.scaledIterations {
                    blackHole(try await PipeStack.exchange(repeating: payload, count: 1 << 20, over: connection))
                }
                benchmark.stopMeasurement()
            }
        }
    }

    for security in ["noise", "tls"] {
        for muxer in ["yamux", "mplex"] {
            Benchmark(
                "64 MiB each way, loopback tcp/\(security)/\(muxer)",
                configuration: .init(
                    metrics: [.wallClock, .mallocCountTotal], warmupIterations: 1,
                    maxDuration: .seconds(10), maxIterations: 10, thresholds: socketThresholds)
            ) { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(try await LoopbackThroughput(security: security, muxer: muxer, bytes: 64 << 20).run())
                }
            }
        }
    }
}
