#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One measurement series as unified-testing's perf results report it: quartiles
/// by linear interpolation between order statistics, outliers beyond 1.5 × IQR
/// from the quartiles, min and max of the samples that are not outliers (as the
/// go perf app computes them), and every sample, sorted.
public struct PerfStatistics: Sendable, Equatable {
    public var min: Double
    public var q1: Double
    public var median: Double
    public var q3: Double
    public var max: Double
    public var outliers: [Double]
    /// Sorted ascending.
    public var samples: [Double]

    public init(samples unsorted: [Double]) {
        let samples = unsorted.sorted()
        self.samples = samples
        guard !samples.isEmpty else {
            (min, q1, median, q3, max, outliers) = (0, 0, 0, 0, 0, [])
            return
        }
        q1 = Self.percentile(samples, 25)
        median = Self.percentile(samples, 50)
        q3 = Self.percentile(samples, 75)
        let iqr = q3 - q1
        let (low, high) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr)
        outliers = samples.filter { $0 < low || $0 > high }
        let inliers = samples.filter { $0 >= low && $0 <= high }
        min = inliers.first ?? samples[0]
        max = inliers.last ?? samples[samples.count - 1]
    }

    /// The `p`th percentile of sorted values, interpolating linearly.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let index = p / 100 * Double(sorted.count - 1)
        let lower = Int(index.rounded(.down))
        let upper = Int(index.rounded(.up))
        let weight = index - Double(lower)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }

    /// The YAML block, `decimals` digits per value (2 for Gbps, 3 for ms).
    public func yaml(name: String, iterations: Int, unit: String, decimals: Int) -> String {
        func f(_ value: Double) -> String { value.fixed(decimals) }
        func list(_ values: [Double]) -> String { "[" + values.map(f).joined(separator: ", ") + "]" }
        return """
            \(name):
              iterations: \(iterations)
              min: \(f(min))
              q1: \(f(q1))
              median: \(f(median))
              q3: \(f(q3))
              max: \(f(max))
              outliers: \(list(outliers))
              samples: \(list(samples))
              unit: \(unit)
            """
    }
}

/// What the perf dialer measured: throughput in Gbit/s each way, latency in ms.
public struct PerfResults: Sendable, Equatable {
    public var upload: PerfStatistics
    public var download: PerfStatistics
    public var latency: PerfStatistics

    public init(upload: PerfStatistics, download: PerfStatistics, latency: PerfStatistics) {
        self.upload = upload
        self.download = download
        self.latency = latency
    }

    /// Gbit/s (10⁹ bits per second) for `bytes` moved in `elapsed`.
    public static func gigabitsPerSecond(_ bytes: UInt64, in elapsed: Duration) -> Double {
        let seconds = elapsed.milliseconds / 1000
        return seconds > 0 ? Double(bytes) * 8 / seconds / 1e9 : 0
    }

    /// The three blocks unified-testing's perf runner stores, and nothing else.
    public var yaml: String {
        [
            upload.yaml(name: "upload", iterations: upload.samples.count, unit: "Gbps", decimals: 2),
            download.yaml(name: "download", iterations: download.samples.count, unit: "Gbps", decimals: 2),
            latency.yaml(name: "latency", iterations: latency.samples.count, unit: "ms", decimals: 3),
        ].joined(separator: "\n")
    }
}

extension PerfResults {
    /// Parses the three YAML blocks a perf dialer prints (ours, py's, go's):
    /// each block's `samples` list, from which the statistics are recomputed.
    /// Nil unless all three blocks have one.
    public init?(parsing text: String) {
        var samples: [String: [Double]] = [:]
        var block: String?
        for line in text.split(separator: "\n") {
            if !line.hasPrefix(" "), line.hasSuffix(":") {
                block = String(line.dropLast())
            } else if let block, let range = line.firstRange(of: "samples:") {
                let list = line[range.upperBound...].trimmingWhitespace()
                guard list.hasPrefix("["), list.hasSuffix("]") else { return nil }
                let items = list.dropFirst().dropLast().split(separator: ",")
                let values = items.compactMap { Double($0.trimmingWhitespace()) }
                guard values.count == items.count else { return nil }
                samples[block] = values
            }
        }
        guard let upload = samples["upload"], let download = samples["download"], let latency = samples["latency"] else {
            return nil
        }
        self.init(
            upload: PerfStatistics(samples: upload), download: PerfStatistics(samples: download),
            latency: PerfStatistics(samples: latency))
    }
}
