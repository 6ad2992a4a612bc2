extension Host {
    /// Serves `/perf/1.0.0` from now on, within `limits`. Off by default, as
    /// the spec asks: a perf server sends whatever volume a peer requests.
    public func enablePerf(limits: PerfLimits = PerfLimits()) {
        handle(PerfProtocol.id) { stream, _ in try await PerfProtocol.serve(stream, limits: limits) }
    }

    /// Stops serving `/perf/1.0.0`: peers asking for it get `na`.
    public func disablePerf() {
        removeHandler(PerfProtocol.id)
    }
}
