/* hash.h - SHA-256 (OpenSSL) and constant-time comparison. */
#ifndef SYNC_HASH_H
#define SYNC_HASH_H

#include <stdbool.h>
#include <stddef.h>

/* "sha256:" + 64 lowercase hex digits + NUL (72 bytes). */
void hash_content(const void *data, size_t len, char out[72]);
/* 64 lowercase hex digits + NUL (65 bytes). */
void hash_hex(const void *data, size_t len, char out[65]);
/* A well-formed content hash: "sha256:" + 64 lowercase hex. */
bool hash_is_valid(const char *s, size_t len);
/* Constant-time equality (CRYPTO_memcmp); lengths compared without leaking
 * the contents. */
bool hash_equal_ct(const char *a, size_t alen, const char *b, size_t blen);

#endif
