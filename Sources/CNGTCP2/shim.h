#ifndef CNGTCP2_SHIM_H
#define CNGTCP2_SHIM_H
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>

/* ngtcp2_crypto_gnutls.h includes <gnutls/gnutls.h>, which would put GnuTLS's types
   in this module as well as in CGnuTLS (two copies Swift cannot tell apart). The two
   functions QUIC needs are declared here on the struct gnutls_session_t points to,
   which both modules import as the same OpaquePointer. */
struct gnutls_session_int;
int ngtcp2_crypto_gnutls_configure_server_session(struct gnutls_session_int *session);
int ngtcp2_crypto_gnutls_configure_client_session(struct gnutls_session_int *session);

/* ngtcp2 0.12 calls are macros over *_versioned functions, which Swift cannot call. */
static inline void shim_ngtcp2_settings_default(ngtcp2_settings *settings) {
    ngtcp2_settings_default(settings);
}
static inline void shim_ngtcp2_transport_params_default(ngtcp2_transport_params *params) {
    ngtcp2_transport_params_default(params);
}
static inline int shim_ngtcp2_conn_client_new(
    ngtcp2_conn **pconn, const ngtcp2_cid *dcid, const ngtcp2_cid *scid, const ngtcp2_path *path,
    uint32_t version, const ngtcp2_callbacks *callbacks, const ngtcp2_settings *settings,
    const ngtcp2_transport_params *params, void *user_data) {
    return ngtcp2_conn_client_new(pconn, dcid, scid, path, version, callbacks, settings, params, NULL, user_data);
}
static inline int shim_ngtcp2_conn_server_new(
    ngtcp2_conn **pconn, const ngtcp2_cid *dcid, const ngtcp2_cid *scid, const ngtcp2_path *path,
    uint32_t version, const ngtcp2_callbacks *callbacks, const ngtcp2_settings *settings,
    const ngtcp2_transport_params *params, void *user_data) {
    return ngtcp2_conn_server_new(pconn, dcid, scid, path, version, callbacks, settings, params, NULL, user_data);
}
static inline int shim_ngtcp2_conn_read_pkt(
    ngtcp2_conn *conn, const ngtcp2_path *path, const uint8_t *pkt, size_t pktlen, ngtcp2_tstamp ts) {
    ngtcp2_pkt_info pi = {0};
    return ngtcp2_conn_read_pkt(conn, path, &pi, pkt, pktlen, ts);
}
static inline ngtcp2_ssize shim_ngtcp2_conn_writev_stream(
    ngtcp2_conn *conn, uint8_t *dest, size_t destlen, ngtcp2_ssize *pdatalen, uint32_t flags,
    int64_t stream_id, const ngtcp2_vec *datav, size_t datavcnt, ngtcp2_tstamp ts) {
    return ngtcp2_conn_writev_stream(conn, NULL, NULL, dest, destlen, pdatalen, flags, stream_id, datav, datavcnt, ts);
}
static inline ngtcp2_ssize shim_ngtcp2_conn_write_connection_close(
    ngtcp2_conn *conn, uint8_t *dest, size_t destlen, const ngtcp2_connection_close_error *ccerr, ngtcp2_tstamp ts) {
    return ngtcp2_conn_write_connection_close(conn, NULL, NULL, dest, destlen, ccerr, ts);
}

/* Flags and constants Swift does not import (unsigned-suffixed or expression macros). */
static inline uint32_t shim_NGTCP2_WRITE_STREAM_FLAG_MORE(void) { return NGTCP2_WRITE_STREAM_FLAG_MORE; }
static inline uint32_t shim_NGTCP2_WRITE_STREAM_FLAG_FIN(void) { return NGTCP2_WRITE_STREAM_FLAG_FIN; }
static inline uint32_t shim_NGTCP2_STREAM_DATA_FLAG_FIN(void) { return NGTCP2_STREAM_DATA_FLAG_FIN; }
static inline uint32_t shim_NGTCP2_PROTO_VER_V1(void) { return NGTCP2_PROTO_VER_V1; }
static inline uint64_t shim_NGTCP2_SECONDS(void) { return NGTCP2_SECONDS; }
static inline uint64_t shim_NGTCP2_MILLISECONDS(void) { return NGTCP2_MILLISECONDS; }
static inline size_t shim_NGTCP2_MAX_CIDLEN(void) { return NGTCP2_MAX_CIDLEN; }
static inline size_t shim_NGTCP2_MAX_UDP_PAYLOAD_SIZE(void) { return NGTCP2_MAX_UDP_PAYLOAD_SIZE; }
static inline uint64_t shim_NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET(void) { return NGTCP2_STREAM_CLOSE_FLAG_APP_ERROR_CODE_SET; }
#endif
