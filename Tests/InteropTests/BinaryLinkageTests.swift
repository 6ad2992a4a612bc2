import InteropMatrix
import Testing

/// The binary the harnesses start once per test links FoundationEssentials only:
/// the full Foundation and ICU cost every such process a few milliseconds of
/// start-up and add ~1,900 conformance records to every first-time lookup on the
/// measured handshake. A new `import Foundation` (or a dependency trait that pulls
/// it in) fails here, naming the library.
@Suite struct BinaryLinkageTests {
    @Test func theBinaryDoesNotLinkFoundationOrICU() async throws {
        let output = try await ProcessRun.run(["readelf", "-d", Peers.swiftBinary], timeout: .seconds(30))
        try #require(output.status == 0, "readelf failed: \(output.stderr)")
        let needed = output.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(!needed.isEmpty, "no NEEDED entries read from \(Peers.swiftBinary)")
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!needed.contains { $0.contains("[\(library)]") }, "the binary links \(library)")
        }
    }
}
