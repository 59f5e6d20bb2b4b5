/* rules.c - the rules of DESIGN §4: UTF-8, paths, extensions, the binary
 * list, content, UUIDs and names. Pure functions over (pointer, length). */
#include "rules.h"

#include <stdint.h>
#include <string.h>

#include "limits.h"

/* Decodes one UTF-8 sequence at p (n > 0 bytes available). Returns its length
 * (1..4) and the code point, or 0 when the sequence is invalid: a stray
 * continuation byte, a truncated sequence, an overlong form, a surrogate
 * (U+D800..U+DFFF) or a value above U+10FFFF. */
static size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char c = p[0];
    uint32_t v;
    size_t need, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c < 0xC2)               /* continuation byte, or C0/C1: overlong 2-byte */
        return 0;
    if (c < 0xE0) {
        need = 2;
        v = c & 0x1Fu;
    } else if (c < 0xF0) {
        need = 3;
        v = c & 0x0Fu;
    } else if (c < 0xF5) {
        need = 4;
        v = c & 0x07u;
    } else {                    /* F5..FF: above U+10FFFF or never valid */
        return 0;
    }
    if (n < need)
        return 0;
    for (i = 1; i < need; i++) {
        if ((p[i] & 0xC0u) != 0x80u)
            return 0;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (need == 3 && v < 0x800)
        return 0;               /* overlong */
    if (need == 4 && (v < 0x10000 || v > 0x10FFFF))
        return 0;               /* overlong or out of range */
    if (v >= 0xD800 && v <= 0xDFFF)
        return 0;               /* surrogate */
    *cp = v;
    return need;
}

/* Offset of the first invalid byte, or len when all of s is valid UTF-8. */
static size_t utf8_invalid_at(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < len) {
        /* ASCII fast path: 8 bytes at a time while none has its high bit */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i >= len)
            break;
        k = utf8_decode(p + i, len - i, &cp);
        if (k == 0)
            return i;
        i += k;
    }
    return len;
}

size_t utf8_check(const char *s, size_t len)
{
    if (len == 0 || !s)
        return 0;
    return utf8_invalid_at(s, len);
}

bool utf8_valid(const char *s, size_t len)
{
    if (len == 0)
        return true;
    if (!s)
        return false;
    return utf8_invalid_at(s, len) == len;
}

size_t utf8_chars(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i, n = 0;

    /* every byte that is not a continuation byte starts a character */
    for (i = 0; i < len; i++)
        if ((p[i] & 0xC0u) != 0x80u)
            n++;
    return n;
}

/* C0 controls, DEL and the C1 controls U+0080..U+009F. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

int rules_check_path(const char *path, size_t len, struct sync_err *err)
{
    const unsigned char *p = (const unsigned char *)path;
    size_t i, k, bad, chars = 0, seg = 1, seg_start = 0;
    uint32_t cp;

    if (len == 0 || !path)
        return sync_err_set(err, SYNC_EINVAL, "path is empty");
    if (len > SYNC_PATH_MAX_BYTES)
        return sync_err_set(err, SYNC_EINVAL, "path is longer than %d characters",
                            SYNC_PATH_MAX_CHARS);
    bad = utf8_invalid_at(path, len);
    if (bad != len)
        return sync_err_set(err, SYNC_EINVAL, "path is not valid UTF-8 (byte %zu)", bad);
    chars = utf8_chars(path, len);
    if (chars > SYNC_PATH_MAX_CHARS)
        return sync_err_set(err, SYNC_EINVAL, "path has %zu characters, at most %d are allowed",
                            chars, SYNC_PATH_MAX_CHARS);
    if (p[0] == '/')
        return sync_err_set(err, SYNC_EINVAL, "path starts with '/' (paths are relative)");
    if (p[len - 1] == '/')
        return sync_err_set(err, SYNC_EINVAL, "path ends with '/'");

    chars = 0;
    for (i = 0; i <= len; i += k) {
        if (i == len || p[i] == '/') {
            size_t n = i - seg_start;
            if (n == 0)
                return sync_err_set(err, SYNC_EINVAL, "path segment %zu is empty", seg);
            if (n == 1 && p[seg_start] == '.')
                return sync_err_set(err, SYNC_EINVAL, "path segment %zu is '.'", seg);
            if (n == 2 && p[seg_start] == '.' && p[seg_start + 1] == '.')
                return sync_err_set(err, SYNC_EINVAL, "path segment %zu is '..'", seg);
            if (i == len)
                break;
            seg++;
            seg_start = i + 1;
            k = 1;
            chars++;
            continue;
        }
        k = utf8_decode(p + i, len - i, &cp);   /* valid: checked above */
        chars++;
        if (is_control(cp))
            return sync_err_set(err, SYNC_EINVAL,
                                "path contains a control character (U+%04X) at character %zu",
                                (unsigned)cp, chars);
        if (cp < 0x80 && strchr("<>:\"|?*\\", (int)cp))
            return sync_err_set(err, SYNC_EINVAL,
                                "path contains the forbidden character '%c' at character %zu",
                                (char)cp, chars);
    }
    return SYNC_OK;
}

int rules_extension(const char *path, size_t len, char *out, size_t outsz)
{
    size_t start = 0, dot = 0, i, n;
    bool have_dot = false;

    if (outsz > 0)
        out[0] = '\0';
    if (!path)
        return 0;
    /* only the last segment counts */
    for (i = len; i > 0; i--) {
        if (path[i - 1] == '/') {
            start = i;
            break;
        }
    }
    for (i = len; i > start; i--) {
        if (path[i - 1] == '.') {
            dot = i - 1;
            have_dot = true;
            break;
        }
    }
    /* no dot, the name starts with its last dot (".gitignore"), or ends with one */
    if (!have_dot || dot == start || dot + 1 == len)
        return 0;
    n = len - dot - 1;
    /* never truncated: an extension longer than out is refused, not cut */
    if (n >= outsz || n > (size_t)INT32_MAX)
        return SYNC_ETOOBIG;
    for (i = 0; i < n; i++) {
        char c = path[dot + 1 + i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[n] = '\0';
    return (int)n;
}

/* DESIGN §4, in its order. */
static const char *const binary_exts[] = {
    "png", "jpg", "jpeg", "gif", "bmp", "webp", "ico", "svg", "tiff", "tif",
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
    "zip", "rar", "7z", "tar", "gz", "bz2", "xz",
    "mp3", "wav", "ogg", "flac", "aac", "wma", "m4a",
    "mp4", "avi", "mkv", "mov", "wmv", "flv", "webm",
    "exe", "dll", "so", "dylib", "bin",
    "ttf", "otf", "woff", "woff2", "eot",
    "db", "sqlite", "sqlite3",
    NULL,
};

bool rules_is_binary_ext(const char *ext, size_t len)
{
    size_t i, j;

    if (!ext || len == 0)
        return false;
    for (i = 0; binary_exts[i]; i++) {
        const char *b = binary_exts[i];
        if (strlen(b) != len)
            continue;
        for (j = 0; j < len; j++) {
            char c = ext[j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != b[j])
                break;
        }
        if (j == len)
            return true;
    }
    return false;
}

int rules_check_content(const char *s, size_t len, struct sync_err *err)
{
    size_t bad;

    if (len > SYNC_CONTENT_MAX)
        return sync_err_set(err, SYNC_ETOOBIG, "content is %zu bytes, at most %u are allowed",
                            len, SYNC_CONTENT_MAX);
    if (len == 0)
        return SYNC_OK;
    if (!s)
        return sync_err_set(err, SYNC_EINVAL, "content is missing");
    if (memchr(s, '\0', len))
        return sync_err_set(err, SYNC_EINVAL, "content contains a NUL character");
    bad = utf8_invalid_at(s, len);
    if (bad != len)
        return sync_err_set(err, SYNC_EINVAL, "content is not valid UTF-8 (byte %zu)", bad);
    return SYNC_OK;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool rules_is_uuid(const char *s, size_t len)
{
    size_t i;

    if (!s || len != SYNC_UUID_LEN)
        return false;
    for (i = 0; i < len; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!is_hex(s[i])) {
            return false;
        }
    }
    return true;
}

int rules_check_name(const char *s, size_t len, struct sync_err *err)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i, k, chars = 0, bad;
    uint32_t cp;

    if (len == 0 || !s)
        return sync_err_set(err, SYNC_EINVAL, "name is empty");
    bad = utf8_invalid_at(s, len);
    if (bad != len)
        return sync_err_set(err, SYNC_EINVAL, "name is not valid UTF-8 (byte %zu)", bad);
    if (utf8_chars(s, len) > SYNC_NAME_MAX_CHARS)
        return sync_err_set(err, SYNC_EINVAL, "name has more than %d characters",
                            SYNC_NAME_MAX_CHARS);
    for (i = 0; i < len; i += k) {
        k = utf8_decode(p + i, len - i, &cp);
        chars++;
        if (is_control(cp))
            return sync_err_set(err, SYNC_EINVAL,
                                "name contains a control character (U+%04X) at character %zu",
                                (unsigned)cp, chars);
    }
    return SYNC_OK;
}
