import InteropRunner
import LibP2PBuiltins
import LibP2PRegistry
import PlaintextSecurity

// The harness's test binary with one more security channel: `security=plaintext`.
var registry = Registry.builtin()
try registry.register(PlaintextSecurity())
await InteropMain.run(registry: registry)
