/*
 * The C side of fake-lib.sh: see fake.h.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake.h"
#include "pct-util.h"

static char *tmpdir;
static char *certs;

static const char *
srcdir(void)
{
	return pct_getenv_default("top_srcdir", ".");
}

const char *
fake_tmpdir(void)
{
	if (!tmpdir) {
		char *t = xasprintf("%s/corral-kube.XXXXXX", pct_getenv_default("TMPDIR", "/tmp"));

		if (!mkdtemp(t)) {
			printf("# cannot make a temporary directory: %s\n", strerror(errno));
			exit(99);
		}
		tmpdir = t;
	}
	return tmpdir;
}

const char *
fake_certs(void)
{
	if (!certs) {
		char *dir = xasprintf("%s/pki", fake_tmpdir());
		char *cmd = xasprintf("'%s/tests/sync/mkcerts.sh' '%s'", srcdir(), dir);

		if (system(cmd) != 0) {
			printf("# mkcerts.sh failed\n");
			exit(99);
		}
		free(cmd);
		certs = dir;
	}
	return certs;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
fake_cleanup(bool keep)
{
	if (!tmpdir)
		return;
	if (keep)
		printf("# kept %s\n", tmpdir);
	else
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpdir);
	free(certs);
	tmpdir = certs = NULL;
}

int
fake_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
fake_start(struct fake *f, const char *name, bool tls, const char *const *args)
{
	const char *argv[64];
	char *portfile, *logfile, *script, *parent, *token;
	char *crt = NULL, *key = NULL, *ca = NULL;
	int n = 0;
	long deadline;

	memset(f, 0, sizeof(*f));
	f->tls = tls;
	f->dir = xasprintf("%s/%s", fake_tmpdir(), name);
	mkdir(f->dir, 0755);
	portfile = xasprintf("%s/port", f->dir);
	logfile = xasprintf("%s/log", f->dir);
	script = xasprintf("%s/tests/sync/fake-apiserver.py", srcdir());
	parent = xasprintf("%d", (int)getpid());
	token = xasprintf("%s:corral-test", FAKE_TOKEN);
	unlink(portfile);
	argv[n++] = pct_getenv_default("PYTHON", "python3");
	argv[n++] = script;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--write-port-file";
	argv[n++] = portfile;
	argv[n++] = "--parent-pid";
	argv[n++] = parent;
	argv[n++] = "--lifetime";
	argv[n++] = "900";
	argv[n++] = "--token";
	argv[n++] = token;
	argv[n++] = "--quiet";
	if (tls) {
		crt = xasprintf("%s/server.crt", fake_certs());
		key = xasprintf("%s/server.key", fake_certs());
		ca = xasprintf("%s/ca.crt", fake_certs());
		argv[n++] = "--tls-cert";
		argv[n++] = crt;
		argv[n++] = "--tls-key";
		argv[n++] = key;
		argv[n++] = "--client-ca";
		argv[n++] = ca;
	}
	for (; args && *args && n < 62; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	fflush(stdout);
	f->pid = fork();
	if (f->pid == 0) {
		int fd = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	free(crt);
	free(key);
	free(ca);
	free(parent);
	free(token);
	free(script);
	deadline = mono_ms() + 20000;
	for (;;) {
		char *text = NULL;
		size_t len;
		int status;

		if (pct_read_file(portfile, 64, &text, &len) == 0 && len > 0) {
			f->port = atoi(text);
			free(text);
			break;
		}
		free(text);
		if (waitpid(f->pid, &status, WNOHANG) == f->pid || mono_ms() > deadline) {
			printf("# the fake API server did not start, see %s\n", logfile);
			f->pid = 0;
			free(portfile);
			free(logfile);
			return -1;
		}
		usleep(20000);
	}
	free(portfile);
	free(logfile);
	f->url = xasprintf("%s://127.0.0.1:%d", tls ? "https" : "http", f->port);
	return 0;
}

void
fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
	free(f->dir);
	free(f->url);
	f->dir = f->url = NULL;
}

static size_t
collect(char *data, size_t size, size_t n, void *ud)
{
	strbuf_add(ud, data, size * n);
	return size * n;
}

long
fake_http(struct fake *f, const char *method, const char *path, const char *ctype, const char *body,
	  cJSON **resp)
{
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = NULL;
	struct strbuf out = STRBUF_INIT;
	char *url = xasprintf("%s%s", f->url, path);
	char *ca = f->tls ? xasprintf("%s/ca.crt", fake_certs()) : NULL;
	char *ct = ctype ? xasprintf("Content-Type: %s", ctype) : NULL;
	long code = 0;

	if (resp)
		*resp = NULL;
	hdr = curl_slist_append(hdr, "Authorization: Bearer " FAKE_TOKEN);
	if (ct)
		hdr = curl_slist_append(hdr, ct);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	if (ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (resp && out.len)
		*resp = cJSON_ParseWithLength(out.buf, out.len);
	strbuf_release(&out);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	free(url);
	free(ca);
	free(ct);
	return code;
}

long
fake_ctl(struct fake *f, const char *path, const char *json)
{
	return fake_http(f, json ? "POST" : "GET", path, json ? "application/json" : NULL, json,
			 NULL);
}

int
fake_log_count(struct fake *f, const char *method, const char *sub)
{
	cJSON *log = NULL;
	const cJSON *e;
	int n = 0;

	fake_http(f, "GET", "/_fake/log", NULL, NULL, &log);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(log, "requests"))
	{
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "method"));
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "path"));

		if (m && p && (!method || !strcmp(m, method)) && (!sub || strstr(p, sub)))
			n++;
	}
	cJSON_Delete(log);
	return n;
}

long
fake_stat(struct fake *f, const char *key)
{
	cJSON *s = NULL;
	long v = -1;

	fake_http(f, "GET", "/_fake/stats", NULL, NULL, &s);
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, key)))
		v = (long)cJSON_GetObjectItemCaseSensitive(s, key)->valuedouble;
	cJSON_Delete(s);
	return v;
}

static char *
b64file(const char *path)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct strbuf sb = STRBUF_INIT;
	char *data = NULL;
	size_t len, i;

	if (pct_read_file(path, 1 << 20, &data, &len) < 0)
		return xstrdup("");
	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8 |
			     (unsigned char)data[i + 2];

		strbuf_addch(&sb, tab[v >> 18]);
		strbuf_addch(&sb, tab[(v >> 12) & 63]);
		strbuf_addch(&sb, tab[(v >> 6) & 63]);
		strbuf_addch(&sb, tab[v & 63]);
	}
	if (len - i == 1) {
		unsigned v = (unsigned char)data[i] << 16;

		strbuf_addch(&sb, tab[v >> 18]);
		strbuf_addch(&sb, tab[(v >> 12) & 63]);
		strbuf_addstr(&sb, "==");
	} else if (len - i == 2) {
		unsigned v = (unsigned char)data[i] << 16 | (unsigned char)data[i + 1] << 8;

		strbuf_addch(&sb, tab[v >> 18]);
		strbuf_addch(&sb, tab[(v >> 12) & 63]);
		strbuf_addch(&sb, tab[(v >> 6) & 63]);
		strbuf_addch(&sb, '=');
	}
	free(data);
	return strbuf_detach(&sb, NULL);
}

char *
fake_kubeconfig(struct fake *f, const char *name, const char *mode)
{
	struct strbuf sb = STRBUF_INIT;
	const char *pki = f->tls ? fake_certs() : NULL;
	char *path = xasprintf("%s/%s", f->dir, name);

	strbuf_addf(&sb,
		    "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
		    "clusters:\n- name: fake\n  cluster:\n    server: %s\n",
		    f->url);
	if (f->tls) {
		if (!strcmp(mode, "insecure")) {
			strbuf_addstr(&sb, "    insecure-skip-tls-verify: true\n");
		} else if (!strcmp(mode, "ca-data") || !strcmp(mode, "cert-data")) {
			char *p = xasprintf("%s/ca.crt", pki), *d = b64file(p);

			strbuf_addf(&sb, "    certificate-authority-data: %s\n", d);
			free(p);
			free(d);
		} else if (!strcmp(mode, "wrong-ca")) {
			strbuf_addf(&sb, "    certificate-authority: %s/other-ca.crt\n", pki);
		} else if (strcmp(mode, "no-ca")) {
			strbuf_addf(&sb, "    certificate-authority: %s/ca.crt\n", pki);
		}
	}
	strbuf_addstr(&sb, "contexts:\n- name: fake\n  context:\n    cluster: fake\n"
			   "    user: fake-user\n    namespace: default\n"
			   "users:\n- name: fake-user\n  user:\n");
	if (!strcmp(mode, "cert")) {
		strbuf_addf(&sb,
			    "    client-certificate: %s/client.crt\n"
			    "    client-key: %s/client.key\n",
			    pki, pki);
	} else if (!strcmp(mode, "other-client")) {
		strbuf_addf(&sb,
			    "    client-certificate: %s/other-client.crt\n"
			    "    client-key: %s/other-client.key\n",
			    pki, pki);
	} else if (!strcmp(mode, "cert-data")) {
		char *p = xasprintf("%s/client.crt", pki), *c = b64file(p);
		char *q = xasprintf("%s/client.key", pki), *k = b64file(q);

		strbuf_addf(&sb, "    client-certificate-data: %s\n    client-key-data: %s\n", c,
			    k);
		free(p);
		free(c);
		free(q);
		free(k);
	} else if (!strcmp(mode, "bad-token")) {
		strbuf_addstr(&sb, "    token: not-the-right-token\n");
	} else if (!strcmp(mode, "token-file")) {
		char *tf = xasprintf("%s/token", f->dir);

		fake_write_file(tf, FAKE_TOKEN "\n");
		free(tf);
		strbuf_addstr(&sb, "    tokenFile: token\n");
	} else {
		strbuf_addstr(&sb, "    token: " FAKE_TOKEN "\n");
	}
	fake_write_file(path, sb.buf);
	strbuf_release(&sb);
	return path;
}
