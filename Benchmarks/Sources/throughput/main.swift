import Foundation
import LibP2PYamux
import ThroughputKit

/// `swift run -c release throughput [--bytes MiB] [--rounds N] [--write-size KiB] [--yamux-window KiB] [security/muxer ...]`
///
/// One stream each way over loopback TCP through the real upgrader pipeline, per
/// combination, printed in GB/s (10^9 bytes per second). Rounds go round robin over
/// the combinations so that load changes on the machine fall on every row alike; the
/// best and the median round are printed, and the CPU time the process (both sides)
/// spent per byte, which a busy machine disturbs much less than the wall clock.
struct Options {
    var mebibytes = 256
    var rounds = 3
    var writeKiB = 64
    /// A yamux receive window other than the default, to see what the window costs.
    var yamuxWindowKiB: Int?
    var combinations = ["noise/yamux", "tls/yamux", "noise/mplex", "tls/mplex"]

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        var named: [String] = []
        while let argument = rest.popFirst() {
            switch argument {
            case "--bytes": mebibytes = try Self.number(rest.popFirst(), for: argument)
            case "--rounds": rounds = try Self.number(rest.popFirst(), for: argument)
            case "--write-size": writeKiB = try Self.number(rest.popFirst(), for: argument)
            case "--yamux-window": yamuxWindowKiB = try Self.number(rest.popFirst(), for: argument)
            case "-h", "--help": throw ThroughputError.usage
            default:
                guard argument.split(separator: "/").count == 2 else { throw ThroughputError.usage }
                named.append(argument)
            }
        }
        if !named.isEmpty { combinations = named }
    }

    static func number(_ text: String?, for flag: String) throws -> Int {
        guard let text, let value = Int(text), value > 0 else { throw ThroughputError.usage }
        return value
    }
}

extension ThroughputError {
    static let usage = ThroughputError(
        "usage: throughput [--bytes MiB (256)] [--rounds N (3)] [--write-size KiB (64)] [--yamux-window KiB] [security/muxer ...]")
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

do {
    let options = try Options(Array(CommandLine.arguments.dropFirst()))
    let yamux = options.yamuxWindowKiB.map { YamuxMuxer(configuration: YamuxConfiguration(receiveWindow: $0 << 10)) }
    var uploads: [String: [Double]] = [:]
    var downloads: [String: [Double]] = [:]
    var cpu: [String: [Double]] = [:]
    for _ in 0..<options.rounds {
        for combination in options.combinations {
            let parts = combination.split(separator: "/").map(String.init)
            let result = try await LoopbackThroughput(
                security: parts[0], muxer: parts[1], bytes: options.mebibytes << 20, writeSize: options.writeKiB << 10,
                muxerOverride: parts[1] == "yamux" ? yamux : nil
            ).run()
            uploads[combination, default: []].append(result.uploadGBps)
            downloads[combination, default: []].append(result.downloadGBps)
            cpu[combination + "/up", default: []].append(result.uploadCPUNanosPerByte)
            cpu[combination + "/down", default: []].append(result.downloadCPUNanosPerByte)
        }
    }
    print("one stream, loopback TCP, \(options.mebibytes) MiB each way, \(options.writeKiB) KiB writes, \(options.rounds) rounds; GB/s")
    print("combination          upload best  median   download best  median   CPU ns/byte up  down")
    for combination in options.combinations {
        let up = uploads[combination]!, down = downloads[combination]!
        let cpuUp = median(cpu[combination + "/up"]!), cpuDown = median(cpu[combination + "/down"]!)
        let name = ("tcp/" + combination).padding(toLength: 20, withPad: " ", startingAt: 0)
        print(name, String(
            format: "%10.2f %7.2f %12.2f %7.2f %15.2f %5.2f", up.max()!, median(up), down.max()!, median(down), cpuUp, cpuDown))
    }
} catch {
    print("throughput: \(error)")
    exit(1)
}
