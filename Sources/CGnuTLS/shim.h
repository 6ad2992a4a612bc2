#ifndef CGNUTLS_SHIM_H
#define CGNUTLS_SHIM_H
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

/* gnutls_datum_t over a Swift buffer: the struct wants a mutable pointer it never writes through. */
static inline gnutls_datum_t shim_gnutls_datum(const void *data, unsigned int size) {
    gnutls_datum_t datum = { (unsigned char *)data, size };
    return datum;
}
#endif
