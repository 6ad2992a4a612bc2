internal import COpenSSL

/// The pair of memory BIOs through which an `SSL` object runs over any byte stream
/// (the TLS security plugin, wss): one holds the peer's bytes for OpenSSL to read,
/// the other collects what OpenSSL writes. Shared because plugins cannot share
/// code otherwise, and the ownership rules are easy to get wrong.
public enum OpenSSLMemoryBIOs {
    /// Makes both BIOs and hands them to `ssl`, which owns and frees them from then
    /// on. An empty BIO reads as "wait for more", not as end of stream. Returns nil
    /// (having freed whatever it made) when OpenSSL is out of memory.
    public static func attach(to ssl: OpaquePointer) -> (fromPeer: OpaquePointer, toPeer: OpaquePointer)? {
        guard let fromPeer = BIO_new(BIO_s_mem()) else { return nil }
        guard let toPeer = BIO_new(BIO_s_mem()) else {
            BIO_free(fromPeer)  // not yet owned by `ssl`
            return nil
        }
        _ = shim_BIO_set_mem_eof_return(fromPeer, -1)
        _ = shim_BIO_set_mem_eof_return(toPeer, -1)
        SSL_set_bio(ssl, fromPeer, toPeer)
        return (fromPeer, toPeer)
    }
}
