/* replay_main.c - runs a fuzz target over files given on the command line
 * (a committed corpus), without libFuzzer: `make test` replays every corpus
 * with the normal build, so a fixed finding stays fixed. Prints the summary
 * line of tests/run-all.sh: each input is one test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;

    if (!f)
        return -1;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    buf = malloc((size_t)n + 1);     /* +1: a zero-length input still gets a pointer */
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    LLVMFuzzerTestOneInput(buf, (size_t)n);    /* a broken invariant aborts */
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    unsigned ran = 0, failed = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "cannot read %s\n", argv[i]);
            failed++;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            char p[4096];
            while (d && (e = readdir(d)) != NULL) {
                if (e->d_name[0] == '.')
                    continue;
                snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
                if (run_file(p) == 0)
                    ran++;
                else
                    failed++;
            }
            if (d)
                closedir(d);
        } else if (run_file(argv[i]) == 0) {
            ran++;
        } else {
            failed++;
        }
    }
    printf("%u passed, %u failed\n", ran, failed);
    return failed ? 1 : 0;
}
