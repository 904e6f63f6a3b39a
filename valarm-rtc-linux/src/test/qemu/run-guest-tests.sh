#!/usr/bin/env bash
# Tier 3 of the Linux backend tests: run a set of JUnit test classes inside a qemu guest that boots
# Debian's stock kernel, so that they talk to the real rtc_cmos driver (/dev/rtc0, IRQ 8) and to
# alarm-clock timerfds backed by a real RTC.
#
# How: the Debian kernel package that linux-image-amd64 depends on is found in a cache or fetched
# with `apt-get download` (never installed), unpacked, its xz-compressed vmlinuz turned into an ELF
# vmlinux (booted through the PVH entry by qboot: ~2.5 s to init under TCG), and a tiny initramfs is
# built from busybox-static plus the 9p/virtio modules. The guest mounts the host root read-only over
# virtio-9p, mounts a writable share for the results over the same path the host uses (it also serves
# as the guest's temporary directory), chroots into the host root and runs the JUnit Platform console
# launcher with the given class path, so the very same paths work inside and outside. The launcher's
# exit code and XML reports come back through the writable share; this script exits with the
# launcher's status.
#
# Boot modes (--boot):
#   fast     (default) qboot + the decompressed vmlinux through the PVH entry, as above. The guest cannot
#            resume from suspend-to-RAM (qboot has no S3 resume; the PVH-booted kernel triple-faults in
#            its real-mode wakeup code). Everything that does not suspend runs here.
#   suspend  SeaBIOS + the compressed vmlinuz (bzImage) with S3 enabled on the PIIX4 chipset
#            (-global PIIX4_PM.disable_s3=0) and no_console_suspend: ~7.5 s to init; `echo mem >
#            /sys/power/state` suspends for real (mem_sleep is set to `deep`: s2idle does not wake on the
#            RTC alarm in this guest) and resumes on the RTC alarm or a QMP system_wakeup.
#            qemu resets every device on resume and the kernel's virtio-9p transport cannot resume (a 9p
#            mount hangs for good afterwards), so in this mode the guest does not run from the 9p share:
#            what the tests need (the JVM, the class path, bash, timeout, sh and their libraries) goes into
#            a read-only ext4 image (mkfs.ext4 -d) served over virtio-blk, which resumes; the results go
#            to a tmpfs at the same path, and after the tests the 9p modules are loaded (the 9p device is
#            probed fresh, after the last resume) and the results copied to the share.
#   With --qmp SOCKET qemu serves its QMP monitor on that unix socket (server, not waiting for a client):
#   a host-side watcher sees SUSPEND / WAKEUP events, asks query-status and can end a suspend with
#   system_wakeup. With --control SOCKET the guest gets a virtio-serial port named valarm.control, linked
#   as /dev/valarm-control, wired to that unix socket: a channel between the guest tests and the host that
#   survives suspends (virtio_console re-creates its queues on resume; what the host writes meanwhile
#   waits in qemu).
#
# This script installs nothing. It needs: qemu-system-x86_64 (+ qboot.rom, Debian qemu-system-x86; for
# --boot suspend SeaBIOS's bios-256k.bin, Debian seabios, pulled in by qemu-system-x86, mkfs.ext4 from
# e2fsprogs and ldd from libc-bin), busybox (statically linked, Debian busybox-static), xz (xz-utils),
# dpkg-deb, tar, gzip, timeout, and apt-get only when the kernel package is not cached yet.
#
# Usage: run-guest-tests.sh --classpath CP --launcher JAR --results DIR [options] -- [launcher args]
#   --classpath CP   test class path (':'-separated absolute paths) handed to the launcher's -cp
#   --launcher JAR   junit-platform-console-standalone jar
#   --results DIR    host directory (created, emptied) for exit-code, console.log and XML reports
#   --work DIR       scratch directory for the initramfs (default: DIR/../work)
#   --cache DIR      kernel cache (default: $VALARM_QEMU_CACHE or ${XDG_CACHE_HOME:-~/.cache}/valarm-qemu)
#   --java PATH      java executable to run in the guest (default: `java` on PATH, resolved)
#   --jvm-arg ARG    extra JVM argument for the guest JVM (repeatable)
#   --timeout SECS   hard limit for the guest run (default 240, at least 30)
#   --insmod PATH    also load this module in the guest, PATH relative to the kernel's module root and
#                    without .ko (e.g. kernel/fs/fuse/cuse); its dependencies are loaded first; repeatable
#   --boot MODE      fast (default) or suspend, see above
#   --qmp SOCKET     serve qemu's QMP monitor on this unix socket (absolute path, no ',' or blanks)
#   --control SOCKET give the guest /dev/valarm-control wired to this unix socket (absolute path, no ',' or blanks)
#   --check          only check that the tools (of the chosen --boot mode) are present (exit 0 if so, 3 if not)
# Everything after `--` goes to the console launcher (e.g. --select-package dev.valarm.rtc.linux.guest).
# Environment: VALARM_QEMU_BIN (default qemu-system-x86_64), VALARM_QEMU_QBOOT (default
# /usr/share/qemu/qboot.rom), VALARM_QEMU_SEABIOS (default /usr/share/seabios/bios-256k.bin),
# VALARM_QEMU_CACHE (kernel cache), VALARM_QEMU_KERNEL_DEB (use this linux-image .deb instead of the one
# linux-image-amd64 depends on), VALARM_QEMU_BOOT_WATCH (seconds a boot may take to GUEST-READY before it is
# killed and booted once more, default 60; not with --qmp/--control).
#
# Exit codes: 0 tests passed; 1 tests failed; 2 usage error; 3 tools missing; 4 kernel/initramfs
# could not be prepared; 5 the guest did not report a result (boot failure, timeout, crash).
set -euo pipefail

readonly EXIT_USAGE=2 EXIT_MISSING=3 EXIT_PREPARE=4 EXIT_NO_RESULT=5
log() { printf '[qemu-tier3] %s\n' "$*" >&2; }
die() { local code=$1; shift; log "ERROR: $*"; exit "$code"; }

classpath="" launcher="" results="" work="" java_bin="" check_only=0 guest_timeout=240
boot_mode=fast qmp_socket="" control_socket=""
cache="${VALARM_QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/valarm-qemu}"
jvm_args=()
insmods=()
while [ $# -gt 0 ]; do
  case "$1" in
    --classpath) classpath=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --results) results=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --cache) cache=$2; shift 2 ;;
    --java) java_bin=$2; shift 2 ;;
    --jvm-arg) jvm_args+=("$2"); shift 2 ;;
    --timeout) guest_timeout=$2; shift 2 ;;
    --insmod) insmods+=("$2"); shift 2 ;;
    --boot) boot_mode=$2; shift 2 ;;
    --qmp) qmp_socket=$2; shift 2 ;;
    --control) control_socket=$2; shift 2 ;;
    --check) check_only=1; shift ;;
    --) shift; break ;;
    *) die $EXIT_USAGE "unknown argument: $1" ;;
  esac
done
launcher_args=("$@")
case "$boot_mode" in fast|suspend) ;; *) die $EXIT_USAGE "--boot must be fast or suspend, not '$boot_mode'" ;; esac

# ---------------------------------------------------------------------------------------------
# Tools. Report every missing one at once, with the Debian package that provides it.
QEMU=${VALARM_QEMU_BIN:-qemu-system-x86_64}
QBOOT=${VALARM_QEMU_QBOOT:-/usr/share/qemu/qboot.rom}
SEABIOS=${VALARM_QEMU_SEABIOS:-/usr/share/seabios/bios-256k.bin}
missing=()
has_interp() {
  local f=$1 phoff phentsize phnum i
  phoff=$(od -An -t u8 -j 32 -N 8 "$f" | tr -d ' ')
  phentsize=$(od -An -t u2 -j 54 -N 2 "$f" | tr -d ' ')
  phnum=$(od -An -t u2 -j 56 -N 2 "$f" | tr -d ' ')
  for ((i = 0; i < phnum; i++)); do
    [ "$(od -An -t u4 -j $((phoff + i * phentsize)) -N 4 "$f" | tr -d ' ')" = 3 ] && return 0
  done
  return 1
}
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }
need "$QEMU" qemu-system-x86
if [ "$boot_mode" = fast ]; then
  [ -f "$QBOOT" ] || missing+=("$QBOOT (Debian package qemu-system-data, pulled in by qemu-system-x86)")
else
  [ -f "$SEABIOS" ] || missing+=("$SEABIOS (Debian package seabios, pulled in by qemu-system-x86)")
  need mkfs.ext4 e2fsprogs
  need ldd libc-bin
fi
need busybox busybox-static
need xz xz-utils
need dpkg-deb dpkg
need tar tar
need gzip gzip
need timeout coreutils
if command -v busybox >/dev/null 2>&1; then
  bb=$(command -v busybox)
  # A dynamically linked busybox cannot run in an initramfs without its libraries: look for an
  # ELF PT_INTERP program header (type 3).
  if has_interp "$bb"; then
    missing+=("a statically linked busybox ($bb is dynamic; Debian package busybox-static)")
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "missing tools for the qemu tier:"
  for m in "${missing[@]}"; do log "  - $m"; done
  exit $EXIT_MISSING
fi
if [ $check_only -eq 1 ]; then log "all tools present"; exit 0; fi

[ -n "$classpath" ] || die $EXIT_USAGE "--classpath is required"
[ -n "$launcher" ] && [ -f "$launcher" ] || die $EXIT_USAGE "--launcher JAR is required and must exist (got '$launcher')"
[ -n "$results" ] || die $EXIT_USAGE "--results is required"
case "$guest_timeout" in ''|*[!0-9]*) die $EXIT_USAGE "--timeout must be whole seconds" ;; esac
[ "$guest_timeout" -ge 30 ] || die $EXIT_USAGE "--timeout must be at least 30 s (boot alone takes ~5 s)"
if [ -z "$java_bin" ]; then
  java_bin=$(command -v java) || die $EXIT_MISSING "no java on PATH (use --java)"
fi
java_bin=$(readlink -f "$java_bin")
launcher=$(readlink -f "$launcher")
mkdir -p "$results"
results=$(readlink -f "$results")
[ -n "$work" ] || work="$(dirname "$results")/work"
mkdir -p "$work" "$cache"
work=$(readlink -f "$work")
cache=$(readlink -f "$cache")
case "$results" in *[[:space:]]*|*:*|*,*) die $EXIT_USAGE "results path must not contain blanks, ':' or ',': $results" ;; esac
check_socket_path() {
  [ -n "$2" ] || return 0
  case "$2" in /*) ;; *) die $EXIT_USAGE "$1 needs an absolute path: $2" ;; esac
  case "$2" in *[[:space:]]*|*,*) die $EXIT_USAGE "$1 path must not contain blanks or ',': $2" ;; esac
  # sun_path holds 107 bytes and a NUL
  [ ${#2} -le 107 ] || die $EXIT_USAGE "$1 path is longer than a unix socket path may be (107): $2"
}
check_socket_path --qmp "$qmp_socket"
check_socket_path --control "$control_socket"

# ---------------------------------------------------------------------------------------------
# Kernel: the package linux-image-amd64 depends on, cached by version.
t_start=$(date +%s)
# The modules unpacked besides 9p over virtio: virtio-blk and ext4 (the suspend mode's sysroot image) and
# virtio_console (the --control port).
extra_modules=('./lib/modules/*/kernel/drivers/block/virtio_blk.ko' './lib/modules/*/kernel/fs/ext4/*'
  './lib/modules/*/kernel/fs/jbd2/*' './lib/modules/*/kernel/fs/mbcache.ko' './lib/modules/*/kernel/lib/crc16.ko'
  './lib/modules/*/kernel/crypto/crc32c_generic.ko' './lib/modules/*/kernel/drivers/char/virtio_console.ko')
# Several builds may share the cache: serialise its preparation when flock(1) is there.
if command -v flock >/dev/null 2>&1; then
  exec 9> "$cache/.lock"
  flock -w 300 9 || die $EXIT_PREPARE "could not lock $cache/.lock within 300 s"
fi
kdeb="${VALARM_QEMU_KERNEL_DEB:-}"
if [ -n "$kdeb" ]; then
  [ -f "$kdeb" ] || die $EXIT_PREPARE "VALARM_QEMU_KERNEL_DEB=$kdeb does not exist"
else
  kpkg=$(timeout 30 apt-cache depends linux-image-amd64 2>/dev/null \
         | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1 || true)
  if [ -z "$kpkg" ]; then
    # No apt lists (or not Debian): fall back to whatever kernel package the cache already holds.
    kdeb=$(ls -1t "$cache"/linux-image-[0-9]*-amd64_*.deb 2>/dev/null | head -n1 || true)
    [ -n "$kdeb" ] || die $EXIT_PREPARE "cannot tell which kernel linux-image-amd64 depends on" \
      "(apt-cache depends linux-image-amd64 gave nothing; run apt-get update) and none is cached in $cache"
  else
    kdeb=$(ls -1t "$cache/${kpkg}"_*.deb /var/cache/apt/archives/"${kpkg}"_*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$kdeb" ]; then
      log "downloading $kpkg into $cache"
      (cd "$cache" && timeout 300 apt-get download -q "$kpkg" >&2) \
        || die $EXIT_PREPARE "apt-get download $kpkg failed"
      kdeb=$(ls -1t "$cache/${kpkg}"_*.deb | head -n1)
    fi
  fi
fi
kver_file=$(basename "$kdeb" .deb)
kdir="$cache/$kver_file"
if [ ! -f "$kdir/.complete" ]; then
  log "unpacking $(basename "$kdeb")"
  rm -rf "$kdir"; mkdir -p "$kdir/x"
  # Only the kernel image and the module directories of 9p over virtio (and, for the suspend mode,
  # virtio-blk and ext4; the package is ~400 MB unpacked); a dependency outside them is reported by
  # name below.
  timeout 180 dpkg-deb --fsys-tarfile "$kdeb" \
    | tar -x -C "$kdir/x" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/virtio/*' \
        './lib/modules/*/kernel/net/9p/*' './lib/modules/*/kernel/fs/9p/*' './lib/modules/*/kernel/fs/netfs/*' \
        './lib/modules/*/kernel/fs/fscache/*' "${extra_modules[@]}" \
    || die $EXIT_PREPARE "unpacking $kdeb failed"
  vmlinuz=$(ls -1 "$kdir"/x/boot/vmlinuz-* | head -n1)
  cp "$vmlinuz" "$kdir/vmlinuz"
  # vmlinuz is a bzImage whose payload is an xz stream: find it and decompress to an ELF vmlinux,
  # which qboot boots through the PVH entry point (much faster than the bzImage path under TCG).
  ok=0
  for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1); do
    # (process substitution: xz stops reading after the stream, which would fail a pipefail pipe)
    if xz -dc --single-stream < <(tail -c +$((off + 1)) "$vmlinuz") > "$kdir/vmlinux" 2>/dev/null \
       && [ "$(head -c4 "$kdir/vmlinux" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; then
      ok=1; break
    fi
  done
  [ $ok -eq 1 ] || die $EXIT_PREPARE "no xz-compressed ELF kernel found in $vmlinuz"
  mv "$kdir"/x/lib/modules/* "$kdir/modules"
  rm -rf "$kdir/x"
  touch "$kdir/.complete"
fi
if [ ! -f "$kdir/vmlinuz" ] || [ -z "$(find "$kdir/modules" -name virtio_console.ko -print -quit)" ]; then
  # A cache unpacked by an older version of this script: add the bzImage and the extra modules.
  log "adding vmlinuz and the extra modules to the cached $(basename "$kdir")"
  rm -rf "$kdir/z"; mkdir -p "$kdir/z"
  timeout 180 dpkg-deb --fsys-tarfile "$kdeb" \
    | tar -x -C "$kdir/z" --wildcards './boot/vmlinuz-*' "${extra_modules[@]}" \
    || die $EXIT_PREPARE "unpacking vmlinuz and modules from $kdeb failed"
  cp "$(ls -1 "$kdir"/z/boot/vmlinuz-* | head -n1)" "$kdir/vmlinuz"
  cp -a "$kdir"/z/lib/modules/*/. "$kdir/modules/"
  rm -rf "$kdir/z"
fi
vmlinux="$kdir/vmlinux"
moddir="$kdir/modules"
# Directories of --insmod modules: unpacked into the cache on first use (added to a cache prepared
# without them, never re-unpacking what is there).
for m in "${insmods[@]+"${insmods[@]}"}"; do
  rel=$(dirname "$m")
  [ -d "$moddir/$rel" ] && continue
  log "unpacking $rel from $(basename "$kdeb")"
  xdir="$kdir/x-$$"; rm -rf "$xdir"; mkdir -p "$xdir"
  timeout 180 dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$xdir" --wildcards "./lib/modules/*/$rel/*" \
    || die $EXIT_PREPARE "unpacking $rel from $kdeb failed"
  mkdir -p "$(dirname "$moddir/$rel")"
  mv "$xdir"/lib/modules/*/"$rel" "$moddir/$rel"
  rm -rf "$xdir"
done
exec 9>&-

# ---------------------------------------------------------------------------------------------
# Boot mode: firmware, kernel image and command line, the modules loaded before the tests (early)
# and after them (late), how the guest mounts its root and how its results reach the share.
kernel_cmdline="console=ttyS0 quiet panic=-1 rdinit=/init"
case "$boot_mode" in
  fast)
    qemu_boot=(-bios "$QBOOT" -kernel "$vmlinux"
               -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap)
    early_mods=(virtio_pci 9pnet_virtio 9p)
    late_mods=()
    mount_root="mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /host || fail 'mount hostroot'
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /host$results || fail 'mount results'"
    guest_setup=""
    deliver_results="" ;;
  suspend)
    sysroot_image="$work/sysroot.ext4"
    qemu_boot=(-bios "$SEABIOS" -global PIIX4_PM.disable_s3=0 -kernel "$kdir/vmlinuz"
               -drive "file=$sysroot_image,format=raw,if=virtio,readonly=on")
    kernel_cmdline+=" no_console_suspend"
    early_mods=(virtio_pci virtio_blk crc32c_generic ext4)
    late_mods=(9pnet_virtio 9p)
    mount_root="mount -t ext4 -o ro /dev/vda /host || fail 'mount the sysroot image /dev/vda'
mount -t tmpfs -o size=512m tmpfs /host$results || fail 'tmpfs for the results'
mount -t tmpfs tmpfs /host/tmp || fail 'tmpfs for /tmp'"
    guest_setup='echo deep > /sys/power/mem_sleep || fail "cannot select deep (S3) in /sys/power/mem_sleep: $(cat /sys/power/mem_sleep)"'
    # After the last resume: the 9p device is probed only now, so its transport is fresh.
    deliver_results="for m in \$(cat /mod/late); do insmod /mod/\$m.ko || echo \"GUEST-INIT: insmod \$m failed\"; done
mkdir -p /results && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /results \\
  && cp -a /host$results/. /results/ || echo 'GUEST-INIT: could not copy the results to the share'" ;;
esac
[ -n "$qmp_socket" ] && qemu_boot+=(-qmp "unix:$qmp_socket,server=on,wait=off")
if [ -n "$control_socket" ]; then
  qemu_boot+=(-device virtio-serial-pci,id=valarmserial
              -chardev "socket,id=valarmctl,path=$control_socket,server=on,wait=off"
              -device virtserialport,bus=valarmserial.0,chardev=valarmctl,name=valarm.control)
  early_mods+=(virtio_console)
  guest_setup+=$'\n''for p in /sys/class/virtio-ports/*; do [ "$(cat $p/name)" = valarm.control ] && ln -s /dev/${p##*/} /dev/valarm-control; done
[ -e /dev/valarm-control ] || fail "no virtio-serial port valarm.control"'
fi

# ---------------------------------------------------------------------------------------------
# Modules, in dependency order (read from each module's .modinfo `depends=`; the package carries no
# modules.dep).
declare -A modpath=()
while IFS= read -r f; do
  n=${f##*/}; n=${n%.ko}; modpath[${n//-/_}]=$f
done < <(find "$moddir" -name '*.ko')
order=()
declare -A seen=()
add_mod() {
  local n=${1//-/_} d
  [ -n "${seen[$n]:-}" ] && return 0
  seen[$n]=1
  [ -n "${modpath[$n]:-}" ] || die $EXIT_PREPARE "kernel module $n not found in $moddir" \
    "(add its directory to the tar extraction above and delete $kdir)"
  for d in $(LC_ALL=C tr '\0' '\n' < "${modpath[$n]}" | sed -n 's/^depends=//p' | head -n1 | tr ',' ' '); do
    add_mod "$d"
  done
  order+=("$n")
}
for m in "${early_mods[@]}"; do add_mod "$m"; done
for m in "${insmods[@]+"${insmods[@]}"}"; do add_mod "$(basename "$m")"; done
early_order=("${order[@]}")
order=()
for m in "${late_mods[@]+"${late_mods[@]}"}"; do add_mod "$m"; done
late_order=("${order[@]+"${order[@]}"}")

# ---------------------------------------------------------------------------------------------
# Initramfs: static busybox, the modules, an init that mounts the shares and runs the launcher.
rootfs="$work/initramfs"
rm -rf "$rootfs"; mkdir -p "$rootfs"/{bin,dev,proc,sys,host,mod}
cp "$(command -v busybox)" "$rootfs/bin/busybox"
: > "$rootfs/mod/order"
: > "$rootfs/mod/late"
for n in "${early_order[@]}"; do cp "${modpath[$n]}" "$rootfs/mod/$n.ko"; echo "$n" >> "$rootfs/mod/order"; done
for n in "${late_order[@]+"${late_order[@]}"}"; do
  cp "${modpath[$n]}" "$rootfs/mod/$n.ko"; echo "$n" >> "$rootfs/mod/late"
done

# The JVM options of the guest run. The host root is read-only in the guest (no tmpfs over /tmp: it
# would hide host paths under /tmp), so temporary files go to the writable results share and the JVM
# keeps no perf-data file. JVM work is 10-30x slower under TCG: C1 only, serial GC.
jvm_opts=(-XX:-UsePerfData -XX:+UseSerialGC -XX:TieredStopAtLevel=1 "${jvm_args[@]+"${jvm_args[@]}"}")
launch=(-jar "$launcher" execute --disable-banner --disable-ansi-colors -cp "$classpath"
        "${launcher_args[@]+"${launcher_args[@]}"}")

# Class loading dominates the guest JVM's start: dump an application class-data archive (AppCDS) on
# the host with the same class path, where the guest tests only skip (no -Dvalarm.guest), and map it
# in the guest. The JVM checks that the archive matches the class path and ignores it otherwise.
cds="$work/launcher.jsa"
rm -f "$cds"
cds_opts=()
if timeout 120 "$java_bin" -XX:ArchiveClassesAtExit="$cds" "${jvm_opts[@]}" -Djava.io.tmpdir="$work" \
     "${launch[@]}" --details=none --reports-dir "$work/cds-reports" > "$work/cds.log" 2>&1 \
   && [ -s "$cds" ]; then
  cds_opts=(-XX:SharedArchiveFile="$cds")
else
  log "note: no class-data archive for the guest JVM (see $work/cds.log); it starts slower"
fi

bash_bin=$(command -v bash)
{
  echo "#!$bash_bin"
  echo 'export LANG=C.UTF-8 LC_ALL=C.UTF-8'
  printf 'cd %q\n' "$PWD"
  # $1: seconds left for the JVM (the init computes it from the guest's uptime)
  printf 'exec timeout -k 5 "$1"'
  printf ' %q' "$java_bin" -Dvalarm.guest=true -Djava.io.tmpdir="$results/tmp" "${jvm_opts[@]}" \
    "${cds_opts[@]+"${cds_opts[@]}"}" "${launch[@]}" --details=tree --reports-dir "$results/reports"
  echo
} > "$rootfs/run-tests"
chmod +x "$rootfs/run-tests"

# ---------------------------------------------------------------------------------------------
# Suspend mode: the guest's root is an ext4 image of exactly what the run needs, at the host's paths.
if [ "$boot_mode" = suspend ]; then
  stage="$work/sysroot"
  rm -rf "$stage" "$sysroot_image"; mkdir -p "$stage"
  paths=()
  # A path as the guest will see it: its directory resolved, the last component kept (a symlink stays
  # a symlink and what it points to is added too).
  add_path() {
    local d q
    d=$(readlink -f "$(dirname "$1")") || die $EXIT_PREPARE "cannot resolve $1"
    q="$d/$(basename "$1")"
    paths+=("${q#/}")
    if [ -L "$q" ]; then add_path "$(readlink -f "$q")"; fi
  }
  add_libs() {  # the shared libraries and the loader of ELF files
    local l
    for l in $(ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' \
               | sort -u); do
      add_path "$l"
    done
  }
  java_home=$(dirname "$(dirname "$java_bin")")
  add_path "$java_home"
  # Debian's JDK links its conf files to /etc/java-*: take what its links point to outside it.
  while IFS= read -r l; do
    t=$(readlink -f "$l" || true)
    case "$t" in "$java_home"/*|*/src.zip|'') ;; *) [ -e "$t" ] && add_path "$t" ;; esac
  done < <(find "$java_home" -type l)
  add_libs "$java_bin" $(find "$java_home/lib" -name '*.so')
  for tool in "$bash_bin" "$(command -v timeout)" "$(command -v sh)"; do
    add_path "$tool"; add_libs "$(readlink -f "$tool")"
  done
  IFS=: read -ra cp_entries <<< "$classpath"
  for e in "${cp_entries[@]}"; do [ -e "$e" ] && add_path "$e"; done
  add_path "$launcher"
  [ ${#cds_opts[@]} -gt 0 ] && add_path "$cds"
  for f in /etc/ld.so.cache /etc/passwd /etc/group /etc/nsswitch.conf /etc/localtime; do
    [ -e "$f" ] && add_path "$f"
  done
  # merged /usr: /bin, /lib, /lib64 ... are symlinks on the host; the same in the image
  for t in bin sbin lib lib32 lib64 libx32; do
    [ -L "/$t" ] && ln -s "$(readlink "/$t")" "$stage/$t"
  done
  printf '%s\n' "${paths[@]}" | sort -u > "$work/sysroot.list"
  # The JDK without what a run never reads.
  jh=${java_home#/}
  tar -C / -c -f - --exclude="$jh/jmods" --exclude="$jh/lib/src.zip" --exclude="$jh/lib/ct.sym" \
      --exclude="$jh/docs" --exclude="$jh/man" --exclude="$jh/include" --exclude="$jh/demo" \
      --exclude="$jh/lib/server/classes_nocoops.jsa" -T "$work/sysroot.list" \
    | tar -C "$stage" -x -f - || die $EXIT_PREPARE "copying the sysroot files into $stage failed"
  mkdir -p "$stage"/{proc,sys,dev,tmp} "$stage$results" "$stage$PWD"
  size_mb=$(( $(du -sm "$stage" | cut -f1) * 5 / 4 + 64 ))
  mkfs.ext4 -q -F -O ^has_journal -L valarm-sysroot -d "$stage" "$sysroot_image" "${size_mb}M" \
    || die $EXIT_PREPARE "mkfs.ext4 of the sysroot image failed"
  rm -rf "$stage"
  log "sysroot image: ${size_mb} MB, $(wc -l < "$work/sysroot.list") paths"
fi

jvm_deadline=$(( $(date +%s) + guest_timeout - 10 ))
cat > "$rootfs/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
halt() { sync; poweroff -f; sleep 5; }
fail() { echo "GUEST-INIT-FAILED: \$*"; halt; }
for m in \$(cat /mod/order); do insmod /mod/\$m.ko || fail "insmod \$m"; done
$mount_root
mount --bind /proc /host/proc && mount --bind /sys /host/sys && mount --bind /dev /host/dev || fail "bind mounts"
$guest_setup
mkdir -p /host$results/tmp && cp /run-tests /host$results/tmp/run-tests || fail "writing to the results directory"
echo "GUEST-READY boot=$boot_mode uptime=\$(cut -d' ' -f1 /proc/uptime) rtc=\$(cat /sys/class/rtc/rtc0/name 2>/dev/null)"
# Leave the JVM what remains of the ${guest_timeout} s limit, minus 10 s to report back. The guest's
# clock comes from the emulated RTC, which follows the host's clock: compare with the host's deadline.
left=\$(( $jvm_deadline - \$(date +%s) ))
[ \$left -ge 5 ] || fail "booting took the whole ${guest_timeout} s limit"
chroot /host $bash_bin $results/tmp/run-tests \$left
echo \$? > /host$results/exit-code
$deliver_results
echo "GUEST-DONE uptime=\$(cut -d' ' -f1 /proc/uptime)"
halt
EOF
chmod +x "$rootfs/init"
initrd="$work/initrd.gz"
(cd "$rootfs" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 > "$initrd") \
  || die $EXIT_PREPARE "building the initramfs failed"
log "kernel $(basename "$kdir"), boot $boot_mode, modules: ${early_order[*]}${late_order[*]+ (after the tests: ${late_order[*]})}; prepared in $(( $(date +%s) - t_start )) s"

# ---------------------------------------------------------------------------------------------
# Boot. TCG only (KVM cannot boot stock kernels on these hosts). The writable share is emptied first.
console="$results/console.log"
# A boot that prints nothing: once in a few dozen runs on these hosts, TCG qemu hangs before the guest's
# init reaches GUEST-READY (normally 4-10 s of guest time), and the console stays empty until the timeout.
# That is the emulator, not the code under test, so a boot that is not READY within boot_watch seconds is
# killed and booted once more (logged), within the same overall limit. Not with --qmp/--control: the
# host-side watcher holds those sockets of the first qemu. A second silent boot fails the run as before.
boot_watch=${VALARM_QEMU_BOOT_WATCH:-60}
boots_left=1
[ -n "$qmp_socket$control_socket" ] && boots_left=0
t_first=$(date +%s)
while :; do
  find "$results" -mindepth 1 -delete
  mkdir -p "$results/reports"
  t_boot=$(date +%s)
  limit=$(( guest_timeout - (t_boot - t_first) ))
  rm -f "$work/qemu.pid"
  set +e
  timeout --kill-after=10 "$limit" "$QEMU" \
    -machine pc -accel tcg,thread=multi -smp 2 -m 2048 \
    -nodefaults -display none -serial stdio -no-reboot -pidfile "$work/qemu.pid" \
    "${qemu_boot[@]}" -initrd "$initrd" \
    -append "$kernel_cmdline" \
    -virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap" \
    < /dev/null > "$console.tmp" 2>&1 &
  qemu_job=$!
  tail -n +1 -f --pid=$qemu_job "$console.tmp" >&2 &
  tail_job=$!
  hung=0
  if [ "$boots_left" -gt 0 ]; then
    while kill -0 $qemu_job 2>/dev/null && ! grep -q GUEST-READY "$console.tmp"; do
      if [ $(( $(date +%s) - t_boot )) -ge "$boot_watch" ]; then
        hung=1
        kill "$(cat "$work/qemu.pid" 2>/dev/null)" 2>/dev/null || kill $qemu_job
        break
      fi
      sleep 1
    done
  fi
  wait $qemu_job
  qemu_status=$?
  wait $tail_job 2>/dev/null
  set -e
  if [ $hung = 1 ]; then
    log "the guest was not READY after ${boot_watch} s (console: $(wc -c < "$console.tmp") bytes): qemu hung while booting; booting once more"
    mv "$console.tmp" "$work/console-hung-boot.log"
    boots_left=0
    continue
  fi
  break
done
mv "$console.tmp" "$console"
[ "$boot_mode" = suspend ] && rm -f "$sysroot_image"
log "guest ran $(( $(date +%s) - t_boot )) s (qemu status $qemu_status)"
[ "$qemu_status" -eq 124 ] && log "qemu hit the ${guest_timeout} s timeout"
if [ ! -s "$results/exit-code" ]; then
  die $EXIT_NO_RESULT "the guest reported no result (see $console)"
fi
rc=$(tr -d '[:space:]' < "$results/exit-code")
if [ "$rc" = 0 ]; then
  log "guest tests passed"; exit 0
fi
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
  log "guest tests TIMED OUT inside the guest (the JVM was stopped at the ${guest_timeout} s limit)"
else
  log "guest tests FAILED (launcher exit code $rc; reports in $results/reports)"
fi
exit 1
