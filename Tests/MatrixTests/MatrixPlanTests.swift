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

    @Test("a command's placeholders are filled in; an unset one is named")
    func placeholders() throws {
        #expect(try Self.swift.resolvedCommand(variables: ["SELF": "/bin/x"]) == ["/bin/x"])
        #expect(throws: MatrixError.self) { try Self.swift.resolvedCommand(variables: [:]) }
    }
}
