#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the dialer measured, and how each harness wants it printed on stdout.
public struct InteropResult: Sendable, Equatable {
    /// From just before dialing to the first pong, in milliseconds.
    public var handshakePlusOneRTTMillis: Double
    /// A later ping's round trip on the same connection, in milliseconds: on the
    /// same stream, or on a fresh, already negotiated one when the listener answers
    /// one ping per stream.
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

    public func rendered(for form: ContractForm) -> String {
        switch form {
        case .classic: return classicJSON
        case .unified: return unifiedYAML
        }
    }

    /// Milliseconds with three decimals, as both result forms print them.
    public static func format(_ millis: Double) -> String {
        millis.fixed(3)
    }
}

extension InteropResult {
    /// Parses either output form: the unified YAML block or the classic JSON object.
    public init?(parsing text: String) {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let v = Double(parts[1].trimmingWhitespace()) {
                values[String(parts[0].trimmingWhitespace())] = v
            }
        }
        if let hs = values["handshake_plus_one_rtt"], let rtt = values["ping_rtt"] {
            self.init(handshakePlusOneRTTMillis: hs, pingRTTMillis: rtt)
            return
        }
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            guard let classic = try? JSONDecoder().decode(ClassicJSON.self, from: Data(line.utf8)) else { continue }
            self.init(handshakePlusOneRTTMillis: classic.handshakePlusOneRTTMillis, pingRTTMillis: classic.pingRTTMilllis)
            return
        }
        return nil
    }
}

/// The classic result object, for parsing (the key really has three l's).
private struct ClassicJSON: Decodable {
    var handshakePlusOneRTTMillis: Double
    var pingRTTMilllis: Double
}

extension Duration {
    /// The duration in milliseconds as a Double.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
