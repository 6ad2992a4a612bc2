/// One fuzz target: a parser (or a whole protocol engine) fed one input, and the
/// valid inputs its committed seed corpus starts from. `run` must return for every
/// input, quickly, leaving no task behind: bad input is an error the parser throws
/// and the target ignores; a crash, a leak or a hang is a finding.
struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
    let seeds: @Sendable () -> [[UInt8]]

    static let all: [FuzzTarget] =
        AddressingTargets.all + KeyTargets.all + MultistreamTargets.all + NoiseTargets.all
        + TLSTargets.all + IdentifyTargets.all + YamuxTargets.all + MplexTargets.all + WebSocketTargets.all + PerfTargets.all
}
