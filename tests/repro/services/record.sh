#!/bin/sh
# Record real services forking with much of their memory in swap (issue 11).
#
# usage: record.sh [SCENARIO...]          (as root; default: all four)
#   apache-cgi      Apache prefork + mod_perl preloading a large Perl heap in
#                   the parent + mod_cgi; the heap pushed partly into swap by a
#                   memory cgroup (v1) limit; ab on a small CGI; a ps/top loop.
#   apache-cgid     the same with mod_cgid (its daemon is forked after the
#                   preload, so it inherits the heap).
#   apache-swapoff  as apache-cgi, then swapoff/swapon: no swap entries left,
#                   a large resident parent.
#   redis-bgsave    Redis with its dataset partly in swap, a BGSAVE loop
#                   (fork-and-exit children; the RDB file uncompressed in
#                   /dev/shm, so that they are cheap), the ps/top loop.
#
# Writes testdata/services/SCENARIO.data (perf record -z) and SCENARIO.meta
# (the commands, the services' VmRSS/VmSwap before and after, load output),
# and testdata/kallsyms/host-RELEASE.kallsyms.zst (this boot's /proc/kallsyms)
# once.  The README section is written by facts.py from perf's own figures.
#
# Installs nothing.  Needs (Debian 12 packages):
#   apt-get install apache2 libapache2-mod-perl2 redis-server apache2-utils
# plus perf, zstd and a memory cgroup v1 hierarchy at /sys/fs/cgroup/memory.
# Without root or any of them it says what is missing and exits 77 (skip).
#
# Every server listens on 127.0.0.1 only.  What it sets up it tears down on
# every exit path: services stopped, the cgroup removed, its own swap file
# (/var/tmp/swapdiag-services.swap, priority 100 so it is used before any
# other swap; existing swap is never touched) switched off and deleted,
# tracefs unmounted if it mounted it.
#
# Environment: DUR (3) seconds recorded per scenario (redis: DUR+2),
#   HEAP_MIB (256) Perl heap of the Apache parent, REDIS_MIB (300) dataset,
#   PUSH_MIB (48) the cgroup limit that pushes memory into swap,
#   OUT (testdata/services) where the recordings go.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
DUR=${DUR:-3}
HEAP_MIB=${HEAP_MIB:-256}
REDIS_MIB=${REDIS_MIB:-300}
PUSH_MIB=${PUSH_MIB:-48}
OUT=${OUT:-$top/testdata/services}
W=/tmp/swapdiag-services
SWAPFILE=/var/tmp/swapdiag-services.swap
CG=/sys/fs/cgroup/memory/swapdiag-services
APORT=8391
RPORT=6391
all="apache-cgi apache-cgid apache-swapoff redis-bgsave"

skip() { echo "record.sh: skipped: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "must run as root"
for t in perf zstd apache2 ab redis-server redis-cli ps top; do
	command -v "$t" >/dev/null 2>&1 ||
		skip "'$t' not found (apt-get install apache2 libapache2-mod-perl2 redis-server apache2-utils procps linux-perf zstd)"
done
MODS=/usr/lib/apache2/modules
for m in mod_mpm_prefork mod_perl mod_cgi mod_cgid mod_alias mod_authz_core; do
	[ -f "$MODS/$m.so" ] || skip "$MODS/$m.so missing (apt-get install apache2 libapache2-mod-perl2)"
done
[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] ||
	skip "no memory cgroup v1 hierarchy at /sys/fs/cgroup/memory"

scenarios=${*:-$all}
for s in $scenarios; do
	case " $all " in *" $s "*) ;; *) echo "record.sh: unknown scenario '$s' (one of: $all)" >&2; exit 64 ;; esac
done

# --- teardown (every exit path) -------------------------------------------
loop_pids=
mounted_tracefs=
cleanup() {
	trap - EXIT INT TERM
	for p in $loop_pids; do kill "$p" 2>/dev/null || true; done
	loop_pids=
	stop_apache
	stop_redis
	wait 2>/dev/null || true
	if [ -d "$CG" ]; then
		# anything still in it goes back to the root before rmdir
		for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do
			echo "$p" >/sys/fs/cgroup/memory/cgroup.procs 2>/dev/null || true
		done
		rmdir "$CG" 2>/dev/null || echo "record.sh: could not remove $CG" >&2
	fi
	if swapon --show=NAME --noheadings | grep -qx "$SWAPFILE"; then
		swapoff "$SWAPFILE" || echo "record.sh: swapoff $SWAPFILE failed" >&2
	fi
	rm -f "$SWAPFILE"
	if [ -n "$mounted_tracefs" ]; then
		umount /sys/kernel/tracing 2>/dev/null || true
		mounted_tracefs=
	fi
	rm -rf "$W" /dev/shm/swapdiag-services-redis
}
stop_apache() {
	pf=$W/apache/run/httpd.pid
	[ -f "$pf" ] || return 0
	p=$(cat "$pf")
	kill -TERM "$p" 2>/dev/null || true
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$p" 2>/dev/null || true
	# the children of a killed parent (workers, the cgid daemon)
	for c in $(cat "$CG/cgroup.procs" 2>/dev/null); do
		case $(cat /proc/$c/comm 2>/dev/null) in apache2|hello.cgi) kill -KILL "$c" 2>/dev/null || true ;; esac
	done
	rm -f "$pf"
}
stop_redis() {
	pf=$W/redis/redis.pid
	[ -f "$pf" ] || return 0
	p=$(cat "$pf")
	redis-cli -p $RPORT shutdown nosave >/dev/null 2>&1 || kill -TERM "$p" 2>/dev/null || true
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL "$p" 2>/dev/null || true
	rm -f "$pf"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- machine setup ----------------------------------------------------------
rm -rf "$W"
mkdir -p "$W" "$OUT" "$top/testdata/kallsyms"
chmod 755 "$W"
if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs nodev /sys/kernel/tracing
	mounted_tracefs=1
fi
[ -d /sys/kernel/tracing/events/lock/contention_begin ] ||
	skip "this kernel has no lock:contention_begin tracepoint (5.19+)"
if [ ! -f "$SWAPFILE" ]; then
	dd if=/dev/zero of="$SWAPFILE" bs=1M count=1024 status=none
	chmod 600 "$SWAPFILE"
	mkswap "$SWAPFILE" >/dev/null
fi
swapon -p 100 "$SWAPFILE"
mkdir "$CG"
echo 100 >"$CG/memory.swappiness"

ks=$top/testdata/kallsyms/host-$(uname -r).kallsyms.zst
if [ ! -f "$ks" ]; then
	zstd -q -19 </proc/kallsyms >"$ks"
fi

# --- helpers ----------------------------------------------------------------
# mem PID...: one line per process: pid comm VmRSS VmSwap
mem() {
	for p in "$@"; do
		[ -r /proc/$p/status ] || continue
		awk -v p="$p" '/^Name:/{n=$2} /^VmRSS:/{r=$2} /^VmSwap:/{s=$2}
			END{printf "  pid %s %s VmRSS %s kB VmSwap %s kB\n", p, n, r, s}' /proc/$p/status
	done
}
# push: lower the cgroup's limit so its memory goes to swap, then lift it
# again (pages stay in swap until touched)
push() {
	echo $((PUSH_MIB * 1024 * 1024)) >"$CG/memory.limit_in_bytes" ||
		echo "record.sh: the limit could not reclaim everything (EBUSY)" >&2
	sleep 1
	echo -1 >"$CG/memory.limit_in_bytes"
}
in_cg() { sh -c "echo \$\$ >'$CG/cgroup.procs' && exec \"\$@\"" sh "$@"; }
psloop() {
	(
		while :; do
			ps -eo pid,stat,args >/dev/null 2>&1 || true
			top -b -n1 >/dev/null 2>&1 || true
		done
	) &
	loop_pids="$loop_pids $!"
}
stop_loops() {
	for p in $loop_pids; do kill "$p" 2>/dev/null || true; done
	for p in $loop_pids; do wait "$p" 2>/dev/null || true; done
	loop_pids=
}
PERF_EV="-e cpu-clock/freq=999/ -e sched:sched_switch -e lock:contention_begin -e lock:contention_end"
# Other users' storms on a shared machine would land in a system-wide
# recording: wait (up to 2 min) until no forkswap and no other perf runs.
quiet() {
	i=0
	while pgrep -x forkswap >/dev/null || pgrep -x perf >/dev/null; do
		sleep 1; i=$((i + 1))
		[ $i -lt 120 ] || { echo "record.sh: recording beside: $(pgrep -l -x 'forkswap|perf' | tr '\n' ' ')" >&2; break; }
	done
}
record() { # NAME SECONDS
	cmd="perf record --no-buildid-cache -z -a -g $PERF_EV -o testdata/services/$1.data -- sleep $2"
	echo "command: $cmd" >>"$meta"
	rm -f "$OUT/$1.data"
	(cd "$top" && perf record --no-buildid-cache -z -a -g $PERF_EV \
		-o "$OUT/$1.data" -- sleep "$2") >"$W/perf.out" 2>&1
	chmod 644 "$OUT/$1.data"
	sed 's/^/  perf: /' "$W/perf.out" >>"$meta"
}

# --- Apache -------------------------------------------------------------------
apache_conf() { # cgi|cgid
	d=$W/apache
	mkdir -p "$d/run" "$d/logs" "$d/cgi-bin" "$d/htdocs"
	chown www-data "$d/run"
	cat >"$d/cgi-bin/hello.cgi" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\nhello\n'
EOF
	chmod 755 "$d/cgi-bin/hello.cgi"
	# the preload: HEAP_MIB MiB of Perl strings in the parent, before it forks
	cat >"$d/startup.pl" <<EOF
package SwapdiagHeap;
our @heap;
push @heap, ('x' x 1000) . \$_ for 1 .. $HEAP_MIB * 1024;
open my \$fh, '>', '$d/run/heap-ready' or die; close \$fh;
1;
EOF
	if [ "$1" = cgi ]; then
		cgimod="LoadModule cgi_module $MODS/mod_cgi.so"
	else
		cgimod="LoadModule cgid_module $MODS/mod_cgid.so
ScriptSock $d/run/cgid.sock"
	fi
	cat >"$d/httpd.conf" <<EOF
ServerRoot $d
ServerName 127.0.0.1
Listen 127.0.0.1:$APORT
PidFile $d/run/httpd.pid
ErrorLog $d/logs/error.log
Mutex file:$d/run default
LoadModule mpm_prefork_module $MODS/mod_mpm_prefork.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule alias_module $MODS/mod_alias.so
LoadModule perl_module $MODS/mod_perl.so
$cgimod
User www-data
Group www-data
StartServers 8
MinSpareServers 8
MaxSpareServers 8
ServerLimit 8
MaxRequestWorkers 8
MaxConnectionsPerChild 0
DocumentRoot $d/htdocs
PerlRequire $d/startup.pl
ScriptAlias /cgi-bin/ $d/cgi-bin/
<Directory $d/cgi-bin>
	Require all granted
	Options +ExecCGI
</Directory>
EOF
}
apache_pids() { # the parent first, then its children
	p=$(cat "$W/apache/run/httpd.pid")
	echo "$p $(pgrep -P "$p" | tr '\n' ' ')"
}
scenario_apache() { # NAME cgi|cgid swapoff?
	name=$1
	meta=$OUT/$name.meta
	: >"$meta"
	apache_conf "$2"
	echo "scenario: $name (mod_$2${3:+, swapoff/swapon before the load}); heap $HEAP_MIB MiB of Perl strings preloaded in the parent; push limit $PUSH_MIB MiB" >>"$meta"
	echo "host: $(uname -r), boot $(cat /proc/sys/kernel/random/boot_id), $(nproc) CPUs" >>"$meta"
	in_cg apache2 -f "$W/apache/httpd.conf"
	i=0
	until [ -f "$W/apache/run/heap-ready" ] && [ -f "$W/apache/run/httpd.pid" ] &&
	      [ "$(apache_pids | wc -w)" -ge 9 ]; do
		sleep 0.2; i=$((i + 1))
		[ $i -lt 300 ] || { cat "$W/apache/logs/error.log" >&2; echo "record.sh: apache did not start" >&2; exit 1; }
	done
	sleep 1
	echo "started:" >>"$meta"; mem $(apache_pids) >>"$meta"
	push
	echo "after the push into swap:" >>"$meta"; mem $(apache_pids) >>"$meta"
	if [ -n "${3:-}" ]; then
		swapoff "$SWAPFILE"
		swapon -p 100 "$SWAPFILE"
		echo "after swapoff/swapon:" >>"$meta"; mem $(apache_pids) >>"$meta"
	fi
	url=http://127.0.0.1:$APORT/cgi-bin/hello.cgi
	[ "$(curl -s "$url" 2>/dev/null || wget -qO- "$url")" = hello ] ||
		{ echo "record.sh: the CGI does not answer" >&2; exit 1; }
	quiet
	ab -q -c 8 -n 1000000 -t $((DUR + 3)) "$url" >"$W/ab.out" 2>&1 &
	ab_pid=$!
	psloop
	sleep 1
	record "$name" "$DUR"
	wait $ab_pid || true
	stop_loops
	echo "load: ab -q -c 8 -n 1000000 -t $((DUR + 3)) $url; a ps -eo pid,stat,args + top -b -n1 loop" >>"$meta"
	grep -E '^(Complete requests|Failed requests|Requests per second|Time per request)' "$W/ab.out" | sed 's/^/  ab: /' >>"$meta"
	echo "after the load:" >>"$meta"; mem $(apache_pids) >>"$meta"
	stop_apache
	rm -rf "$W/apache"
}

# --- Redis --------------------------------------------------------------------
scenario_redis() {
	name=redis-bgsave
	meta=$OUT/$name.meta
	: >"$meta"
	d=$W/redis
	mkdir -p "$d"
	chown redis "$d" 2>/dev/null || true
	echo "scenario: $name; dataset DEBUG POPULATE $((REDIS_MIB * 10)) keys of 100000 bytes; push limit $PUSH_MIB MiB; the RDB file compressed, without checksum, in /dev/shm (a cheap child: more forks in the recording)" >>"$meta"
	echo "host: $(uname -r), boot $(cat /proc/sys/kernel/random/boot_id), $(nproc) CPUs" >>"$meta"
	rdbdir=/dev/shm/swapdiag-services-redis
	mkdir -p "$rdbdir"
	chown redis "$rdbdir" 2>/dev/null || true
	in_cg redis-server --bind 127.0.0.1 --port $RPORT --save '' --appendonly no \
		--dir "$rdbdir" --dbfilename dump.rdb --daemonize yes \
		--rdbcompression yes --rdbchecksum no \
		--pidfile "$d/redis.pid" --logfile "$d/redis.log" \
		--enable-debug-command local
	i=0
	until redis-cli -p $RPORT ping >/dev/null 2>&1; do
		sleep 0.2; i=$((i + 1))
		[ $i -lt 100 ] || { echo "record.sh: redis did not start" >&2; exit 1; }
	done
	redis-cli -p $RPORT DEBUG POPULATE $((REDIS_MIB * 10)) key 100000 >/dev/null
	rp=$(cat "$d/redis.pid")
	echo "started:" >>"$meta"; mem "$rp" >>"$meta"
	push
	echo "after the push into swap:" >>"$meta"; mem "$rp" >>"$meta"
	quiet
	(
		while :; do
			redis-cli -p $RPORT BGSAVE >/dev/null 2>&1 || true
			sleep 0.05
		done
	) &
	loop_pids="$loop_pids $!"
	psloop
	sleep 1
	record "$name" $((DUR + 2))
	stop_loops
	echo "load: a 'redis-cli BGSAVE; sleep 0.05' loop; a ps -eo pid,stat,args + top -b -n1 loop" >>"$meta"
	redis-cli -p $RPORT INFO persistence | tr -d '\r' |
		grep -E '^(rdb_bgsave_in_progress|rdb_last_bgsave_status|rdb_last_bgsave_time_sec|rdb_last_cow_size)' |
		sed 's/^/  redis: /' >>"$meta"
	redis-cli -p $RPORT INFO stats | tr -d '\r' | grep -E '^(total_forks|latest_fork_usec)' |
		sed 's/^/  redis: /' >>"$meta"
	echo "after the load:" >>"$meta"; mem "$rp" >>"$meta"
	stop_redis
}

for s in $scenarios; do
	echo "record.sh: $s"
	case $s in
	apache-cgi) scenario_apache "$s" cgi ;;
	apache-cgid) scenario_apache "$s" cgid ;;
	apache-swapoff) scenario_apache "$s" cgi swapoff ;;
	redis-bgsave) scenario_redis ;;
	esac
	ls -l "$OUT/$s.data"
done
