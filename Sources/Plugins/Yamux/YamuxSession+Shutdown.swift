import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Ending a session: go away (graceful: no new streams) and close (everything fails,
/// the stream below is closed). The fan-out is the scaffold's; what yamux sends last
/// is `YamuxSessionRules.sessionEnding`.
extension YamuxSession {
    /// Tells the peer we open and accept no more streams; existing streams go on.
    /// Pending `acceptStream()` calls return the backlog, then `nil`.
    public func goAway(_ code: YamuxGoAwayCode = .normal) async throws {
        try scaffold.state.withLock { s in
            if let error = s.endError { throw error }
            s.rules.sentGoAway = true
        }
        scaffold.closeAcceptBacklog()
        try await scaffold.writer.write(YamuxFrameHeader(type: .goAway, streamID: 0, length: code.rawValue).encoded)
    }

    /// Sends a go away (normal), fails every pending operation, and closes the stream
    /// below. The go away gets up to `goAwayTimeout` to go out.
    public func close() async {
        await scaffold.end(.closedLocally)
    }
}
