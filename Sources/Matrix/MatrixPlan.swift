import LibP2PRegistry

/// Which pair tests a matrix run holds: every dialer × listener implementation ×
/// every transport/security/muxer both support, narrowed by the filters.
public struct MatrixPlan: Sendable {
    public struct Filters: Sendable {
        public var nameContains: [String] = []
        public var security: [String] = []
        public var muxer: [String] = []
        public var transport: [String] = []
        public var implementations: [String] = []
        /// Only tests with exactly these names (nil: no such filter), e.g. those
        /// that failed in an earlier run (`FailedTests.names(in:)`).
        public var exactNames: Set<String>?
        public init() {}
    }

    public let implementations: [Implementation]
    public let tests: [PairTest]

    public init(implementations: [Implementation], filters: Filters = Filters()) {
        self.implementations = implementations
        var tests: [PairTest] = []
        for dialer in implementations {
            for listener in implementations {
                if !filters.implementations.isEmpty,
                    !(filters.implementations.contains(dialer.id) && filters.implementations.contains(listener.id))
                {
                    continue
                }
                for transport in dialer.transports where listener.transports.contains(transport) {
                    for combination in Self.combinations(of: transport, dialer: dialer, listener: listener) {
                        let test = PairTest(dialer: dialer.id, listener: listener.id, combination: combination)
                        if filters.matches(test) { tests.append(test) }
                    }
                }
            }
        }
        self.tests = tests
    }
}

extension MatrixPlan {
    /// A standalone transport (quic-v1) is one test on its own; a byte-stream one
    /// runs with every security and muxer both sides declare.
    static func combinations(of transport: String, dialer: Implementation, listener: Implementation) -> [Combination] {
        if Combination.standaloneTransportNames.contains(transport) { return [Combination(standalone: transport)] }
        return dialer.secureChannels.filter(listener.secureChannels.contains).flatMap { security in
            dialer.muxers.filter(listener.muxers.contains).map { muxer in
                Combination(transport: transport, security: security, muxer: muxer)
            }
        }
    }
}

extension MatrixPlan.Filters {
    func matches(_ test: PairTest) -> Bool {
        (exactNames.map { $0.contains(test.name) } ?? true)
            && (nameContains.isEmpty || nameContains.contains { test.name.contains($0) })
            && (security.isEmpty || test.combination.security.map(security.contains) == true)
            && (muxer.isEmpty || test.combination.muxer.map(muxer.contains) == true)
            && (transport.isEmpty || transport.contains(test.combination.transport))
    }
}
