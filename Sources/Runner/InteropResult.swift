/// What the dialer measured, and how each harness wants it printed on stdout.
public struct InteropResult: Sendable, Equatable {
    /// From just before dialing to the first pong, in milliseconds.
    public var handshakePlusOneRTTMillis: Double
    /// A later ping's round trip on the same connection, in milliseconds.
    public var pingRTTMillis: Double

    public init(handshakePlusOneRTTMillis: Double, pingRTTMillis: Double) {
        self.handshakePlusOneRTTMillis = handshakePlusOneRTTMillis
        self.pingRTTMillis = pingRTTMillis
    }

    /// test-plans: one flat JSON object. The key really has three l's.
    public var classicJSON: String {
        "{\"handshakePlusOneRTTMillis\": \(Self.format(handshakePlusOneRTTMillis)), \"pingRTTMilllis\": \(Self.format(pingRTTMillis))}"
    }

    /// unified-testing: these exact lines, which its runner greps.
    public var unifiedYAML: String {
        """
        latency:
          handshake_plus_one_rtt: \(Self.format(handshakePlusOneRTTMillis))
          ping_rtt: \(Self.format(pingRTTMillis))
          unit: ms
        """
    }

    public func rendered(for form: InteropConfig.Form) -> String {
        switch form {
        case .classic: return classicJSON
        case .unified: return unifiedYAML
        }
    }

    static func format(_ millis: Double) -> String {
        let thousandths = (millis * 1000).rounded()
        let whole = Int(thousandths) / 1000
        let fraction = Int(thousandths) % 1000
        let padded = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 3 - padded.count) + padded
    }
}

extension Duration {
    /// The duration in milliseconds as a Double.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
