/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agents' TLS: 1.3 only, both sides present a certificate that
 * chains to the deployment's CA (docs/agent.md says how to make them),
 * and a node is named by the SHA-256 of its certificate's public key,
 * so that a name in a certificate cannot be borrowed.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent.h"

static GQuark vga_tls_error_quark(void)
{
    return g_quark_from_static_string("vga-tls-error-quark");
}
#define TLS_ERROR vga_tls_error_quark()

static void set_ssl_error(GError **errp, const char *what, const char *path)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";

    if (e) {
        ERR_error_string_n(e, buf, sizeof(buf));
    }
    ERR_clear_error();
    g_set_error(errp, TLS_ERROR, 0, "%s %s: %s", what, path,
                buf[0] ? buf : "failed");
}

/* Hex SHA-256 of a certificate's SubjectPublicKeyInfo. */
static bool cert_id(X509 *cert, char *node_id)
{
    unsigned char *der = NULL;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    bool ok;

    if (len <= 0) {
        return false;
    }
    ok = EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32;
    OPENSSL_free(der);
    for (unsigned i = 0; ok && i < mdlen; i++) {
        g_snprintf(node_id + 2 * i, 3, "%02x", md[i]);
    }
    return ok;
}

SSL_CTX *agent_tls_new(const VgaConfig *c, char *node_id, GError **errp)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());

    if (!ctx) {
        set_ssl_error(errp, "TLS", "context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_use_certificate_chain_file(ctx, c->certificate) != 1) {
        set_ssl_error(errp, "certificate", c->certificate);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, c->key, SSL_FILETYPE_PEM) != 1) {
        set_ssl_error(errp, "key", c->key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        set_ssl_error(errp, "key does not match certificate", c->key);
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(ctx, c->ca, NULL) != 1) {
        set_ssl_error(errp, "CA", c->ca);
        goto fail;
    }
    /* Both directions: a server asks for the client's certificate too. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    SSL_CTX_set_verify_depth(ctx, 4);
    if (!cert_id(SSL_CTX_get0_certificate(ctx), node_id)) {
        set_ssl_error(errp, "public key of", c->certificate);
        goto fail;
    }
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

bool agent_tls_peer_id(SSL *ssl, char *node_id)
{
    X509 *cert = SSL_get1_peer_certificate(ssl);
    bool ok;

    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) {
        X509_free(cert);
        return false;
    }
    ok = cert_id(cert, node_id);
    X509_free(cert);
    return ok;
}
