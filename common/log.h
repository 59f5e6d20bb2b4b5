/* log.h - levelled one-line logging to stderr. Never log a full API key:
 * pass it through log_key() which keeps only its prefix. */
#ifndef SYNC_LOG_H
#define SYNC_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

/* "debug|info|warn|error" (any case; "warning" too) -> level; -1 when unknown. */
int log_level_parse(const char *s);
void log_set_level(int level);
void log_set_name(const char *program);   /* basename shown in every line; call at start */
int log_enabled(int level);

/* One line on stderr, one write(): "2024-01-15T10:00:00.000Z INFO program:
 * message". In the message a newline becomes the two characters \n, other
 * control bytes and invalid UTF-8 become \xNN and C1 controls \u00NN, so a
 * line stays a line. Long messages are cut with "...". Thread-safe; errno is
 * preserved. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Writes a loggable form of a key into out: its first 16 characters + "..."
 * (12 for anything that does not start with "sk_"; half of it when shorter,
 * so nothing is ever shown whole; non-printable bytes as '?'; "(none)" for
 * an empty key). Returns out. */
const char *log_key(const char *key, size_t len, char out[24]);

#endif
