// OpenSSL 3 (Debian: libssl-dev): TLS with ALPN for TapProxy, SHA-256 of customer keys for
// Metering. Imported privately by both.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <openssl/sha.h>

// These are macros over SSL_ctrl / SSL_CTX_ctrl, which Swift cannot call as written.
static inline long usagetap_ssl_set_sni(SSL *ssl, const char *name) {
    return SSL_set_tlsext_host_name(ssl, name);
}
static inline long usagetap_ssl_ctx_set_min_tls12(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
