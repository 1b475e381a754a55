/*
 * Run tests/sync/fake-apiserver.py from a C test: start it on a free port
 * (with TLS and the test PKI of mkcerts.sh, or plain HTTP), write kubeconfigs
 * for it, talk to its /_fake/ controls and API with a libcurl handle of our
 * own (so that libkube's counters only see libkube's requests), stop it.
 * Everything lives in one temporary directory per test program.
 */
#ifndef FAKE_H
#define FAKE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

#define FAKE_TOKEN "corral-test-token"

struct fake {
	pid_t pid;
	int port;
	bool tls;
	char *dir; /* the fake's own directory: port file, log, kubeconfigs */
	char *url; /* https://127.0.0.1:PORT or http://... */
};

/* The test's temporary directory, made on first use. */
const char *fake_tmpdir(void);
/* The test PKI (ca.crt, client.crt/key, other-ca.crt, ...), made on first use. */
const char *fake_certs(void);
/* Start a fake; args: extra command line arguments, NULL-terminated (may be NULL). */
int fake_start(struct fake *f, const char *name, bool tls, const char *const *args);
void fake_stop(struct fake *f);
/* Remove the temporary directory (kept, and named, when keep is true). */
void fake_cleanup(bool keep);

/*
 * A request with our own handle: the bearer token, the test CA. Returns the
 * HTTP status (0 on a transport failure); *resp gets the JSON answer or NULL.
 */
long fake_http(struct fake *f, const char *method, const char *path, const char *ctype,
	       const char *body, cJSON **resp);
/* POST (or GET when body is NULL) a /_fake/ control; returns the HTTP status. */
long fake_ctl(struct fake *f, const char *path, const char *json);
/* How many API requests the fake logged with this method and a path containing sub. */
int fake_log_count(struct fake *f, const char *method, const char *sub);
/* A number from /_fake/stats. */
long fake_stat(struct fake *f, const char *key);

/*
 * Write a kubeconfig for f as <fake dir>/<name>, returns its path (free it).
 * mode: "token", "cert", "cert-data", "ca-data", "insecure", "wrong-ca",
 * "no-ca", "other-client", "bad-token", "token-file" (token in
 * <fake dir>/token, relative path).
 */
char *fake_kubeconfig(struct fake *f, const char *name, const char *mode);

/* Write a file (whole), returns 0 or -1. */
int fake_write_file(const char *path, const char *text);

#endif
