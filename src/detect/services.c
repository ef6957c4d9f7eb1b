/* SPDX-License-Identifier: MIT */
/*
 * Service knowledge as data: which programs fork, how to recognise them in
 * a recording (the executable's base name, or the comm when the executable
 * is not known), and what to change in each, with the facts a remedy needs
 * to apply (swap findings or not, one big forker or many, lock contended
 * or not).  A new service is a new row here.  Rows are shown in order.
 */
#include <stddef.h>

#include "detect/services.h"

/* Executable base names and comms; a trailing '*' matches a prefix
 * (python3.11, php-fpm8.2). */
static const char *const apache[] = {"apache2", "httpd", "httpd-prefork",
	"httpd.worker", "apache2*", NULL};
static const char *const redis[] = {"redis-server", "redis-check-rdb",
	"redis-check-aof", "redis-rdb-bgsave", "redis-aof-rewrite", "valkey-server",
	NULL};
static const char *const postgres[] = {"postgres", "postmaster", NULL};
static const char *const gunicorn[] = {"gunicorn", "gunicorn*", NULL};
static const char *const uwsgi[] = {"uwsgi", "uwsgi*", NULL};
static const char *const unicorn[] = {"unicorn", "unicorn*", NULL};
static const char *const puma[] = {"puma", "puma*", NULL};
static const char *const php_fpm[] = {"php-fpm*", NULL};
static const char *const python[] = {"python*", NULL};
static const char *const small_daemons[] = {"cron", "crond", "anacron",
	"sshd", "atd", "systemd", "zabbix_agentd", "zabbix_agent2", "nagios",
	"nrpe", "telegraf", "collectd", "snmpd", "icinga2", "puppet", "chef-client",
	"salt-minion", NULL};

/* Forking is the design (a snapshot, a backend, a worker): spawning
 * instead or not inheriting memory is no remedy. */
static const char *const snapshot_fork[] = {"posix_spawn", "madv_dontfork",
	NULL};
static const char *const worker_fork[] = {"posix_spawn", NULL};

const struct sd_service sd_services[] = {
	{"apache", "Apache httpd", apache, NULL},
	{"redis", "Redis", redis, snapshot_fork},
	{"postgresql", "PostgreSQL", postgres, worker_fork},
	{"gunicorn", "gunicorn", gunicorn, worker_fork},
	{"uwsgi", "uWSGI", uwsgi, worker_fork},
	{"unicorn", "unicorn", unicorn, worker_fork},
	{"puma", "Puma", puma, worker_fork},
	{"php-fpm", "PHP-FPM", php_fpm, worker_fork},
	{"python", "Python", python, NULL},
	{"daemons", "cron, sshd and monitoring agents", small_daemons, NULL},
};
const size_t sd_nr_services = sizeof sd_services / sizeof *sd_services;

const struct sd_service_remedy sd_service_remedies[] = {
	{{"mod_cgid",
	  "Apache httpd: use mod_cgid instead of mod_cgi, so that one small "
	  "daemon forks the CGIs instead of every worker - and load it so that "
	  "the cgid daemon starts before any large preload (mod_perl "
	  "PerlModule/startup.pl, PHP), or it inherits the heap too."},
	 "apache", SR_MANY,
	 "several worker processes fork the CGIs themselves (mod_cgi), each "
	 "copying the page tables of the whole worker"},
	{{"apache_small_launcher",
	  "Apache httpd: one process forks every CGI and carries the service's "
	  "memory - with mod_cgid, the cgid daemon started after mod_perl/PHP "
	  "preloading inherits the heap, so mod_cgid gains nothing. Keep the "
	  "CGI launcher small: do not preload the large heap in the parent "
	  "(load it per child), run the CGIs from a separate small httpd "
	  "instance, or serve them over FastCGI (mod_proxy_fcgi)."},
	 "apache", SR_SINGLE,
	 "a single process makes all the forks, so it is the launcher itself "
	 "that is large (already mod_cgid, or a single forking parent)"},
	{{"redis_persistence",
	  "Redis: BGSAVE and AOF rewrites fork the whole dataset. Keep Redis "
	  "out of swap (maxmemory well below RAM; memory.swap.max=0 for its "
	  "cgroup), save less often (save/auto-aof-rewrite-percentage), or "
	  "persist on a replica; Redis's latency guide (latency doctor, "
	  "'fork' in INFO's latest_fork_usec) measures each fork."},
	 "redis", 0,
	 "Redis forks for BGSAVE / AOF rewrite with its dataset in memory"},
	{{"postgres_pooler",
	  "PostgreSQL forks a backend per connection: put a pooler "
	  "(PgBouncer, pgpool-II) in front so connections are reused, and keep "
	  "the postmaster's memory out of swap."},
	 "postgresql", 0,
	 "the postmaster forks a backend for every new connection"},
	{{"gunicorn_workers",
	  "gunicorn: workers are forked from the master (with --preload, one "
	  "carrying the whole app); raise --max-requests so workers are "
	  "recycled less often, and keep the master out of swap."},
	 "gunicorn", 0,
	 "the gunicorn master forks workers"},
	{{"uwsgi_workers",
	  "uWSGI: workers and mules are forked from the master; raise "
	  "max-requests / reload-on-rss limits so they respawn less often, and "
	  "keep the master small (lazy-apps) or out of swap."},
	 "uwsgi", 0,
	 "the uWSGI master forks workers"},
	{{"unicorn_workers",
	  "unicorn: workers are forked from a preloaded master; recycle them "
	  "less often (unicorn-worker-killer limits) and keep the master out "
	  "of swap."},
	 "unicorn", 0,
	 "the unicorn master forks workers"},
	{{"puma_workers",
	  "Puma (cluster mode): workers are forked from the master "
	  "(preload_app!); restart them less often (worker_timeout, "
	  "puma_worker_killer) and keep the master out of swap."},
	 "puma", 0,
	 "the Puma master forks workers"},
	{{"php_fpm_workers",
	  "PHP-FPM: children are forked from the master; use pm = static or "
	  "raise pm.max_requests so they are respawned less often, and keep the "
	  "master out of swap."},
	 "php-fpm", 0,
	 "the PHP-FPM master forks children"},
	{{"python_start_method",
	  "Python multiprocessing: use the 'forkserver' or 'spawn' start "
	  "method (multiprocessing.set_start_method) so children do not fork "
	  "the large parent; subprocess uses vfork/posix_spawn when it can."},
	 "python", 0,
	 "a Python process forks (multiprocessing's default fork start method "
	 "on Linux before 3.14, or os.fork)"},
	{{"restart_small_daemon",
	  "cron, sshd and agents fork for every job, login or check; they are "
	  "here because their own memory is in swap: restart them (their "
	  "memory comes back in), or keep them out of swap (systemd "
	  "MemorySwapMax=0 for their units)."},
	 "daemons", SR_SWAP,
	 "a small daemon forks often with its memory in swap"},
};
const size_t sd_nr_service_remedies =
	sizeof sd_service_remedies / sizeof *sd_service_remedies;
