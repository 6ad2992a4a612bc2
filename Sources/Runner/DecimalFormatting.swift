extension Double {
    /// The value with exactly `decimals` digits after the point, rounded half away
    /// from zero: what `String(format: "%.Nf")` prints, without the full Foundation
    /// (the binary links only FoundationEssentials, which has no `String(format:)`).
    public func fixed(_ decimals: Int) -> String {
        precondition((0...9).contains(decimals), "0 to 9 decimals")
        guard isFinite else { return isNaN ? "nan" : (self < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (magnitude * scale).rounded()
        // Past 2^63 there is no fractional part left to print anyway.
        guard scaled < 9.2e18 else { return (self < 0 ? "-" : "") + String(Int64(magnitude.rounded())) }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        let sign = self < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(units) }
        let fraction = String(units % divisor)
        return sign + String(units / divisor) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
