/*
 * The CUSE transport's floor for the guest round-trip measurement (QemuCuseRoundTripTest): a no-op CUSE
 * device on libfuse 3's cuse_lowlevel API, single-threaded (-s, like the bridge's one serving thread), in
 * unrestricted-ioctl mode as the bridge is. It answers the driver's GET_TIME exactly as the bridge must:
 * the first request carries no bytes, so it asks the kernel to retry with one out iovec at the caller's
 * pointer, then answers the retried request with CLOCK_BOOTTIME (the least work a real GET_TIME can do).
 * Every other ioctl answers 0 at once. Compiled by the test (gcc ... $(pkg-config --cflags --libs fuse3));
 * never committed as a binary.
 *
 *   cuse_floor DEVNAME        serves /dev/DEVNAME, prints SERVING once the kernel made the device
 */
#define FUSE_USE_VERSION 35
#include <cuse_lowlevel.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "../alarm_dev.h"

static void floor_open(fuse_req_t req, struct fuse_file_info *fi) {
    fi->direct_io = 1;
    fi->nonseekable = 1;
    fuse_reply_open(req, fi);
}

static int is_get_time(unsigned cmd) {
    for (int t = 0; t < ALARM_TYPE_COUNT; t++) {
        if (cmd == (unsigned)ALARM_GET_TIME(t)) {
            return 1;
        }
    }
    return 0;
}

static void floor_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi, unsigned flags,
                        const void *in_buf, size_t in_bufsz, size_t out_bufsz) {
    (void)fi; (void)flags; (void)in_buf; (void)in_bufsz;
    if (!is_get_time((unsigned)cmd)) {
        fuse_reply_ioctl(req, 0, NULL, 0);
        return;
    }
    if (out_bufsz < sizeof(struct alarm_ts)) {
        struct iovec out = { arg, sizeof(struct alarm_ts) };
        fuse_reply_ioctl_retry(req, NULL, 0, &out, 1);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_BOOTTIME, &now);
    struct alarm_ts ts = { now.tv_sec, now.tv_nsec };
    fuse_reply_ioctl(req, 0, &ts, sizeof ts);
}

static void floor_init_done(void *userdata) {
    (void)userdata;
    printf("SERVING\n");
    fflush(stdout);
}

static const struct cuse_lowlevel_ops ops = {
    .init_done = floor_init_done,
    .open = floor_open,
    .ioctl = floor_ioctl,
};

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DEVNAME\n", argv[0]);
        return 2;
    }
    char devname[256];
    snprintf(devname, sizeof devname, "DEVNAME=%s", argv[1]);
    const char *info[] = { devname };
    struct cuse_info ci;
    memset(&ci, 0, sizeof ci);
    ci.dev_info_argc = 1;
    ci.dev_info_argv = info;
    ci.flags = CUSE_UNRESTRICTED_IOCTL;
    char *fargv[] = { argv[0], "-f", "-s", NULL };
    return cuse_lowlevel_main(3, fargv, &ci, &ops, NULL);
}
