#ifndef COPENSSL_SHIM_H
#define COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

/* Macros that Swift cannot call. */
static inline long shim_SSL_set_min_proto_version(SSL *ssl, int v) { return SSL_set_min_proto_version(ssl, v); }
static inline long shim_SSL_set_max_proto_version(SSL *ssl, int v) { return SSL_set_max_proto_version(ssl, v); }
static inline long shim_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_min_proto_version(ctx, v); }
static inline long shim_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return SSL_CTX_set_max_proto_version(ctx, v); }
static inline long shim_BIO_pending(BIO *b) { return BIO_pending(b); }
#endif
