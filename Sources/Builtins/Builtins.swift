import LibP2PMplex
import LibP2PNoise
import LibP2PQUIC
import LibP2PRegistry
import LibP2PTCP
import LibP2PTLS
import LibP2PWebSocket
import LibP2PYamux

/// LibP2PBuiltins: the one list of plugins this build ships. Plugins never import
/// it; the CLI, the tests and any program that wants every built-in do.
extension Registry {
    /// Every plugin this build ships, in wire preference order. Adding a plugin is
    /// one line here.
    public static func builtin() -> Registry {
        var registry = Registry()
        do {
            try registry.register(TCPTransport())
            try registry.register(WebSocketTransport())
            try registry.register(WebSocketTransport(secure: true))
            try registry.register(QUICTransport())
            try registry.register(NoiseSecurity())
            try registry.register(TLSSecurity())
            try registry.register(YamuxMuxer())
            try registry.register(MplexMuxer())
        } catch {
            // Two built-ins with one name is a bug in this file, not a runtime condition.
            preconditionFailure("built-in plugins clash: \(error)")
        }
        return registry
    }
}
