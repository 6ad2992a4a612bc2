/// The perf dialer's workload (unified-testing's `UPLOAD_BYTES`, `DOWNLOAD_BYTES`,
/// `UPLOAD_ITERATIONS`, `DOWNLOAD_ITERATIONS`, `LATENCY_ITERATIONS`). An unset
/// variable or the literal `null` (what the harness writes for "not chosen")
/// means the default: 1 GiB each way, 10, 10 and 100 iterations.
public struct PerfParameters: Sendable, Equatable {
    public var uploadBytes: UInt64
    public var downloadBytes: UInt64
    public var uploadIterations: Int
    public var downloadIterations: Int
    public var latencyIterations: Int

    public static let defaultBytes: UInt64 = 1 << 30
    /// Caps that keep a typo from running for days.
    public static let maxBytes: UInt64 = 64 << 30
    public static let maxIterations = 100_000

    public init(
        uploadBytes: UInt64 = defaultBytes, downloadBytes: UInt64 = defaultBytes,
        uploadIterations: Int = 10, downloadIterations: Int = 10, latencyIterations: Int = 100
    ) {
        self.uploadBytes = uploadBytes
        self.downloadBytes = downloadBytes
        self.uploadIterations = uploadIterations
        self.downloadIterations = downloadIterations
        self.latencyIterations = latencyIterations
    }

    public enum Name {
        public static let uploadBytes = "UPLOAD_BYTES"
        public static let downloadBytes = "DOWNLOAD_BYTES"
        public static let uploadIterations = "UPLOAD_ITERATIONS"
        public static let downloadIterations = "DOWNLOAD_ITERATIONS"
        public static let latencyIterations = "LATENCY_ITERATIONS"
    }

    /// Reads the five variables, reporting every bad one at once.
    public init(environment env: [String: String]) throws {
        var problems: [String] = []
        func number<T: FixedWidthInteger>(_ name: String, _ fallback: T, max: T) -> T {
            guard let raw = env[name]?.trimmingWhitespace(), !raw.isEmpty, raw != "null" else { return fallback }
            guard let value = T(raw), value >= 0, value <= max else {
                problems.append("\(name) must be a whole number from 0 to \(max) or null, got '\(raw)'")
                return fallback
            }
            return value
        }
        let defaults = PerfParameters()
        self.init(
            uploadBytes: number(Name.uploadBytes, defaults.uploadBytes, max: Self.maxBytes),
            downloadBytes: number(Name.downloadBytes, defaults.downloadBytes, max: Self.maxBytes),
            uploadIterations: number(Name.uploadIterations, defaults.uploadIterations, max: Self.maxIterations),
            downloadIterations: number(Name.downloadIterations, defaults.downloadIterations, max: Self.maxIterations),
            latencyIterations: number(Name.latencyIterations, defaults.latencyIterations, max: Self.maxIterations))
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
    }

    /// The variables that express these parameters (for starting a perf dialer).
    public func environment() -> [String: String] {
        [
            Name.uploadBytes: "\(uploadBytes)", Name.downloadBytes: "\(downloadBytes)",
            Name.uploadIterations: "\(uploadIterations)", Name.downloadIterations: "\(downloadIterations)",
            Name.latencyIterations: "\(latencyIterations)",
        ]
    }
}
