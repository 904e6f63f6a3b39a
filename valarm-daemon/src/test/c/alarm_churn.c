/*
 * valarm's churn and load client: one process drives one served alarm node through the real kernel and
 * checks, for every alarm it was told was armed, that it is delivered exactly once and never early.
 *
 *   alarm_churn --node PATH --duration-ms D [--seed S] [--type T] [--min-ms A] [--max-ms B]
 *               [--clear-pct P] [--replace-pct R] [--lost-ms L] [--wall-offset-ns N]
 *       churn: SET an alarm A..B ms ahead (sometimes SET one 10 s ahead and CLEAR it first, sometimes
 *       replace it by a second SET), WAIT for it, check it came at or after its time; repeat for D ms.
 *   alarm_churn --node PATH --duration-ms D --load [--seed S]
 *       load: SET+CLEAR round trips as fast as possible; reports ioctls and latency percentiles.
 *   alarm_churn --node PATH --block-ms D [--type T]
 *       one alarm D ms ahead and one WAIT (an upgrade test's blocked caller).
 *   alarm_churn --node PATH --own
 *       open for writing, SET an alarm an hour ahead (owning the instance), print "owned", then for each
 *       line read on stdin SET again and print "set errno=NAME" (ownership kept across a daemon crash).
 *   alarm_churn --node PATH --try-set
 *       open for writing, SET once, print "try-set errno=NAME" (EBUSY while another file owns it).
 * --until-file F ends a churn or load run as soon as F exists (instead of --duration-ms).
 *
 * Every report is one line starting "churn" / "load" / "block" with key=value pairs. Exit status 0 if
 * nothing was wrong, 1 if an alarm came early or twice or an ioctl failed, 3 if an acknowledged alarm was
 * not delivered within --lost-ms after its time (lost), 2 for a usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alarm_dev.h" /* the bridge's header: -I valarm-bridge/src/test/c */

#define MS 1000000LL
#define SEC 1000000000LL
#define MAX_SAMPLES 200000

static const char *node;
static int type = ALARM_ELAPSED_REALTIME;
static long long wall_offset;
static volatile long long wait_deadline;  /* CLOCK_MONOTONIC ns a pending WAIT must end by; 0 = none */
static long long lost_ns = 60 * SEC;
static const char *until_file;

static long long clock_ns(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (long long)t.tv_sec * SEC + t.tv_nsec;
}

static long long mono(void) { return clock_ns(CLOCK_MONOTONIC); }

static int finished(long long end) {
    return until_file ? access(until_file, F_OK) == 0 : mono() >= end;
}

static long long type_now(void) {
    switch (type) {
    case ALARM_RTC_WAKEUP:
    case ALARM_RTC:
        return clock_ns(CLOCK_REALTIME) + wall_offset;
    case ALARM_ELAPSED_REALTIME_WAKEUP:
    case ALARM_ELAPSED_REALTIME:
        return clock_ns(CLOCK_BOOTTIME);
    default:
        return clock_ns(CLOCK_MONOTONIC);
    }
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static long long between(long long a, long long b) { return a + (long long)(next_rand() % (uint64_t)(b - a + 1)); }

/* errno counts */
static int errno_count[256];
static void count_errno(int e) {
    if (e > 0 && e < 256) {
        errno_count[e]++;
    }
}
static void print_errnos(void) {
    printf(" errnos=");
    int any = 0;
    for (int e = 1; e < 256; e++) {
        if (errno_count[e]) {
            printf("%s%s:%d", any ? "," : "", strerrorname_np(e), errno_count[e]);
            any = 1;
        }
    }
    if (!any) {
        printf("-");
    }
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static long long pct(long long *v, int n, double p) {
    if (n == 0) {
        return 0;
    }
    qsort(v, (size_t)n, sizeof *v, cmp_ll);
    int i = (int)(p * (n - 1));
    return v[i];
}

/* ioctl with its own duration; retried on EINTR (no signals are sent, but be safe). */
static int io(int fd, unsigned long req, void *arg, long long *took) {
    long long t0 = mono();
    int r;
    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR);
    int e = errno;
    if (took) {
        *took = mono() - t0;
    }
    return r < 0 ? -e : r;
}

static void *watchdog(void *arg) {
    (void)arg;
    for (;;) {
        struct timespec t = { 0, 100 * MS };
        nanosleep(&t, NULL);
        long long d = wait_deadline;
        if (d != 0 && mono() > d) {
            printf("churn LOST node=%s type=%d: an acknowledged alarm was not delivered within %lld ms of its time\n",
                   node, type, lost_ns / MS);
            fflush(stdout);
            _exit(3);
        }
    }
    return NULL;
}

static int open_node(void) {
    for (int tries = 0; tries < 600; tries++) {
        int fd = open(node, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            return fd;
        }
        count_errno(errno);
        struct timespec t = { 0, 100 * MS };
        nanosleep(&t, NULL);
    }
    return -1;
}

static struct alarm_ts ts_of(long long ns) {
    struct alarm_ts t;
    t.tv_sec = (long)(ns / SEC);
    t.tv_nsec = (long)(ns % SEC);
    return t;
}

static int churn(long long duration, long long min_ns, long long max_ns, int clear_pct, int replace_pct) {
    static long long late[MAX_SAMPLES];
    int fd = open_node();
    if (fd < 0) {
        printf("churn node=%s cannot open: %s\n", node, strerror(errno));
        return 1;
    }
    pthread_t wd;
    pthread_create(&wd, NULL, watchdog, NULL);
    long long end = mono() + duration;
    long sets = 0, clears = 0, replaced = 0, delivered = 0, early = 0, spurious = 0, failures = 0, replaced_fired = 0;
    long long max_ioctl = 0, took = 0;
    int n = 0;
    while (!finished(end)) {
        if ((int)(next_rand() % 100) < clear_pct) {
            struct alarm_ts far = ts_of(type_now() + 10 * SEC);
            int r = io(fd, ALARM_SET(type), &far, &took);
            max_ioctl = took > max_ioctl ? took : max_ioctl;
            if (r == 0) {
                r = io(fd, ALARM_CLEAR(type), NULL, &took);
                max_ioctl = took > max_ioctl ? took : max_ioctl;
            }
            if (r != 0) {
                count_errno(-r);
                failures++;
                continue;
            }
            clears++;
        }
        long long target = type_now() + between(min_ns, max_ns);
        struct alarm_ts t = ts_of(target);
        int r = io(fd, ALARM_SET(type), &t, &took);
        max_ioctl = took > max_ioctl ? took : max_ioctl;
        if (r != 0) {
            count_errno(-r);
            failures++;
            continue;
        }
        sets++;
        /* A replaced alarm whose time came before its replacing SET took effect (the SET was delayed, as a
         * daemon restart delays it) fires: the driver keeps that event pending (its double report). */
        long long old_target = 0, replace_done = 0;
        if ((int)(next_rand() % 100) < replace_pct) {
            old_target = target;
            target = type_now() + between(min_ns, max_ns);
            t = ts_of(target);
            r = io(fd, ALARM_SET(type), &t, &took);
            replace_done = type_now();
            max_ioctl = took > max_ioctl ? took : max_ioctl;
            if (r != 0) {
                count_errno(-r);
                failures++;
                continue;
            }
            replaced++;
        }
        /* the deadline of this WAIT, on CLOCK_MONOTONIC */
        wait_deadline = mono() + (target - type_now()) + lost_ns;
        for (;;) {
            r = io(fd, ALARM_WAIT, NULL, NULL);
            long long now = type_now();
            if (r < 0) {
                count_errno(-r);
                failures++;
                break;
            }
            if ((r & ALARM_MASK(type)) == 0) {
                spurious++; /* only the time-change bit: wait on */
                continue;
            }
            if (now < target && old_target != 0 && old_target <= now && old_target < replace_done) {
                replaced_fired++; /* the replaced alarm's own event: wait on for the replacement's */
                old_target = 0;
                continue;
            }
            if (now < target) {
                early++;
                printf("churn EARLY node=%s type=%d: WAIT returned 0x%x %lld us before the alarm's time (iteration %ld; "
                       "replaced: %s, old alarm %lld us before now, the replacing SET returned %lld us before now)\n",
                       node, type, r, (target - now) / 1000, sets, old_target ? "yes" : "no",
                       old_target ? (now - old_target) / 1000 : 0, old_target ? (now - replace_done) / 1000 : 0);
            } else if (n < MAX_SAMPLES) {
                late[n++] = now - target;
            }
            delivered++;
            break;
        }
        wait_deadline = 0;
    }
    long long max_late = n ? pct(late, n, 1.0) : 0;
    printf("churn node=%s type=%d sets=%ld clears=%ld replaced=%ld replaced_fired=%ld delivered=%ld early=%ld spurious=%ld "
           "failures=%ld max_late_us=%lld p99_late_us=%lld p50_late_us=%lld max_ioctl_us=%lld",
           node, type, sets, clears, replaced, replaced_fired, delivered, early, spurious, failures, max_late / 1000,
           pct(late, n, 0.99) / 1000, pct(late, n, 0.5) / 1000, max_ioctl / 1000);
    print_errnos();
    printf("\n");
    return early || failures || delivered != sets ? 1 : 0;
}

static int load(long long duration) {
    static long long lat[MAX_SAMPLES];
    int fd = open_node();
    if (fd < 0) {
        printf("load node=%s cannot open: %s\n", node, strerror(errno));
        return 1;
    }
    long long start = mono(), end = start + duration;
    long ops = 0, failures = 0;
    int n = 0;
    long long took;
    while (!finished(end)) {
        struct alarm_ts t = ts_of(type_now() + 3600 * SEC);
        int r = io(fd, ALARM_SET(type), &t, &took);
        if (n < MAX_SAMPLES && (ops & 7) == 0) {
            lat[n++] = took;
        }
        ops++;
        r = r == 0 ? io(fd, ALARM_CLEAR(type), NULL, &took) : r;
        ops++;
        if (r != 0) {
            count_errno(-r);
            failures++;
        }
    }
    long long elapsed = mono() - start;
    printf("load node=%s ioctls=%ld seconds=%.3f per_second=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f failures=%ld", node,
           ops, elapsed / 1e9, ops / (elapsed / 1e9), pct(lat, n, 0.5) / 1e3, pct(lat, n, 0.99) / 1e3,
           pct(lat, n, 1.0) / 1e3, failures);
    print_errnos();
    printf("\n");
    return failures ? 1 : 0;
}

static int block(long long delay) {
    int fd = open_node();
    if (fd < 0) {
        printf("block node=%s cannot open: %s\n", node, strerror(errno));
        return 1;
    }
    long long target = type_now() + delay;
    struct alarm_ts t = ts_of(target);
    int r = io(fd, ALARM_SET(type), &t, NULL);
    if (r != 0) {
        printf("block node=%s SET failed: %s\n", node, strerrorname_np(-r));
        return 1;
    }
    printf("block armed node=%s pid=%d\n", node, (int)getpid());
    fflush(stdout);
    for (;;) {
        r = io(fd, ALARM_WAIT, NULL, NULL);
        if (r >= 0 && (r & ALARM_MASK(type)) == 0) {
            continue;
        }
        break;
    }
    long long now = type_now();
    printf("block node=%s result=0x%x errno=%s late_us=%lld\n", node, r < 0 ? 0 : r, r < 0 ? strerrorname_np(-r) : "-",
           (now - target) / 1000);
    return r < 0 || now < target ? 1 : 0;
}

static int own(void) {
    int fd = open_node();
    if (fd < 0) {
        printf("own node=%s cannot open: %s\n", node, strerror(errno));
        return 1;
    }
    struct alarm_ts t = ts_of(type_now() + 3600 * SEC);
    int r = io(fd, ALARM_SET(type), &t, NULL);
    printf("owned errno=%s\n", r < 0 ? strerrorname_np(-r) : "-");
    char line[64];
    while (fgets(line, sizeof line, stdin)) {
        t = ts_of(type_now() + 3600 * SEC);
        r = io(fd, ALARM_SET(type), &t, NULL);
        printf("set errno=%s\n", r < 0 ? strerrorname_np(-r) : "-");
    }
    return 0;
}

static int try_set(void) {
    int fd = open_node();
    if (fd < 0) {
        printf("try-set node=%s cannot open: %s\n", node, strerror(errno));
        return 1;
    }
    struct alarm_ts t = ts_of(type_now() + 3600 * SEC);
    int r = io(fd, ALARM_SET(type), &t, NULL);
    printf("try-set errno=%s\n", r < 0 ? strerrorname_np(-r) : "-");
    return 0;
}

int main(int argc, char **argv) {
    long long duration = 0, block_ns = 0, min_ns = 30 * MS, max_ns = 400 * MS;
    int clear_pct = 30, replace_pct = 20, do_load = 0, do_own = 0, do_try = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--load") || !strcmp(a, "--own") || !strcmp(a, "--try-set")) {
            do_load |= !strcmp(a, "--load");
            do_own |= !strcmp(a, "--own");
            do_try |= !strcmp(a, "--try-set");
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--node")) node = v;
        else if (!strcmp(a, "--duration-ms")) duration = atoll(v) * MS;
        else if (!strcmp(a, "--block-ms")) block_ns = atoll(v) * MS;
        else if (!strcmp(a, "--seed")) rng ^= (uint64_t)atoll(v) * 0x9E3779B97F4A7C15ULL;
        else if (!strcmp(a, "--type")) type = atoi(v);
        else if (!strcmp(a, "--min-ms")) min_ns = atoll(v) * MS;
        else if (!strcmp(a, "--max-ms")) max_ns = atoll(v) * MS;
        else if (!strcmp(a, "--clear-pct")) clear_pct = atoi(v);
        else if (!strcmp(a, "--replace-pct")) replace_pct = atoi(v);
        else if (!strcmp(a, "--lost-ms")) lost_ns = atoll(v) * MS;
        else if (!strcmp(a, "--wall-offset-ns")) wall_offset = atoll(v);
        else if (!strcmp(a, "--until-file")) until_file = v;
        else {
            fprintf(stderr, "unknown option %s\n", a);
            return 2;
        }
    }
    if (!node || type < 0 || type > 4 || min_ns > max_ns
        || (!duration && !until_file && !block_ns && !do_own && !do_try)) {
        fprintf(stderr, "usage: %s --node PATH (--duration-ms D | --until-file F) [--load] | --block-ms D | --own | "
                        "--try-set [options]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    next_rand();
    if (do_own) {
        return own();
    }
    if (do_try) {
        return try_set();
    }
    if (block_ns) {
        return block(block_ns);
    }
    return do_load ? load(duration) : churn(duration, min_ns, max_ns, clear_pct, replace_pct);
}
