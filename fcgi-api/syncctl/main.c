/* syncctl - the operator's command line: migrations, stores, keys, purge.
 * Calls the common/ services directly (no HTTP). Every failure is one line on
 * stderr and a non-zero exit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "keys.h"
#include "log.h"
#include "migrate.h"
#include "svc.h"

#define EXIT_USAGE 2

struct cmd {
    const char *group;      /* "store", "key" or NULL for a top-level verb */
    const char *verb;
    const char *usage;
    const char *help;
    int (*run)(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv);
    int need_db;
};

static int fail(const struct sync_err *err)
{
    fprintf(stderr, "syncctl: %s (%s)\n", err->msg, sync_rc_code(err->rc));
    return 1;
}

static int usage_error(const char *usage, const char *what)
{
    fprintf(stderr, "syncctl: %s\nusage: syncctl %s\n", what, usage);
    return EXIT_USAGE;
}

static void on_apply(const char *version)
{
    fprintf(stderr, "applying %s\n", version);
}

static int run_migrate(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };
    int applied, total;

    (void)cfg;
    if (argc != 0)
        return usage_error("migrate", "migrate takes no arguments");
    if (migrate_apply(db, &applied, on_apply, &err) != SYNC_OK)
        return fail(&err);
    if (migrate_status(db, &total, &err) != SYNC_OK)
        return fail(&err);
    printf("%d applied, %d in all, schema up to date\n", applied, total);
    return 0;
}

static int run_store_create(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };
    struct sync_store s;

    (void)cfg;
    if (argc != 1)
        return usage_error("store create NAME", "store create needs exactly one NAME");
    if (svc_store_create(db, argv[0], strlen(argv[0]), &s, &err) != SYNC_OK)
        return fail(&err);
    printf("%s\n", s.id);
    fprintf(stderr, "store \"%s\" created\n", s.name);
    sync_store_clear(&s);
    return 0;
}

static int run_store_list(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };
    struct sync_store *a;
    size_t n;

    (void)cfg;
    (void)argv;
    if (argc != 0)
        return usage_error("store list", "store list takes no arguments");
    if (svc_store_list(db, &a, &n, &err) != SYNC_OK)
        return fail(&err);
    printf("%-36s  %8s  %12s  %-24s  %s\n", "ID", "FILES", "BYTES", "CREATED", "NAME");
    for (size_t i = 0; i < n; i++)
        printf("%-36s  %8lld  %12lld  %-24s  %s\n", a[i].id, a[i].file_count, a[i].total_size,
               a[i].created_at, a[i].name);
    sync_store_array_free(a, n);
    return 0;
}

static int run_store_delete(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };

    (void)cfg;
    if (argc != 1)
        return usage_error("store delete ID", "store delete needs exactly one ID");
    if (svc_store_delete(db, argv[0], &err) != SYNC_OK)
        return fail(&err);
    fprintf(stderr, "store %s deleted with its keys, files and changes\n", argv[0]);
    return 0;
}

static int run_key_create(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    static const char usage[] = "key create STORE_ID --name NAME --perm read,write,...";
    struct sync_err err = { 0 };
    const char *store = NULL, *name = NULL, *perm = NULL;
    char key[SYNC_KEY_MAX + 1];
    struct sync_key k;
    unsigned perms;

    (void)cfg;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--perm") == 0 && i + 1 < argc)
            perm = argv[++i];
        else if (argv[i][0] != '-' && !store)
            store = argv[i];
        else
            return usage_error(usage, "unexpected argument");
    }
    if (!store || !name || !perm)
        return usage_error(usage, "key create needs STORE_ID, --name and --perm");
    if (perm_parse_list(perm, strlen(perm), &perms, &err) != SYNC_OK)
        return fail(&err);
    if (svc_key_create(db, store, name, strlen(name), perms, &k, key, &err) != SYNC_OK)
        return fail(&err);
    printf("%s\n", key);
    fprintf(stderr, "key %s (\"%s\") created for store %s; it is shown only this once\n", k.id,
            k.name, k.store_id);
    sync_key_clear(&k);
    return 0;
}

static void perm_names(unsigned perms, char *out, size_t size)
{
    static const char *const names[] = { "read", "write", "settings_read", "settings_write" };
    size_t len = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < 4; i++) {
        if (!(perms & (1u << i)))
            continue;
        int n = snprintf(out + len, size - len, "%s%s", len ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
}

static int run_key_list(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };
    struct sync_key *a;
    size_t n;
    char perms[80];

    (void)cfg;
    if (argc != 1)
        return usage_error("key list STORE_ID", "key list needs exactly one STORE_ID");
    if (svc_key_list(db, argv[0], &a, &n, &err) != SYNC_OK)
        return fail(&err);
    printf("%-36s  %-16s  %-24s  %-24s  %-40s  %s\n", "ID", "PREFIX", "LAST USED", "REVOKED",
           "PERMISSIONS", "NAME");
    for (size_t i = 0; i < n; i++) {
        perm_names(a[i].perms, perms, sizeof perms);
        printf("%-36s  %-16s  %-24s  %-24s  %-40s  %s\n", a[i].id, a[i].prefix,
               a[i].last_used_at[0] ? a[i].last_used_at : "-",
               a[i].revoked_at[0] ? a[i].revoked_at : "-", perms, a[i].name);
    }
    sync_key_array_free(a, n);
    return 0;
}

static int run_key_revoke(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };

    (void)cfg;
    if (argc != 2)
        return usage_error("key revoke STORE_ID KEY_ID", "key revoke needs STORE_ID and KEY_ID");
    if (svc_key_revoke(db, argv[0], argv[1], &err) != SYNC_OK)
        return fail(&err);
    fprintf(stderr, "key %s revoked\n", argv[1]);
    return 0;
}

static int run_purge(struct sync_db *db, const struct sync_config *cfg, int argc, char **argv)
{
    struct sync_err err = { 0 };
    long long files, changes;
    int days = cfg->tombstone_days;

    if (argc == 2 && strcmp(argv[0], "--days") == 0) {
        char *end;
        long v = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || v < 1 || v > 3650)
            return usage_error("purge [--days N]", "--days must be 1..3650");
        days = (int)v;
    } else if (argc != 0) {
        return usage_error("purge [--days N]", "unexpected argument");
    }
    if (svc_purge(db, days, &files, &changes, &err) != SYNC_OK)
        return fail(&err);
    printf("purged %lld expired tombstones and %lld changes older than %d days\n", files,
           changes, days);
    return 0;
}

static const struct cmd cmds[] = {
    { NULL, "migrate", "migrate",
      "Apply the schema migrations not yet applied, each in one transaction. "
      "Running it again is a no-op.", run_migrate, 1 },
    { "store", "create", "store create NAME",
      "Create a store (one vault); prints its id.", run_store_create, 1 },
    { "store", "list", "store list", "List stores with their live file count and size.",
      run_store_list, 1 },
    { "store", "delete", "store delete ID",
      "Delete a store with its keys, files and changes; its live sockets are closed.",
      run_store_delete, 1 },
    { "key", "create", "key create STORE_ID --name NAME --perm read,write,settings_read,settings_write",
      "Create an API key for a store; prints the key, which is shown only this once.",
      run_key_create, 1 },
    { "key", "list", "key list STORE_ID", "List a store's keys (never the keys themselves).",
      run_key_list, 1 },
    { "key", "revoke", "key revoke STORE_ID KEY_ID",
      "Revoke a key: it stops working at once and its live sockets are closed.",
      run_key_revoke, 1 },
    { NULL, "purge", "purge [--days N]",
      "Delete tombstones past their expiry and changes older than N days "
      "(SYNC_TOMBSTONE_DAYS, 30 by default).", run_purge, 1 },
};
#define NCMDS (sizeof cmds / sizeof cmds[0])

static void print_help(FILE *f)
{
    fprintf(f, "usage: syncctl COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(f, "  %s\n      %s\n", cmds[i].usage, cmds[i].help);
    fprintf(f, "\nenvironment: DATABASE_URL (required), SYNC_TOMBSTONE_DAYS, LOG_LEVEL\n"
               "'syncctl COMMAND --help' shows one command.\n");
}

static int is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0 || strcmp(s, "help") == 0;
}

int main(int argc, char **argv)
{
    const struct cmd *c = NULL;
    struct sync_config cfg;
    struct sync_err err = { 0 };
    struct sync_db *db = NULL;
    int first, rc;

    log_set_name("syncctl");
    if (argc < 2 || is_help(argv[1])) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    for (size_t i = 0; i < NCMDS && !c; i++) {
        if (!cmds[i].group && strcmp(argv[1], cmds[i].verb) == 0)
            c = &cmds[i];
        else if (cmds[i].group && strcmp(argv[1], cmds[i].group) == 0 && argc >= 3 &&
                 strcmp(argv[2], cmds[i].verb) == 0)
            c = &cmds[i];
    }
    if (!c) {
        int group_known = 0;
        for (size_t i = 0; i < NCMDS; i++)
            group_known |= cmds[i].group && strcmp(argv[1], cmds[i].group) == 0;
        if (group_known && (argc < 3 || is_help(argv[2]))) {
            for (size_t i = 0; i < NCMDS; i++)
                if (cmds[i].group && strcmp(argv[1], cmds[i].group) == 0)
                    printf("usage: syncctl %s\n    %s\n", cmds[i].usage, cmds[i].help);
            return argc < 3 ? EXIT_USAGE : 0;
        }
        fprintf(stderr, "syncctl: unknown command '%s%s%s' (try syncctl --help)\n", argv[1],
                group_known && argc >= 3 ? " " : "", group_known && argc >= 3 ? argv[2] : "");
        return EXIT_USAGE;
    }
    first = c->group ? 3 : 2;
    for (int i = first; i < argc; i++) {
        if (is_help(argv[i])) {
            printf("usage: syncctl %s\n    %s\n", c->usage, c->help);
            return 0;
        }
    }
    if (config_load(&cfg, CONFIG_NEED_DB, &err) != SYNC_OK) {
        fprintf(stderr, "syncctl: %s\n", err.msg);
        return 1;
    }
    log_set_level(cfg.log_level);
    if (db_open_retry(cfg.database_url, 5000, &db, &err) != SYNC_OK) {
        config_free(&cfg);
        return fail(&err);
    }
    db_set_tombstone_days(db, cfg.tombstone_days);
    rc = c->run(db, &cfg, argc - first, argv + first);
    db_close(db);
    config_free(&cfg);
    return rc;
}
