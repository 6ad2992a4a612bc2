internal import COpenSSL

/// Small helpers shared by the files that call OpenSSL.
enum OpenSSLSupport {
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
