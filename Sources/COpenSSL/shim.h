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
static inline long shim_BIO_set_mem_eof_return(BIO *b, int v) { return BIO_set_mem_eof_return(b, v); }
static inline long shim_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
static inline long shim_SSL_add1_chain_cert(SSL *ssl, X509 *x509) { return SSL_add1_chain_cert(ssl, x509); }
static inline void shim_OPENSSL_free(void *p) { OPENSSL_free(p); }

/* SSL_OP_* are 64-bit shifts that Swift does not import. */
static inline uint64_t shim_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }

/* EVP_PKEY_Q_keygen is variadic, which Swift cannot call. */
static inline EVP_PKEY *shim_EVP_PKEY_generate_ec(const char *curve) { return EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve); }
static inline EVP_PKEY *shim_EVP_PKEY_generate_rsa(size_t bits) { return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits); }

/* STACK_OF(ASN1_TYPE) accessors are macros over OPENSSL_sk_*. */
static inline ASN1_SEQUENCE_ANY *shim_sk_ASN1_TYPE_new_null(void) { return sk_ASN1_TYPE_new_null(); }
static inline int shim_sk_ASN1_TYPE_push(ASN1_SEQUENCE_ANY *sk, ASN1_TYPE *t) { return sk_ASN1_TYPE_push(sk, t); }
static inline int shim_sk_ASN1_TYPE_num(const ASN1_SEQUENCE_ANY *sk) { return sk_ASN1_TYPE_num(sk); }
static inline ASN1_TYPE *shim_sk_ASN1_TYPE_value(const ASN1_SEQUENCE_ANY *sk, int i) { return sk_ASN1_TYPE_value(sk, i); }
static inline void shim_sk_ASN1_TYPE_pop_free(ASN1_SEQUENCE_ANY *sk) { sk_ASN1_TYPE_pop_free(sk, ASN1_TYPE_free); }

/* STACK_OF(X509) accessors, for the peer's certificate chain. */
static inline int shim_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *shim_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
/* OSSL_PARAM keeps the key pointer: these give string literals that live forever. */
static inline const char *shim_OSSL_PKEY_PARAM_GROUP_NAME(void) { return OSSL_PKEY_PARAM_GROUP_NAME; }
static inline const char *shim_OSSL_PKEY_PARAM_PUB_KEY(void) { return OSSL_PKEY_PARAM_PUB_KEY; }
static inline const char *shim_OSSL_PKEY_PARAM_PRIV_KEY(void) { return OSSL_PKEY_PARAM_PRIV_KEY; }
/* EVP_PKEY_fromdata selections are macro expressions. */
static inline int shim_EVP_PKEY_PUBLIC_KEY(void) { return EVP_PKEY_PUBLIC_KEY; }
static inline int shim_EVP_PKEY_KEYPAIR(void) { return EVP_PKEY_KEYPAIR; }
#endif
