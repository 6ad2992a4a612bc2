/// Why a Redis operation failed; every description names the server's address.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// The address is not `host:port`.
    case invalidAddress(String)
    /// No connection could be made before the retry window ended.
    case cannotConnect(address: String, seconds: Double, reason: String)
    /// The server answered with an error (`-ERR …`).
    case errorReply(address: String, message: String)
    /// The server answered something the command does not expect.
    case unexpectedReply(address: String, command: String, reply: String)
    /// The connection broke (server gone, socket timeout, protocol error).
    case connectionLost(address: String, reason: String)
    /// The client was closed.
    case closed(address: String)

    public var description: String {
        switch self {
        case .invalidAddress(let address):
            return "invalid redis address '\(address)': expected host:port"
        case .cannotConnect(let address, let seconds, let reason):
            let tenths = Int((seconds * 10).rounded())
            return "cannot connect to redis at \(address) after \(tenths / 10).\(tenths % 10) s: \(reason)"
        case .errorReply(let address, let message):
            return "redis error reply from \(address): \(message)"
        case .unexpectedReply(let address, let command, let reply):
            return "unexpected reply to \(command) from redis at \(address): \(reply)"
        case .connectionLost(let address, let reason):
            return "connection to redis at \(address) lost: \(reason)"
        case .closed(let address):
            return "redis client for \(address) is closed"
        }
    }
}
