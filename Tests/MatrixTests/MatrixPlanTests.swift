import Foundation
import InteropMatrix
import InteropRunner
import LibP2PRegistry
import Testing

/// The matrix's plan and report, without processes.
@Suite("Matrix plan and report")
struct MatrixPlanTests {
    static let swift = Implementation(
        id: "swift", command: ["${SELF}"], transports: ["tcp"], secureChannels: ["noise", "tls"], muxers: ["yamux", "mplex"])
    static let other = Implementation(
        id: "other", command: ["other"], transports: ["tcp"], secureChannels: ["noise"], muxers: ["yamux"])

    @Test("every dialer x listener x shared combination, narrowed by the filters")
    func plan() {
        let all = MatrixPlan(implementations: [Self.swift, Self.other])
        // swift x swift: 4; swift x other, other x swift, other x other: 1 each.
        #expect(all.tests.count == 7)
        var filters = MatrixPlan.Filters()
        filters.security = ["tls"]
        #expect(MatrixPlan(implementations: [Self.swift, Self.other], filters: filters).tests.count == 2)
    }

    @Test("a standalone transport is one test per pair, named alone, with null security and muxer")
    func standalone() {
        var swift = Self.swift
        swift.transports.append("quic-v1")
        var other = Self.other
        other.transports.append("quic-v1")
        let plan = MatrixPlan(implementations: [swift, other])
        let quic = plan.tests.filter { $0.combination.transport == "quic-v1" }
        #expect(quic.count == 4)
        #expect(quic.allSatisfy { $0.combination.isStandalone })
        #expect(quic[0].name == "swift x swift (quic-v1)")
        var filters = MatrixPlan.Filters()
        filters.security = ["noise"]
        #expect(!MatrixPlan(implementations: [swift, other], filters: filters).tests.contains { $0.combination.isStandalone })
        let report = MatrixReport(
            outcomes: [
                PairOutcome(test: quic[0], passed: true, result: nil, reason: nil, log: "", dialerStdout: "", wallTime: .seconds(1))
            ], implementations: ["swift"])
        #expect(report.resultsYAML.contains("    transport: quic-v1\n    secureChannel: null\n    muxer: null\n"))
        #expect(report.dashboard.contains("## quic-v1"))
    }

    @Test("results.csv quotes names holding commas; the dashboard marks failures")
    func report() {
        let test = PairTest(dialer: "swift", listener: "other", combination: Combination(transport: "tcp", security: "noise", muxer: "yamux"))
        let report = MatrixReport(
            outcomes: [
                PairOutcome(
                    test: test, passed: false, result: nil, reason: "dialer exited 1", log: "", dialerStdout: "",
                    wallTime: .seconds(1))
            ], implementations: ["swift", "other"])
        #expect(report.resultsCSV == "name,outcome\n\"swift x other (tcp, noise, yamux)\",failure\n")
        #expect(report.dashboard.contains("❌"))
        #expect(report.resultsYAML.contains("failed: 1"))
    }

    @Test("a rerun takes exactly the tests an earlier results.csv marks failed, names with commas included")
    func rerunFailed() throws {
        let failed = PairTest(dialer: "swift", listener: "other", combination: Combination(transport: "tcp", security: "noise", muxer: "yamux"))
        let passed = PairTest(dialer: "other", listener: "swift", combination: Combination(transport: "tcp", security: "noise", muxer: "yamux"))
        let report = MatrixReport(
            outcomes: [
                PairOutcome(test: failed, passed: false, result: nil, reason: "x", log: "", dialerStdout: "", wallTime: .seconds(1)),
                PairOutcome(
                    test: passed, passed: true, result: InteropResult(handshakePlusOneRTTMillis: 1, pingRTTMillis: 1), reason: nil,
                    log: "", dialerStdout: "", wallTime: .seconds(1)),
            ], implementations: ["swift", "other"])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rerun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try report.resultsCSV.write(to: folder.appendingPathComponent("results.csv"), atomically: true, encoding: .utf8)

        let names = try FailedTests.names(in: folder)
        #expect(names == [failed.name])
        var filters = MatrixPlan.Filters()
        filters.exactNames = names
        #expect(MatrixPlan(implementations: [Self.swift, Self.other], filters: filters).tests.map(\.name) == [failed.name])
        #expect(throws: MatrixError.self) { try FailedTests.names(in: folder.appendingPathComponent("missing")) }
    }

    @Test("a command's placeholders are filled in; an unset one is named")
    func placeholders() throws {
        #expect(try Self.swift.resolvedCommand(variables: ["SELF": "/bin/x"]) == ["/bin/x"])
        #expect(throws: MatrixError.self) { try Self.swift.resolvedCommand(variables: [:]) }
    }
}
