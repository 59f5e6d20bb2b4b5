/* test_rules.c - DESIGN §4 rules: UTF-8, paths, extensions, the binary list,
 * content, UUIDs and names. One case per line; a failure prints its input. */
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "limits.h"
#include "rules.h"

/* Prints s[0..len) C-escaped (at most 80 bytes shown) for failure reports. */
static void show(const char *s, size_t len)
{
    size_t i, n = len > 80 ? 80 : len;

    fputc('"', stderr);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputc('"', stderr);
    if (n < len)
        fprintf(stderr, "... (%zu bytes)", len);
}

/* ---- UTF-8 ------------------------------------------------------------- */

static void check_utf8(int line, const char *s, size_t len, bool want)
{
    bool got = utf8_valid(s, len);
    if (got != want) {
        fprintf(stderr, "\n  line %d: utf8_valid(", line);
        show(s, len);
        fprintf(stderr, ") = %d, want %d\n", got, want);
    }
    CU_ASSERT_EQUAL(got, want);
}
#define UTF8_OK(s)  check_utf8(__LINE__, s, sizeof(s) - 1, true)
#define UTF8_BAD(s) check_utf8(__LINE__, s, sizeof(s) - 1, false)

static void test_utf8_valid(void)
{
    UTF8_OK("");
    UTF8_OK("plain ascii");
    UTF8_OK("\x7f");                    /* U+007F */
    UTF8_OK("\xc2\x80");                /* U+0080, shortest 2-byte */
    UTF8_OK("\xdf\xbf");                /* U+07FF */
    UTF8_OK("\xe0\xa0\x80");            /* U+0800, shortest 3-byte */
    UTF8_OK("\xed\x9f\xbf");            /* U+D7FF, just below the surrogates */
    UTF8_OK("\xee\x80\x80");            /* U+E000, just above */
    UTF8_OK("\xef\xbf\xbf");            /* U+FFFF */
    UTF8_OK("\xf0\x90\x80\x80");        /* U+10000, shortest 4-byte */
    UTF8_OK("\xf4\x8f\xbf\xbf");        /* U+10FFFF, the last code point */
    UTF8_OK("\xe2\x80\xa8");            /* U+2028 */
    UTF8_OK("caf\xc3\xa9 \xf0\x9f\x98\x80");
    UTF8_BAD("\xc0\xaf");               /* overlong '/' */
    UTF8_BAD("\xc0\x80");               /* overlong NUL */
    UTF8_BAD("\xc1\xbf");               /* overlong 2-byte */
    UTF8_BAD("\xe0\x80\xaf");           /* overlong 3-byte '/' */
    UTF8_BAD("\xe0\x9f\xbf");           /* overlong U+07FF */
    UTF8_BAD("\xf0\x80\x80\xaf");       /* overlong 4-byte '/' */
    UTF8_BAD("\xf0\x8f\xbf\xbf");       /* overlong U+FFFF */
    UTF8_BAD("\xed\xa0\x80");           /* U+D800 surrogate */
    UTF8_BAD("\xed\xbf\xbf");           /* U+DFFF surrogate */
    UTF8_BAD("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 surrogate pair */
    UTF8_BAD("\xf4\x90\x80\x80");       /* U+110000 */
    UTF8_BAD("\xf5\x80\x80\x80");       /* F5 lead */
    UTF8_BAD("\xf8\x88\x80\x80\x80");   /* 5-byte form */
    UTF8_BAD("\xfe");
    UTF8_BAD("\xff");
    UTF8_BAD("\x80");                   /* stray continuation */
    UTF8_BAD("a\xbf");
    UTF8_BAD("\xc3");                   /* truncated 2-byte */
    UTF8_BAD("\xe2\x82");               /* truncated 3-byte */
    UTF8_BAD("\xf0\x9f\x98");           /* truncated 4-byte */
    UTF8_BAD("\xe2\x82x");              /* continuation replaced by ASCII */
    UTF8_BAD("\xc3\xa9\xc3");           /* valid then truncated */
}

/* An invalid byte at every offset of a long ASCII run (the 8-byte fast path). */
static void test_utf8_fast_path(void)
{
    char s[64];
    size_t i;

    memset(s, 'a', sizeof(s));
    CU_ASSERT_TRUE(utf8_valid(s, sizeof(s)));
    for (i = 0; i < sizeof(s); i++) {
        s[i] = (char)0xff;
        if (utf8_valid(s, sizeof(s)))
            fprintf(stderr, "\n  0xff at offset %zu passed\n", i);
        CU_ASSERT_FALSE(utf8_valid(s, sizeof(s)));
        s[i] = (char)0xc3;              /* a lead byte followed by 'a' */
        CU_ASSERT_FALSE(utf8_valid(s, sizeof(s)));
        s[i] = 'a';
    }
    /* the length is respected: a bad byte just past len is not looked at */
    s[10] = (char)0xff;
    CU_ASSERT_TRUE(utf8_valid(s, 10));
    CU_ASSERT_FALSE(utf8_valid(s, 11));
}

static void check_chars(int line, const char *s, size_t len, size_t want)
{
    size_t got = utf8_chars(s, len);
    if (got != want) {
        fprintf(stderr, "\n  line %d: utf8_chars(", line);
        show(s, len);
        fprintf(stderr, ") = %zu, want %zu\n", got, want);
    }
    CU_ASSERT_EQUAL(got, want);
}
#define CHARS(s, n) check_chars(__LINE__, s, sizeof(s) - 1, n)

static void test_utf8_chars(void)
{
    CHARS("", 0);
    CHARS("abc", 3);
    CHARS("\xc3\xa9", 1);
    CHARS("\xe6\x97\xa5\xe6\x9c\xac", 2);
    CHARS("\xf0\x9f\x98\x80", 1);
    CHARS("a\xc3\xa9/\xf0\x9f\x98\x80.md", 7);
}

/* ---- paths ------------------------------------------------------------- */

/* want_msg: a substring the error message must contain (NULL: not checked). */
static void check_path(int line, const char *p, size_t len, int want_rc, const char *want_msg)
{
    struct sync_err err = { 0 };
    int rc = rules_check_path(p, len, &err);
    int msg_ok = rc == SYNC_OK || !want_msg || strstr(err.msg, want_msg) != NULL;

    if (rc != want_rc || !msg_ok) {
        fprintf(stderr, "\n  line %d: rules_check_path(", line);
        show(p, len);
        fprintf(stderr, ") = %d \"%s\", want %d \"%s\"\n", rc, rc ? err.msg : "",
                want_rc, want_msg ? want_msg : "");
    }
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_TRUE(msg_ok);
    if (rc != SYNC_OK)
        CU_ASSERT_EQUAL(err.rc, rc);
}
#define PATH_OK(s)       check_path(__LINE__, s, sizeof(s) - 1, SYNC_OK, NULL)
#define PATH_BAD(s, msg) check_path(__LINE__, s, sizeof(s) - 1, SYNC_EINVAL, msg)

static void test_path_ok(void)
{
    PATH_OK("a");
    PATH_OK("note.md");
    PATH_OK("folder/sub/note.md");
    PATH_OK(".obsidian/app.json");
    PATH_OK(".gitignore");
    PATH_OK(".env.local");
    PATH_OK("a/.hidden/b");
    PATH_OK("...");                     /* three dots is a name */
    PATH_OK("a/.../b");
    PATH_OK("..a");
    PATH_OK("a..");
    PATH_OK("a..b/c");
    PATH_OK("with space/and-dash_under.md");
    PATH_OK("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.md");
    PATH_OK("\xf0\x9f\x98\x80 emoji.md");
    PATH_OK("nbsp\xc2\xa0ok");          /* U+00A0 is not a C1 control */
    PATH_OK("tilde~hash#percent%amp&plus+eq=");
}

static void test_path_structure(void)
{
    PATH_BAD("", "path is empty");
    PATH_BAD("/", "starts with '/'");
    PATH_BAD("/abs", "starts with '/'");
    PATH_BAD("/abs/note.md", "starts with '/'");
    PATH_BAD("a/", "ends with '/'");
    PATH_BAD("a/b/", "ends with '/'");
    PATH_BAD("a//b", "path segment 2 is empty");
    PATH_BAD("a/b//c", "path segment 3 is empty");
    PATH_BAD(".", "path segment 1 is '.'");
    PATH_BAD("./a", "path segment 1 is '.'");
    PATH_BAD("a/./b", "path segment 2 is '.'");
    PATH_BAD("a/.", "path segment 2 is '.'");
    PATH_BAD("..", "path segment 1 is '..'");
    PATH_BAD("../a", "path segment 1 is '..'");
    PATH_BAD("a/../b", "path segment 2 is '..'");
    PATH_BAD("a/b/..", "path segment 3 is '..'");
    PATH_BAD("../../etc/passwd", "path segment 1 is '..'");
}

static void test_path_control(void)
{
    PATH_BAD("\x01", "control character (U+0001)");
    PATH_BAD("a\x01" "b", "control character (U+0001) at character 2");
    PATH_BAD("a\tb", "control character (U+0009)");
    PATH_BAD("a\nb", "control character (U+000A)");
    PATH_BAD("a\rb", "control character (U+000D)");
    PATH_BAD("a\x1f", "control character (U+001F)");
    PATH_BAD("a\x7f", "control character (U+007F)");
    PATH_BAD("a\0b", "control character (U+0000)");
    PATH_BAD("a\xc2\x80" "b", "control character (U+0080)");
    PATH_BAD("a\xc2\x85" "b", "control character (U+0085)");
    PATH_BAD("dir/\xc2\x9f", "control character (U+009F) at character 5");
}

static void test_path_forbidden(void)
{
    PATH_BAD("a<b", "forbidden character '<'");
    PATH_BAD("a>b", "forbidden character '>'");
    PATH_BAD("c:/x", "forbidden character ':'");
    PATH_BAD("a\"b", "forbidden character '\"'");
    PATH_BAD("a|b", "forbidden character '|'");
    PATH_BAD("a?b", "forbidden character '?'");
    PATH_BAD("a*b", "forbidden character '*'");
    PATH_BAD("a\\b", "forbidden character '\\'");
    PATH_BAD("..\\windows", "forbidden character '\\' at character 3");
    PATH_BAD("dir/what?.md", "forbidden character '?' at character 9");
}

static void test_path_utf8(void)
{
    PATH_BAD("\xc0\xaf", "not valid UTF-8 (byte 0)");           /* overlong '/' */
    PATH_BAD("a/\xc0\xae\xc0\xae/b", "not valid UTF-8 (byte 2)"); /* overlong ".." */
    PATH_BAD("a\xed\xa0\x80", "not valid UTF-8 (byte 1)");      /* surrogate */
    PATH_BAD("\xf5\x80\x80\x80", "not valid UTF-8");
    PATH_BAD("\xf4\x90\x80\x80", "not valid UTF-8");
    PATH_BAD("ab\xe2\x82", "not valid UTF-8 (byte 2)");         /* truncated */
    PATH_BAD("\xff.md", "not valid UTF-8");
    PATH_BAD("\x80", "not valid UTF-8");
}

/* n copies of unit (ulen bytes) + tail; caller frees. */
static char *repeat(const char *unit, size_t ulen, size_t n, const char *tail, size_t *len)
{
    size_t tl = strlen(tail), i;
    char *s = malloc(ulen * n + tl + 1);

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    for (i = 0; i < n; i++)
        memcpy(s + i * ulen, unit, ulen);
    memcpy(s + ulen * n, tail, tl + 1);
    *len = ulen * n + tl;
    return s;
}

static void check_path_repeat(int line, const char *unit, size_t n, const char *tail, int want_rc,
                              const char *want_msg)
{
    size_t len;
    char *s = repeat(unit, strlen(unit), n, tail, &len);

    check_path(line, s, len, want_rc, want_msg);
    free(s);
}

static void test_path_length(void)
{
    check_path_repeat(__LINE__, "a", 1000, "", SYNC_OK, NULL);
    check_path_repeat(__LINE__, "a", 1001, "", SYNC_EINVAL, "1001 characters, at most 1000");
    check_path_repeat(__LINE__, "a", 999, "/", SYNC_EINVAL, "ends with '/'");
    check_path_repeat(__LINE__, "ab/", 333, "c", SYNC_OK, NULL);               /* 1000 */
    check_path_repeat(__LINE__, "ab/", 333, "cd", SYNC_EINVAL, "1001 characters");
    check_path_repeat(__LINE__, "\xc3\xa9", 1000, "", SYNC_OK, NULL);          /* 2000 bytes */
    check_path_repeat(__LINE__, "\xc3\xa9", 1001, "", SYNC_EINVAL, "1001 characters");
    check_path_repeat(__LINE__, "\xe6\x97\xa5", 1000, "", SYNC_OK, NULL);      /* 3000 bytes */
    check_path_repeat(__LINE__, "\xf0\x9f\x98\x80", 1000, "", SYNC_OK, NULL);  /* 4000 bytes */
    check_path_repeat(__LINE__, "\xf0\x9f\x98\x80", 999, "ab", SYNC_EINVAL, "1001 characters");
    check_path_repeat(__LINE__, "\xf0\x9f\x98\x80", 1001, "", SYNC_EINVAL, "longer than 1000");
    check_path_repeat(__LINE__, "\xc3\xa9", 999, "a", SYNC_OK, NULL);
    check_path_repeat(__LINE__, "\xc3\xa9", 999, "ab", SYNC_EINVAL, "1001 characters");
}

/* ---- extensions and the binary list ------------------------------------ */

static void check_ext(int line, const char *path, const char *want)
{
    char out[SYNC_EXT_MAX + 1];
    int n = rules_extension(path, strlen(path), out, sizeof(out));
    int ok = want ? (n == (int)strlen(want) && strcmp(out, want) == 0)
                  : (n == 0 && out[0] == '\0');

    if (!ok)
        fprintf(stderr, "\n  line %d: rules_extension(\"%s\") = %d \"%s\", want %s\n", line, path,
                n, n > 0 ? out : "", want ? want : "none");
    CU_ASSERT_TRUE(ok);
}
#define EXT(p, want) check_ext(__LINE__, p, want)

static void test_extension(void)
{
    EXT("note.md", "md");
    EXT("PHOTO.JPG", "jpg");
    EXT("x.Md", "md");
    EXT(".env.local", "local");
    EXT(".gitignore", NULL);
    EXT("a.", NULL);
    EXT("a/b.", NULL);
    EXT("dir.d/file", NULL);
    EXT("a/b.c.d", "d");
    EXT("archive.tar.gz", "gz");
    EXT("noext", NULL);
    EXT("dir/.hidden", NULL);
    EXT("dir/.hidden.TXT", "txt");
    EXT("..foo", "foo");
    EXT("a..b", "b");
    EXT("a.b/c.", NULL);
    EXT("a.b/.c", NULL);
    EXT(".", NULL);
    EXT("", NULL);
    EXT("\xe6\x97\xa5\xe6\x9c\xac.MD", "md");
    EXT("a.\xc3\x89t\xc3\xa9", "\xc3\x89t\xc3\xa9");   /* only ASCII is lower-cased */
    EXT("Makefile.IN", "in");
    EXT("a.7Z", "7z");
}

static void test_extension_bounds(void)
{
    char out[8];
    char big[SYNC_PATH_MAX_BYTES + 1];
    size_t len;
    char *p;

    CU_ASSERT_EQUAL(rules_extension("a.abcdefg", 9, out, sizeof(out)), 7);   /* fits exactly */
    CU_ASSERT_STRING_EQUAL(out, "abcdefg");
    CU_ASSERT_EQUAL(rules_extension("a.abcdefgh", 10, out, sizeof(out)), SYNC_ETOOBIG);
    CU_ASSERT_EQUAL(rules_extension("a.md", 4, out, 0), SYNC_ETOOBIG);
    /* the length is respected: "a.md" seen as "a." */
    CU_ASSERT_EQUAL(rules_extension("a.md", 2, out, sizeof(out)), 0);
    CU_ASSERT_EQUAL(rules_extension("a.md", 3, out, sizeof(out)), 1);
    CU_ASSERT_STRING_EQUAL(out, "m");
    /* the longest possible extension fits a SYNC_PATH_MAX_BYTES + 1 buffer */
    p = repeat("X", 1, 998, "", &len);
    p[0] = 'a';
    p[1] = '.';
    CU_ASSERT_EQUAL(rules_extension(p, len, big, sizeof(big)), 996);
    CU_ASSERT_EQUAL(big[0], 'x');
    CU_ASSERT_EQUAL(strlen(big), 996);
    free(p);
}

static void check_bin(int line, const char *ext, bool want)
{
    bool got = rules_is_binary_ext(ext, strlen(ext));
    if (got != want)
        fprintf(stderr, "\n  line %d: rules_is_binary_ext(\"%s\") = %d, want %d\n", line, ext, got,
                want);
    CU_ASSERT_EQUAL(got, want);
}
#define BIN(e)    check_bin(__LINE__, e, true)
#define NOTBIN(e) check_bin(__LINE__, e, false)

static void test_binary_list(void)
{
    /* DESIGN §4, every entry */
    static const char *const all[] = {
        "png", "jpg", "jpeg", "gif", "bmp", "webp", "ico", "svg", "tiff", "tif", "pdf", "doc",
        "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "zip", "rar", "7z", "tar",
        "gz", "bz2", "xz", "mp3", "wav", "ogg", "flac", "aac", "wma", "m4a", "mp4", "avi",
        "mkv", "mov", "wmv", "flv", "webm", "exe", "dll", "so", "dylib", "bin", "ttf", "otf",
        "woff", "woff2", "eot", "db", "sqlite", "sqlite3", NULL,
    };
    size_t i;

    for (i = 0; all[i]; i++)
        check_bin(__LINE__, all[i], true);
    CU_ASSERT_EQUAL(i, 54);
}

static void test_binary_spot(void)
{
    BIN("png");
    BIN("PNG");
    BIN("Jpg");
    BIN("sqlite3");
    BIN("woff2");
    BIN("7z");
    NOTBIN("md");
    NOTBIN("txt");
    NOTBIN("json");
    NOTBIN("canvas");
    NOTBIN("css");
    NOTBIN("html");
    NOTBIN("");
    NOTBIN("pn");
    NOTBIN("pngx");
    NOTBIN("sqlite4");
    NOTBIN("tar.gz");
    NOTBIN("s");
    CU_ASSERT_TRUE(rules_is_binary_ext("pngx", 3));     /* length respected: "png" */
    CU_ASSERT_FALSE(rules_is_binary_ext(NULL, 0));
}

static void test_extension_then_binary(void)
{
    char out[SYNC_EXT_MAX + 1];
    int n;

    n = rules_extension("Pictures/IMG_0001.PNG", 21, out, sizeof(out));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_TRUE(rules_is_binary_ext(out, (size_t)n));
    n = rules_extension("notes/today.md", 14, out, sizeof(out));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_FALSE(rules_is_binary_ext(out, (size_t)n));
}

/* ---- content ----------------------------------------------------------- */

static void check_content(int line, const char *s, size_t len, int want_rc, const char *want_msg)
{
    struct sync_err err = { 0 };
    int rc = rules_check_content(s, len, &err);
    int msg_ok = rc == SYNC_OK || !want_msg || strstr(err.msg, want_msg) != NULL;

    if (rc != want_rc || !msg_ok) {
        fprintf(stderr, "\n  line %d: rules_check_content(", line);
        show(s, len);
        fprintf(stderr, ") = %d \"%s\", want %d \"%s\"\n", rc, rc ? err.msg : "", want_rc,
                want_msg ? want_msg : "");
    }
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_TRUE(msg_ok);
}
#define CONTENT(s, rc, msg) check_content(__LINE__, s, sizeof(s) - 1, rc, msg)

static void test_content_small(void)
{
    struct sync_err err = { 0 };

    CONTENT("", SYNC_OK, NULL);
    CONTENT("# Title\n\nbody with \"quotes\" and \\ and \t tabs\r\n", SYNC_OK, NULL);
    CONTENT("\xe2\x80\xa8 \xf0\x9f\x98\x80 \xc2\x85", SYNC_OK, NULL);   /* U+2028, emoji, NEL */
    CONTENT("\x01\x7f", SYNC_OK, NULL);                     /* controls are fine in content */
    CONTENT("a\0b", SYNC_EINVAL, "content contains a NUL character");
    CONTENT("\0", SYNC_EINVAL, "content contains a NUL character");
    CONTENT("ok\xff", SYNC_EINVAL, "not valid UTF-8 (byte 2)");
    CONTENT("\xed\xa0\x80", SYNC_EINVAL, "not valid UTF-8");
    CONTENT("\xc0\xaf", SYNC_EINVAL, "not valid UTF-8");
    CONTENT("trunc\xe2\x82", SYNC_EINVAL, "not valid UTF-8 (byte 5)");
    /* exact message of the NUL refusal */
    CU_ASSERT_EQUAL(rules_check_content("x\0", 2, &err), SYNC_EINVAL);
    CU_ASSERT_STRING_EQUAL(err.msg, "content contains a NUL character");
}

static void test_content_size(void)
{
    size_t max = SYNC_CONTENT_MAX;
    char *s = malloc(max + 2);
    size_t i;

    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(max, 10485760u);
    memset(s, 'x', max + 1);
    check_content(__LINE__, s, max, SYNC_OK, NULL);
    check_content(__LINE__, s, max + 1, SYNC_ETOOBIG, "10485761 bytes, at most 10485760");
    s[5] = '\0';
    check_content(__LINE__, s, max + 1, SYNC_ETOOBIG, NULL);     /* size first */
    check_content(__LINE__, s, max, SYNC_EINVAL, "NUL");
    /* 10 MiB of two-byte characters */
    for (i = 0; i + 1 < max; i += 2) {
        s[i] = (char)0xc3;
        s[i + 1] = (char)0xa9;
    }
    check_content(__LINE__, s, max, SYNC_OK, NULL);
    check_content(__LINE__, s, max - 1, SYNC_EINVAL, "not valid UTF-8 (byte 10485758)");
    free(s);
}

/* ---- UUIDs and names --------------------------------------------------- */

static void check_uuid(int line, const char *s, bool want)
{
    bool got = rules_is_uuid(s, strlen(s));
    if (got != want)
        fprintf(stderr, "\n  line %d: rules_is_uuid(\"%s\") = %d\n", line, s, got);
    CU_ASSERT_EQUAL(got, want);
}
#define UUID_OK(s)  check_uuid(__LINE__, s, true)
#define UUID_BAD(s) check_uuid(__LINE__, s, false)

static void test_uuid(void)
{
    UUID_OK("123e4567-e89b-12d3-a456-426614174000");
    UUID_OK("00000000-0000-0000-0000-000000000000");
    UUID_OK("ABCDEF01-2345-6789-ABCD-EF0123456789");
    UUID_OK("abcdef01-2345-6789-AbCd-ef0123456789");
    UUID_BAD("");
    UUID_BAD("123e4567e89b12d3a456426614174000");
    UUID_BAD("123e4567-e89b-12d3-a456-42661417400");
    UUID_BAD("123e4567-e89b-12d3-a456-4266141740000");
    UUID_BAD("{23e4567-e89b-12d3-a456-42661417400}");
    UUID_BAD("123e4567-e89b-12d3-a456_426614174000");
    UUID_BAD("123e4567-e89b-12d3-a4564-26614174000");
    UUID_BAD("g23e4567-e89b-12d3-a456-426614174000");
    UUID_BAD("123e4567-e89b-12d3-a456-42661417400 ");
    UUID_BAD("1");
    UUID_BAD("../../../../../../../../etc/passwd00");
}

static void check_name(int line, const char *s, size_t len, int want_rc, const char *want_msg)
{
    struct sync_err err = { 0 };
    int rc = rules_check_name(s, len, &err);
    int msg_ok = rc == SYNC_OK || !want_msg || strstr(err.msg, want_msg) != NULL;

    if (rc != want_rc || !msg_ok) {
        fprintf(stderr, "\n  line %d: rules_check_name(", line);
        show(s, len);
        fprintf(stderr, ") = %d \"%s\"\n", rc, rc ? err.msg : "");
    }
    CU_ASSERT_EQUAL(rc, want_rc);
    CU_ASSERT_TRUE(msg_ok);
}
#define NAME(s, rc, msg) check_name(__LINE__, s, sizeof(s) - 1, rc, msg)

static void test_name(void)
{
    size_t len;
    char *s;

    NAME("My Vault", SYNC_OK, NULL);
    NAME("caf\xc3\xa9 \xf0\x9f\x98\x80", SYNC_OK, NULL);
    NAME("a/b:c", SYNC_OK, NULL);                       /* names are not paths */
    NAME("", SYNC_EINVAL, "name is empty");
    NAME("a\x01", SYNC_EINVAL, "control character (U+0001)");
    NAME("tab\there", SYNC_EINVAL, "control character (U+0009)");
    NAME("nel\xc2\x85", SYNC_EINVAL, "control character (U+0085)");
    NAME("del\x7f", SYNC_EINVAL, "control character (U+007F)");
    NAME("bad\xff", SYNC_EINVAL, "not valid UTF-8");
    s = repeat("n", 1, 255, "", &len);
    check_name(__LINE__, s, len, SYNC_OK, NULL);
    free(s);
    s = repeat("n", 1, 256, "", &len);
    check_name(__LINE__, s, len, SYNC_EINVAL, "more than 255 characters");
    free(s);
    s = repeat("\xc3\xa9", 2, 255, "", &len);
    check_name(__LINE__, s, len, SYNC_OK, NULL);
    free(s);
    s = repeat("\xc3\xa9", 2, 256, "", &len);
    check_name(__LINE__, s, len, SYNC_EINVAL, "more than 255 characters");
    free(s);
}

static CU_TestInfo utf8_tests[] = {
    { "utf8_valid boundaries and invalid forms", test_utf8_valid },
    { "utf8_valid fast path and length", test_utf8_fast_path },
    { "utf8_chars", test_utf8_chars },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo path_tests[] = {
    { "valid paths incl. dotfiles", test_path_ok },
    { "leading/trailing slash, empty, . and .. segments", test_path_structure },
    { "control characters C0, DEL, C1", test_path_control },
    { "forbidden characters", test_path_forbidden },
    { "invalid UTF-8", test_path_utf8 },
    { "1000 characters, multibyte counted once", test_path_length },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo ext_tests[] = {
    { "extension edge cases", test_extension },
    { "extension buffer bounds", test_extension_bounds },
    { "binary list: every entry", test_binary_list },
    { "binary list: spot checks and case", test_binary_spot },
    { "extension then binary", test_extension_then_binary },
    CU_TEST_INFO_NULL,
};

static CU_TestInfo content_tests[] = {
    { "content: NUL, UTF-8, odd characters", test_content_small },
    { "content: 10 MiB ceiling", test_content_size },
    { "uuid form", test_uuid },
    { "store and key names", test_name },
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    { "utf8", NULL, NULL, NULL, NULL, utf8_tests },
    { "path", NULL, NULL, NULL, NULL, path_tests },
    { "extension", NULL, NULL, NULL, NULL, ext_tests },
    { "content", NULL, NULL, NULL, NULL, content_tests },
    CU_SUITE_INFO_NULL,
};

int main(void)
{
    return cutest_run(suites);
}
