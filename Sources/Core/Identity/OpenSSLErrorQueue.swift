internal import COpenSSL

/// This thread's OpenSSL error queue, read and emptied in one go. Every OpenSSL
/// call sequence (key checks here, the TLS plugin) ends by draining it, because
/// Swift tasks hop threads and a stale entry would mislead a later call.
public enum OpenSSLErrorQueue {
    /// The queued reasons, joined; the queue is left empty.
    public static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                reasons.append("error 0x\(String(code, radix: 16))")
            }
        }
        return reasons.isEmpty ? "no detail from OpenSSL" : reasons.joined(separator: "; ")
    }
}
