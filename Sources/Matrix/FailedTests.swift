#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The tests that failed in an earlier run, read from its `results.csv` (the
/// `name,outcome` table the matrix writes), so that a rerun can take only those.
public enum FailedTests {
    public static func names(in resultsDirectory: URL) throws -> Set<String> {
        let file = resultsDirectory.appendingPathComponent("results.csv")
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw MatrixError.badConfig(file.path, "cannot read an earlier run's results: \(error)")
        }
        var names = Set<String>()
        for line in text.split(separator: "\n").dropFirst() {
            // The name may be quoted (it holds commas); the outcome is the last field.
            guard let comma = line.lastIndex(of: ",") else { continue }
            guard line[line.index(after: comma)...] == "failure" else { continue }
            var name = String(line[..<comma])
            if name.hasPrefix("\""), name.hasSuffix("\""), name.count >= 2 {
                name = String(name.dropFirst().dropLast()).replacing("\"\"", with: "\"")
            }
            names.insert(name)
        }
        return names
    }
}
