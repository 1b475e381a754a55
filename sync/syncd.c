/*
 * corral-syncd: reconcile /etc/corral/ct/<ID>.conf into Kubernetes (or into
 * a directory of manifests when there is no cluster).
 *
 *   corral-syncd [--once] [--dry-run] [--foreground] [--debug] [--config FILE]
 *
 * The loop: one full pass at start, then wait for inotify events (configs
 * and desired-state files), API watch events, or a timer; events mark CTs
 * dirty and are debounced; a periodic full resync repairs drift and missed
 * events. Settings errors stop the agent before it touches anything.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "state.h"
#include "syncd.h"

static struct syncd *the_sd;

double
syncd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
vlog(const char *fmt, va_list ap)
{
	fputs("corral-syncd: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
syncd_log(struct syncd *sd, const char *fmt, ...)
{
	va_list ap;

	(void)sd;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
syncd_debug(struct syncd *sd, const char *fmt, ...)
{
	va_list ap;

	if (!sd->debug)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

static bool
strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void
strv_clear(char ***v, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		free((*v)[i]);
	free(*v);
	*v = NULL;
	*n = 0;
}

void
syncd_log_ct(struct syncd *sd, struct ct *ct, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	/*
	 * Once per change of state: no log floods while a CT keeps failing, nor
	 * when a pass has several messages (comparing with the last one only
	 * would print two alternating messages at every pass).
	 */
	if (strv_has(ct->logged_now, ct->nlogged_now, msg)) {
		free(msg);
		return;
	}
	if (!strv_has(ct->logged, ct->nlogged, msg))
		syncd_log(sd, "%s", msg);
	ct->logged_now = xrealloc(ct->logged_now, (ct->nlogged_now + 1) * sizeof(char *));
	ct->logged_now[ct->nlogged_now++] = msg;
}

void
syncd_log_ct_pass(struct ct *ct)
{
	strv_clear(&ct->logged, &ct->nlogged);
	ct->logged = ct->logged_now;
	ct->nlogged = ct->nlogged_now;
	ct->logged_now = NULL;
	ct->nlogged_now = 0;
}

void
syncd_ct_release(struct ct *ct)
{
	free(ct->error);
	strv_clear(&ct->logged, &ct->nlogged);
	strv_clear(&ct->logged_now, &ct->nlogged_now);
	free(ct->power);
	free(ct->applied_hashes);
	free(ct->restart_done);
	free(ct->resize_error);
	free(ct->resize_refused);
	cJSON_Delete(ct->ops);
	cJSON_Delete(ct->op_started);
	free(ct->stuck_uid);
	free(ct->deleted_pod_uid);
	free(ct->stuck_reason);
	free(ct->bind_error);
	cJSON_Delete(ct->volwatch);
	free(ct->start_failed);
}

struct ct *
syncd_ct(struct syncd *sd, unsigned vmid, bool create)
{
	size_t lo = 0, hi = sd->ncts;
	struct ct *ct;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sd->cts[mid].vmid == vmid)
			return &sd->cts[mid];
		if (sd->cts[mid].vmid < vmid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!create)
		return NULL;
	sd->cts = xgrow(sd->cts, sd->ncts + 1, &sd->acts, sizeof(*sd->cts));
	memmove(&sd->cts[lo + 1], &sd->cts[lo], (sd->ncts - lo) * sizeof(*sd->cts));
	ct = &sd->cts[lo];
	memset(ct, 0, sizeof(*ct));
	ct->vmid = vmid;
	ct->dirty = true;
	sd->ncts++;
	return ct;
}

/* ---- onboot: start CTs at boot, in startup order, waiting up= between ---- */

struct boot_item {
	unsigned vmid;
	long long order;
	long long up;
};

static struct boot_item *boot_queue;
static size_t nboot, bootpos;
static double next_boot;

static int
cmp_boot(const void *a, const void *b)
{
	const struct boot_item *x = a, *y = b;

	/* CTs without an order come last, then by vmid, as Proxmox's startall */
	if ((x->order < 0) != (y->order < 0))
		return x->order < 0 ? 1 : -1;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return x->vmid < y->vmid ? -1 : x->vmid > y->vmid;
}

/* Once per boot of the machine: the marker lives in CORRAL_RUNDIR (a tmpfs). */
static void
onboot_prepare(struct syncd *sd)
{
	_cleanup_free_ char *marker = xasprintf("%s/onboot.done", sd->rundir);
	size_t i;

	if (access(marker, F_OK) == 0)
		return;
	for (i = 0; i < sd->ncts; i++) {
		_cleanup_(pctconf_freep) struct pctconf *conf = NULL;
		_cleanup_error_ struct pct_error *err = NULL;
		long long order = -1, up = -1, down = -1;
		const char *st;

		if (!sd->cts[i].has_file || pctconf_load(sd->confdir, sd->cts[i].vmid, &conf, &err) < 0)
			continue;
		if (!pctconf_value_true(pctconf_get(&conf->main, "onboot")) ||
		    pctconf_value_true(pctconf_get(&conf->main, "template")))
			continue;
		st = pctconf_get(&conf->main, "startup");
		if (st)
			(void)pctconf_parse_startup(st, &order, &up, &down);
		boot_queue = xrealloc(boot_queue, (nboot + 1) * sizeof(*boot_queue));
		boot_queue[nboot].vmid = sd->cts[i].vmid;
		boot_queue[nboot].order = order;
		boot_queue[nboot].up = up;
		nboot++;
	}
	if (nboot) /* boot_queue is NULL then: qsort(NULL, 0) is undefined */
		qsort(boot_queue, nboot, sizeof(*boot_queue), cmp_boot);
	next_boot = syncd_now();
	if (nboot)
		syncd_log(sd, "starting %zu CT(s) marked onboot", nboot);
	else
		(void)pctconf_write_file_atomic(marker, "", 0, 0644, NULL);
}

/* the pod of a CT runs and is ready (manifests mode cannot see: yes) */
static bool
pod_running(struct syncd *sd, unsigned vmid)
{
	_cleanup_free_ char *name = xasprintf("ct-%u-0", vmid);
	const cJSON *pod, *phase, *cs;

	if (!sd->kube_mode)
		return true;
	pod = syncd_cache_get(sd, KIND_POD, name);
	if (!pod || syncd_pod_terminating(syncd_ct(sd, vmid, false), pod))
		return false;
	phase = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"), "phase");
	cs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pod, "status"),
					      "containerStatuses");
	return cJSON_IsString(phase) && !strcmp(phase->valuestring, "Running") &&
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cs, 0), "ready"));
}

/*
 * As Proxmox's startall: start one CT, wait until it runs (at most
 * wait-timeout), then its up= seconds, then the next.
 */
static unsigned boot_wait;
static long long boot_wait_up;
static double boot_wait_until;

static void
onboot_step(struct syncd *sd)
{
	struct boot_item *it;
	struct pctconf_lock lk = PCTCONF_LOCK_INIT;
	_cleanup_error_ struct pct_error *err = NULL;
	bool started = false;

	if (boot_wait) {
		bool up = pod_running(sd, boot_wait);

		if (!up && syncd_now() < boot_wait_until) {
			next_boot = syncd_now() + 0.25;
			return;
		}
		if (!up)
			syncd_log(sd, "CT %u: not running after %ld s; starting the next CT marked onboot",
				  boot_wait, sd->settings->wait_timeout);
		next_boot = syncd_now() + (up && boot_wait_up > 0 ? (double)boot_wait_up : 0);
		boot_wait = 0;
		return;
	}
	if (bootpos >= nboot || syncd_now() < next_boot)
		return;
	it = &boot_queue[bootpos++];
	if (pctconf_lock(it->vmid, PCTCONF_LOCK_EX, 10.0, NULL, &lk, &err) == 0) {
		cJSON *state = pct_state_load(it->vmid);

		if (strcmp(pct_state_power(state), "running") != 0 &&
		    pct_state_set_power(it->vmid, "running", &err) == 0) {
			syncd_log(sd, "CT %u: starting (onboot)", it->vmid);
			syncd_ct(sd, it->vmid, true)->dirty = true;
			started = true;
		}
		cJSON_Delete(state);
		pctconf_unlock(&lk);
	}
	if (err)
		syncd_log(sd, "CT %u: onboot start failed: %s", it->vmid, err->msg);
	next_boot = syncd_now();
	if (started && bootpos < nboot) {
		boot_wait = it->vmid;
		boot_wait_up = it->up;
		boot_wait_until = syncd_now() + (double)sd->settings->wait_timeout;
	}
	if (bootpos == nboot) {
		_cleanup_free_ char *marker = xasprintf("%s/onboot.done", sd->rundir);

		(void)pctconf_write_file_atomic(marker, "", 0, 0644, NULL);
		free(boot_queue);
		boot_queue = NULL;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	if (the_sd)
		the_sd->stop = 1;
}

static void
usage(FILE *f)
{
	fputs("usage: corral-syncd [--once] [--dry-run] [--foreground] [--debug] [--config FILE]\n"
	      "                    [--allow-mass-delete]\n"
	      "\n"
	      "  --once        one pass, then exit: 0 when everything converged, 1 otherwise\n"
	      "  --dry-run     print the changes a pass would make, per object; change nothing\n"
	      "  --foreground  stay in the foreground (the default; for systemd Type=simple)\n"
	      "  --debug       log every event and every request\n"
	      "  --config FILE read FILE instead of $CORRAL_CONFIG or /etc/corral/corral.conf\n"
	      "  --allow-mass-delete\n"
	      "                delete the objects of CTs whose files are gone even when most\n"
	      "                are gone at once (the guard against an unmounted directory)\n",
	      f);
}

static int connect_with(struct syncd *sd, const struct kube_config *kc, int *majorp, int *minorp,
			struct pct_error **err);

static int
connect_cluster(struct syncd *sd, struct pct_error **err)
{
	struct kube_config *kc = NULL;
	int major = 0, minor = 0;
	int ret;

	ret = kube_config_load(sd->settings->kubeconfig, sd->settings->context, &kc, err);
	if (ret < 0)
		return ret;
	ret = connect_with(sd, kc, &major, &minor, err);
	kube_config_free(kc);
	return ret;
}

static int
connect_with(struct syncd *sd, const struct kube_config *kc, int *majorp, int *minorp,
	     struct pct_error **err)
{
	static bool warned; /* once, not at every attempt to connect */
	int major = 0, minor = 0, ret;

	if (kc->insecure && !warned) {
		syncd_log(sd, "warning: %s: insecure-skip-tls-verify is set; the API server's certificate is not checked",
			  kc->source);
		warned = true;
	}
	ret = kube_open(kc, sd->settings->request_timeout, &sd->kube, err);
	if (ret < 0)
		return ret;
	ret = kube_server_version(sd->kube, &major, &minor, err);
	if (ret < 0)
		return pct_error_prefix(err, "unable to reach the API server %s", kc->server);
	if (kube_has_resource(sd->kube, "snapshot.storage.k8s.io/v1", "volumesnapshots",
			      &sd->has_snapshots, err) < 0)
		return -1;
	/* in-place pod resize: beta and on by default from 1.33 */
	if (kube_has_resource(sd->kube, "v1", "pods/resize", &sd->has_pod_resize, err) < 0)
		return -1;
	/* user namespaces (hostUsers: false): from what the nodes report (nodes.c) */
	if (syncd_userns_connect(sd, major, minor, err) < 0)
		return -1;
	syncd_log(sd, "connected to %s (Kubernetes %d.%d%s%s%s)", kc->server, major, minor,
		  sd->caps.user_namespaces ? ", user namespaces" : "",
		  sd->has_snapshots ? ", volume snapshots" : "",
		  sd->has_pod_resize ? ", in-place resize" : "");
	syncd_userns_log(sd);
	*majorp = major;
	*minorp = minor;
	return 0;
}

/* --debug: what went over the wire, for bench/bench-agent.sh */
static void
log_stats(struct syncd *sd)
{
	const struct kube_stats *st;

	if (!sd->debug || !sd->kube)
		return;
	st = kube_get_stats(sd->kube);
	syncd_debug(sd, "%lu requests (%lu writes), %llu bytes sent, %llu bytes received, %lu connections",
		    st->requests, st->writes, st->bytes_sent, st->bytes_received, st->connections);
}

/* Sleep, woken early by SIGTERM/SIGINT (no SA_RESTART: nanosleep returns EINTR). */
static void
nap(struct syncd *sd, double seconds)
{
	double end = syncd_now() + seconds;

	while (!sd->stop && syncd_now() < end) {
		double left = end - syncd_now();
		struct timespec ts = {.tv_sec = (time_t)left,
				      .tv_nsec = (long)((left - (double)(time_t)left) * 1e9)};

		(void)nanosleep(&ts, NULL);
	}
}

/* An error reaching or using the API server (not a settings or kubeconfig error). */
static bool
api_error(const struct pct_error *err)
{
	return err && err->code >= KUBE_E_HTTP && err->code < KUBE_E_TRANSPORT + 1000;
}

/*
 * Connect and fill the cache. A daemon that cannot reach the API server at
 * start (the cluster boots after us, a network outage, a server refusing us
 * for now) keeps trying with backoff, 1 s doubling to 30 s, and says so once
 * per kind of failure (a connection error, an HTTP status: the texts differ
 * in details such as libcurl's timings); --once and kubeconfig errors end at
 * once.
 */
static int
connect_and_sync(struct syncd *sd, struct pct_error **err)
{
	int said = 0;
	double delay = 1;
	int ret;

	for (;;) {
		ret = connect_cluster(sd, err);
		if (ret == 0)
			ret = syncd_cache_sync(sd, err);
		if (ret == 0 || sd->once || !api_error(*err))
			return ret;
		/* alive, only not connected: pct need not think the agent is gone
		 * (before the log line, so that whoever reads it finds the heartbeat) */
		syncd_heartbeat(sd);
		if (said != (*err)->code) {
			syncd_log(sd, "%s; retrying with backoff (up to 30 s)", (*err)->msg);
			said = (*err)->code;
		} else {
			syncd_debug(sd, "%s; retrying in %.0f s", (*err)->msg, delay);
		}
		pct_error_free(err);
		syncd_cache_release(sd);
		syncd_userns_stop(sd);
		if (sd->kube) {
			kube_close(sd->kube);
			sd->kube = NULL;
		}
		nap(sd, delay);
		if (sd->stop)
			return pct_error_set(err, EINTR, "stopped before reaching the API server");
		delay = delay * 2 > 30 ? 30 : delay * 2;
	}
}

static int
wait_events(struct syncd *sd, double deadline)
{
	int timeout = (int)((deadline - syncd_now()) * 1000);
	int fd = syncd_watch_fd();

	if (timeout < 0)
		timeout = 0;
	if (sd->kube_mode) {
		_cleanup_error_ struct pct_error *err = NULL;
		int r = kube_wait(sd->kube, fd, timeout, &err);

		if (r < 0 && !sd->stop)
			syncd_log(sd, "%s", err->msg);
		return r;
	}
	{
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, timeout);

		return r > 0 ? 1 : 0;
	}
}

static int
loop(struct syncd *sd)
{
	double next_resync = syncd_now() + (double)sd->settings->resync_interval;
	double next_heartbeat = syncd_now() + 10;
	double debounce = (double)sd->settings->debounce_ms / 1000.0;
	double dirty_since = 0;
	double last_check = syncd_now();

	while (!sd->stop) {
		double now = syncd_now(), deadline = next_resync;
		size_t i;
		bool any_dirty = false, retry_due = false, full;

		syncd_cache_trim(sd);
		for (i = 0; i < sd->ncts; i++) {
			/* a CT that asked to be looked at again (observe.c): its time came */
			if (sd->cts[i].recheck_at && sd->cts[i].recheck_at <= now) {
				sd->cts[i].recheck_at = 0;
				sd->cts[i].dirty = true;
			} else if (sd->cts[i].recheck_at && sd->cts[i].recheck_at < deadline) {
				deadline = sd->cts[i].recheck_at;
			}
			if (!sd->cts[i].dirty)
				continue;
			any_dirty = true;
			if (sd->cts[i].next_attempt && sd->cts[i].next_attempt < deadline)
				deadline = sd->cts[i].next_attempt;
			if (sd->cts[i].next_attempt <= now)
				retry_due = true;
		}
		if (any_dirty && retry_due) {
			if (!dirty_since)
				dirty_since = now;
			if (dirty_since + debounce < deadline)
				deadline = dirty_since + debounce;
		}
		if (next_heartbeat < deadline)
			deadline = next_heartbeat;
		if (bootpos < nboot && next_boot < deadline)
			deadline = next_boot;
		if (last_check + syncd_watch_check_interval() < deadline)
			deadline = last_check + syncd_watch_check_interval();
		if (sd->kube_mode) {
			double retry = syncd_cache_next_retry(sd);

			if (retry && retry < deadline)
				deadline = retry;
			retry = syncd_userns_next_retry(sd);
			if (retry && retry < deadline)
				deadline = retry;
		}
		wait_events(sd, deadline);
		if (sd->stop)
			break;
		if (syncd_watch_drain(sd) && !dirty_since)
			dirty_since = syncd_now();
		now = syncd_now();
		last_check = now;
		/* the config directory appeared, went or was replaced: read everything */
		full = syncd_watch_check(sd);
		if (sd->kube_mode) {
			syncd_cache_rewatch(sd);
			syncd_userns_rewatch(sd);
		}
		if (now >= next_resync || full) {
			if (now >= next_resync) {
				syncd_debug(sd, "periodic resync");
				syncd_userns_resync(sd);
			}
			(void)syncd_reconcile_all(sd);
			next_resync = now + (double)sd->settings->resync_interval;
			dirty_since = 0;
		} else if (dirty_since && now >= dirty_since + debounce) {
			(void)syncd_reconcile_dirty(sd);
			dirty_since = 0;
		}
		if (now >= next_heartbeat) {
			syncd_heartbeat(sd);
			next_heartbeat = now + 10;
		}
		if (bootpos < nboot && now >= next_boot) {
			onboot_step(sd);
			if (!dirty_since)
				dirty_since = syncd_now();
		}
	}
	return 0;
}

#ifndef SYNCD_NO_MAIN /* the fuzz targets link the agent without its main() */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },	  { "dry-run", no_argument, NULL, 'n' },
		{ "foreground", no_argument, NULL, 'f' }, { "debug", no_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "allow-mass-delete", no_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_error_ struct pct_error *err = NULL;
	struct syncd sd = { 0 };
	const char *config = NULL;
	struct sigaction sa;
	int c, ret;

	while ((c = getopt_long(argc, argv, "onfdc:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			sd.once = true;
			break;
		case 'n':
			sd.dry_run = sd.once = true;
			break;
		case 'f':
			sd.foreground = true;
			break;
		case 'd':
			sd.debug = true;
			break;
		case 'M':
			sd.allow_mass_delete = true;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("corral-syncd " PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (corral_settings_load(config, &sd.settings, &err) < 0) {
		fprintf(stderr, "corral-syncd: %s\n", err->msg);
		return 2;
	}
	sd.confdir = pctconf_confdir();
	sd.statedir = pctconf_statedir();
	sd.rundir = pctconf_rundir();
	sd.kube_mode = !strcmp(sd.settings->output, "kube");
	the_sd = &sd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sd.kube_mode) {
		ret = connect_and_sync(&sd, &err);
		if (ret < 0 && sd.stop) {
			syncd_log(&sd, "stopping");
			syncd_heartbeat_remove(&sd);
			ret = 0;
			goto out;
		}
		if (ret < 0) {
			fprintf(stderr, "corral-syncd: %s\n", err->msg);
			ret = 2;
			goto out;
		}
	} else {
		syncd_log(&sd, "no cluster: writing manifests to %s", sd.settings->manifest_dir);
		/* manifests are for a cluster we do not see: assume a current one */
		syncd_userns_manifests(&sd);
	}
	if (!sd.once && syncd_watch_init(&sd, &err) < 0) {
		fprintf(stderr, "corral-syncd: %s\n", err->msg);
		ret = 2;
		goto out;
	}
	if (!sd.dry_run) {
		/* what an agent killed mid-write (SIGKILL, a crash) left: only we write here */
		_cleanup_free_ char *ctdir = xasprintf("%s/ct", sd.rundir);

		pctconf_remove_stale_temps(sd.rundir, NULL);
		pctconf_remove_stale_temps(ctdir, NULL);
		if (!sd.kube_mode)
			pctconf_remove_stale_temps(sd.settings->manifest_dir, NULL);
		syncd_heartbeat(&sd);
	}
	ret = syncd_reconcile_all(&sd);
	if (sd.once) {
		ret = sd.converged && ret == 0 ? 0 : 1;
		goto out;
	}
	if (!sd.dry_run)
		onboot_prepare(&sd);
	ret = loop(&sd);
	syncd_log(&sd, "stopping");
	syncd_heartbeat_remove(&sd);
	free(boot_queue);
out:
	log_stats(&sd);
	if (!sd.once)
		syncd_watch_close();
	if (sd.kube_mode)
		syncd_cache_release(&sd);
	syncd_userns_release(&sd);
	if (sd.kube)
		kube_close(sd.kube);
	{
		size_t i;

		for (i = 0; i < sd.ncts; i++)
			syncd_ct_release(&sd.cts[i]);
		free(sd.cts);
	}
	corral_settings_free(sd.settings);
	return ret;
}
#endif /* SYNCD_NO_MAIN */
