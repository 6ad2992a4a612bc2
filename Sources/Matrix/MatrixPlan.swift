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
                    for security in dialer.secureChannels where listener.secureChannels.contains(security) {
                        for muxer in dialer.muxers where listener.muxers.contains(muxer) {
                            let test = PairTest(
                                dialer: dialer.id, listener: listener.id,
                                combination: Combination(transport: transport, security: security, muxer: muxer))
                            if filters.matches(test) { tests.append(test) }
                        }
                    }
                }
            }
        }
        self.tests = tests
    }
}

extension MatrixPlan.Filters {
    func matches(_ test: PairTest) -> Bool {
        (exactNames.map { $0.contains(test.name) } ?? true)
            && (nameContains.isEmpty || nameContains.contains { test.name.contains($0) })
            && (security.isEmpty || security.contains(test.combination.security))
            && (muxer.isEmpty || muxer.contains(test.combination.muxer))
            && (transport.isEmpty || transport.contains(test.combination.transport))
    }
}
