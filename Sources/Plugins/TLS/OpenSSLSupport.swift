internal import COpenSSL

/// Small helpers shared by the files that call OpenSSL.
enum OpenSSLSupport {
    /// The reasons in this thread's OpenSSL error queue, which is left empty. Every
    /// OpenSSL call sequence here starts with `ERR_clear_error()` and ends by draining,
    /// because Swift tasks hop threads and a stale entry would mislead `SSL_get_error`.
    static func drainErrors() -> String {
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

    /// DER bytes from an OpenSSL `i2d_*` function, called once for the length and once
    /// into our own buffer (so nothing needs `OPENSSL_free`).
    static func der(_ encode: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8]? {
        let length = encode(nil)
        guard length > 0 else { return nil }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return encode(&cursor)
        }
        return written == length ? out : nil
    }
}
