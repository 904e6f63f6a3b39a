/*
 * A load client for the guest round-trip measurement (QemuCuseRoundTripTest): THREADS threads, each with its
 * own read-only fd on NODE (as Android's app processes open /dev/alarm), issue GET_TIME(ELAPSED_REALTIME)
 * back to back; every call is timed with CLOCK_MONOTONIC around the ioctl(2). After a warm-up that is not
 * recorded, each thread records for a fixed duration into its own histogram (log-linear: 64 buckets per
 * power of two, so a percentile is the upper bound of a bucket at most 1/64 wider than its lower bound). Each answer is checked: the call succeeds, the time is a valid timespec and
 * never goes backwards on a thread. Prints one JSON object:
 *   {"threads":N,"seconds":S,"ops":N,"opsPerSec":X,"p50Us":X,"p99Us":X,"maxUs":X,"errors":N,
 *    "cpuUserS":X,"cpuSysS":X}
 * and exits 1 if any call failed or any answer was wrong.
 *
 *   gettime_load --node PATH --threads N --seconds S [--warmup-seconds W]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../alarm_dev.h"

#define SUB 64          /* buckets per power of two */
#define SUB_BITS 6
#define MAX_SHIFT 40    /* up to 2^46 ns */
#define BUCKETS (SUB * (MAX_SHIFT + 2))
#define MAX_THREADS 64

struct worker {
    pthread_t thread;
    int fd;
    uint64_t hist[BUCKETS];
    uint64_t ops;
    uint64_t errors;
    uint64_t max_ns;
    int first_errno;
};

static const char *node;
static double warmup_s = 1.0, measure_s = 3.0;
static pthread_barrier_t start;
static struct timespec warm_end, measure_end;

/* The bucket of d ns: exact below 2 * SUB, then SUB buckets per power of two. */
static size_t bucket_of(uint64_t d) {
    if (d < 2 * SUB) {
        return (size_t)d;
    }
    unsigned shift = 63 - (unsigned)__builtin_clzll(d) - SUB_BITS; /* d >> shift is in [SUB, 2 * SUB) */
    if (shift > MAX_SHIFT) {
        return BUCKETS - 1;
    }
    return (size_t)(shift + 1) * SUB + (size_t)((d >> shift) - SUB);
}

/* The upper bound (exclusive) of bucket b, in ns. */
static uint64_t bucket_top(size_t b) {
    if (b < 2 * SUB) {
        return b + 1;
    }
    const unsigned shift = (unsigned)(b / SUB) - 1;
    return ((uint64_t)(b % SUB) + SUB + 1) << shift;
}

static uint64_t ns_of(const struct timespec *t) {
    return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec;
}

static void *run(void *p) {
    struct worker *w = p;
    struct alarm_ts ts, last = { 0, 0 };
    struct timespec t0, t1;
    pthread_barrier_wait(&start);
    const uint64_t warm = ns_of(&warm_end), end = ns_of(&measure_end);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        const uint64_t a = ns_of(&t0);
        if (a >= end) {
            break;
        }
        const int r = ioctl(w->fd, ALARM_GET_TIME(ALARM_ELAPSED_REALTIME), &ts);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        int bad = r != 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L || ts.tv_sec < 0
                || ts.tv_sec < last.tv_sec || (ts.tv_sec == last.tv_sec && ts.tv_nsec < last.tv_nsec);
        if (bad) {
            if (w->errors++ == 0) {
                w->first_errno = r != 0 ? errno : 0;
            }
        } else {
            last = ts;
        }
        if (a < warm) {
            continue;
        }
        const uint64_t d = ns_of(&t1) - a;
        w->hist[bucket_of(d)]++;
        if (d > w->max_ns) {
            w->max_ns = d;
        }
        w->ops++;
    }
    return NULL;
}

static double percentile(const uint64_t *hist, uint64_t total, double q) {
    const uint64_t rank = (uint64_t)(q * (double)total + 0.5);
    uint64_t seen = 0;
    for (size_t b = 0; b < BUCKETS; b++) {
        seen += hist[b];
        if (seen >= rank && seen > 0) {
            return (double)bucket_top(b) / 1000.0; /* the bucket's upper bound */
        }
    }
    return 0;
}

static void add_seconds(struct timespec *t, double s) {
    const uint64_t n = ns_of(t) + (uint64_t)(s * 1e9);
    t->tv_sec = (time_t)(n / 1000000000u);
    t->tv_nsec = (long)(n % 1000000000u);
}

int main(int argc, char **argv) {
    int threads = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--node")) node = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) measure_s = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup-seconds")) warmup_s = atof(argv[i + 1]);
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }
    if (!node || threads < 1 || threads > MAX_THREADS || measure_s <= 0 || warmup_s < 0) {
        fprintf(stderr, "usage: %s --node PATH --threads 1..%d --seconds S [--warmup-seconds W]\n", argv[0],
                MAX_THREADS);
        return 2;
    }
    static struct worker w[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        w[i].fd = open(node, O_RDONLY | O_CLOEXEC);
        if (w[i].fd < 0) {
            fprintf(stderr, "open %s: %s\n", node, strerror(errno));
            return 1;
        }
    }
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int i = 0; i < threads; i++) {
        pthread_create(&w[i].thread, NULL, run, &w[i]);
    }
    struct rusage r0, r1;
    struct timespec m0, m1;
    clock_gettime(CLOCK_MONOTONIC, &warm_end);
    add_seconds(&warm_end, warmup_s);
    measure_end = warm_end;
    add_seconds(&measure_end, measure_s);
    pthread_barrier_wait(&start);
    /* CPU of the measured part: from the warm-up's end (this thread sleeps through both) */
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &warm_end, NULL);
    getrusage(RUSAGE_SELF, &r0);
    clock_gettime(CLOCK_MONOTONIC, &m0);
    uint64_t ops = 0, errors = 0, max_ns = 0;
    int first_errno = 0;
    static uint64_t hist[BUCKETS];
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
    }
    clock_gettime(CLOCK_MONOTONIC, &m1);
    getrusage(RUSAGE_SELF, &r1);
    for (int i = 0; i < threads; i++) {
        for (size_t b = 0; b < BUCKETS; b++) hist[b] += w[i].hist[b];
        ops += w[i].ops;
        errors += w[i].errors;
        if (w[i].max_ns > max_ns) max_ns = w[i].max_ns;
        if (!first_errno) first_errno = w[i].first_errno;
        close(w[i].fd);
    }
    const double secs = (double)(ns_of(&m1) - ns_of(&m0)) / 1e9;
    const double user = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6;
    const double sys = (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
    printf("{\"threads\":%d,\"seconds\":%.3f,\"ops\":%llu,\"opsPerSec\":%.1f,\"p50Us\":%.2f,\"p99Us\":%.2f,"
           "\"maxUs\":%.1f,\"errors\":%llu,\"firstErrno\":%d,\"cpuUserS\":%.3f,\"cpuSysS\":%.3f}\n",
           threads, secs, (unsigned long long)ops, ops / secs, percentile(hist, ops, 0.50),
           percentile(hist, ops, 0.99), max_ns / 1000.0, (unsigned long long)errors, first_errno, user, sys);
    return errors == 0 && ops > 0 ? 0 : 1;
}
