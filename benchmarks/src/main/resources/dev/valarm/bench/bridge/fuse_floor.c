/*
 * The transport's floor for BridgeIoctlBenchmark: a no-op FUSE server on libfuse 3's low-level API,
 * single-threaded (fuse_session_loop, like the bridge's one serving thread), serving N regular files
 * alarm0..alarmN-1 whose every ioctl answers 0 at once. Compiled by the benchmark's setup
 * (gcc ... $(pkg-config --cflags --libs fuse3)); never committed as a binary.
 *
 *   fuse_floor MOUNTPOINT N
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned files;

static int attr_of(fuse_ino_t ino, struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    if (ino == FUSE_ROOT_ID) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
        return 0;
    }
    if (ino >= 2 && ino < 2 + files) {
        st->st_mode = S_IFREG | 0666;
        st->st_nlink = 1;
        return 0;
    }
    return -1;
}

static void floor_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    unsigned k;
    char tail;
    struct fuse_entry_param e;
    if (parent != FUSE_ROOT_ID || sscanf(name, "alarm%u%c", &k, &tail) != 1 || k >= files) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    memset(&e, 0, sizeof e);
    e.ino = 2 + k;
    attr_of(e.ino, &e.attr);
    fuse_reply_entry(req, &e);
}

static void floor_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    struct stat st;
    (void)fi;
    if (attr_of(ino, &st) != 0) {
        fuse_reply_err(req, ENOENT);
    } else {
        fuse_reply_attr(req, &st, 0);
    }
}

static void floor_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)ino;
    fi->direct_io = 1;
    fi->nonseekable = 1;
    fuse_reply_open(req, fi);
}

static void floor_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd, void *arg, struct fuse_file_info *fi,
                        unsigned flags, const void *in_buf, size_t in_bufsz, size_t out_bufsz) {
    (void)ino; (void)cmd; (void)arg; (void)fi; (void)flags; (void)in_buf; (void)in_bufsz; (void)out_bufsz;
    fuse_reply_ioctl(req, 0, NULL, 0);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = floor_lookup,
    .getattr = floor_getattr,
    .open = floor_open,
    .ioctl = floor_ioctl,
};

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s MOUNTPOINT N\n", argv[0]);
        return 2;
    }
    files = (unsigned)atoi(argv[2]);
    char *fargv[] = { argv[0], "-o", "allow_other", NULL };
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!se || fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) {
        fprintf(stderr, "fuse_floor: cannot mount %s\n", argv[1]);
        return 1;
    }
    printf("SERVING\n");
    fflush(stdout);
    int r = fuse_session_loop(se);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return r < 0 ? 1 : 0;
}
