/*
 * kubeconfig files (libyaml) and the in-cluster service account.
 *
 * A kubeconfig is read as kubectl reads it: $KUBECONFIG may list several
 * files (the first file that sets a value wins), current-context selects a
 * context, the context names a cluster and a user. Paths are relative to the
 * file that names them. Errors name the file and, where there is one, the
 * line. Values of credentials never appear in messages.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "kube-internal.h"
#include "pct-error.h"
#include "pct-util.h"

#define KUBECONFIG_MAX (16 << 20)
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kcfile {
	char *path;
	char *dir;
	yaml_document_t doc;
	bool loaded;
};

struct kcset {
	struct kcfile *files;
	size_t n;
};

static void
kcset_release(struct kcset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].dir);
		if (s->files[i].loaded)
			yaml_document_delete(&s->files[i].doc);
	}
	free(s->files);
	s->files = NULL;
	s->n = 0;
}

void
kube_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
kube_config_free(struct kube_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->server);
	free(cfg->ca_file);
	free(cfg->ca_data);
	kube_free_secret(cfg->token);
	free(cfg->token_file);
	free(cfg->cert_file);
	free(cfg->cert_data);
	free(cfg->key_file);
	kube_free_secret(cfg->key_data);
	free(cfg->namespace);
	free(cfg->source);
	free(cfg);
}

void
kube_config_freep(struct kube_config **cfg)
{
	if (cfg && *cfg) {
		kube_config_free(*cfg);
		*cfg = NULL;
	}
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

struct kube_config *
kube_config_dup(const struct kube_config *cfg)
{
	struct kube_config *c = xcalloc(1, sizeof(*c));

	c->server = dup_or_null(cfg->server);
	c->ca_file = dup_or_null(cfg->ca_file);
	c->ca_data = dup_or_null(cfg->ca_data);
	c->insecure = cfg->insecure;
	c->token = dup_or_null(cfg->token);
	c->token_file = dup_or_null(cfg->token_file);
	c->cert_file = dup_or_null(cfg->cert_file);
	c->cert_data = dup_or_null(cfg->cert_data);
	c->key_file = dup_or_null(cfg->key_file);
	c->key_data = dup_or_null(cfg->key_data);
	c->namespace = dup_or_null(cfg->namespace);
	c->source = dup_or_null(cfg->source);
	return c;
}

/* ---- YAML helpers ---- */

static size_t
yline(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

/* A scalar's text; NULL for null (~, null, empty plain scalar) and non-scalars. */
static const char *
yscalar(const yaml_node_t *n)
{
	const char *v;

	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	v = (const char *)n->data.scalar.value;
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	     !strcmp(v, "NULL")))
		return NULL;
	return v;
}

static yaml_node_t *
ymap_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(d, p->value);
	}
	return NULL;
}

/* The line of key in map (for messages about a key whose value spans lines). */
static size_t
ykey_line(yaml_document_t *d, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);

		if (k && k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yline(k);
	}
	return yline(map);
}

/* Parse text (len bytes) as the YAML of f. */
static int
kc_load_text(struct kcfile *f, const char *text, size_t len, struct pct_error **err)
{
	yaml_parser_t parser;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&parser))
		return pct_error_set(err, ENOMEM, "cannot read kubeconfig '%s': out of memory",
				     f->path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &f->doc)) {
		if (parser.context)
			pct_error_set(err, PCT_E_PARSE,
				      "kubeconfig '%s': line %zu, column %zu: %s %s (line %zu)",
				      f->path, parser.problem_mark.line + 1,
				      parser.problem_mark.column + 1, parser.problem,
				      parser.context, parser.context_mark.line + 1);
		else
			pct_error_set(err, PCT_E_PARSE, "kubeconfig '%s': line %zu, column %zu: %s",
				      f->path, parser.problem_mark.line + 1,
				      parser.problem_mark.column + 1,
				      parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);
	f->loaded = true;
	root = yaml_document_get_root_node(&f->doc);
	if (root && root->type != YAML_MAPPING_NODE &&
	    !(root->type == YAML_SCALAR_NODE && !yscalar(root)))
		return pct_error_set(err, PCT_E_PARSE, "kubeconfig '%s': line %zu: not a mapping",
				     f->path, yline(root));
	return 0;
}

/* A new entry of s for path (its directory resolves relative paths). */
static struct kcfile *
kcset_new(struct kcset *s, const char *path)
{
	struct kcfile *f;
	const char *slash;

	s->files = xrealloc(s->files, (s->n + 1) * sizeof(*s->files));
	f = &s->files[s->n++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	slash = strrchr(path, '/');
	f->dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	return f;
}

static int
kcset_add(struct kcset *s, const char *path, struct pct_error **err)
{
	struct kcfile *f = kcset_new(s, path);
	_cleanup_free_ char *text = NULL;
	size_t len;
	int ret;

	ret = pct_read_file(f->path, KUBECONFIG_MAX, &text, &len);
	if (ret < 0)
		return pct_error_errno(err, errno, "cannot read kubeconfig '%s'", f->path);
	return kc_load_text(f, text, len, err);
}

/* A top-level scalar, from the first file that sets it. */
static const char *
kc_top_scalar(struct kcset *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++) {
		yaml_document_t *d = &s->files[i].doc;
		const char *v = yscalar(ymap_get(d, yaml_document_get_root_node(d), key));

		if (v)
			return v;
	}
	return NULL;
}

/*
 * The `what` ("cluster", "context", "user") map of the entry called name in
 * the list `list` ("clusters", ...), from the first file that has it.
 */
static int
kc_find(struct kcset *s, const char *list, const char *what, const char *name, struct kcfile **file,
	yaml_node_t **node, struct pct_error **err)
{
	for (size_t i = 0; i < s->n; i++) {
		yaml_document_t *d = &s->files[i].doc;
		yaml_node_t *seq = ymap_get(d, yaml_document_get_root_node(d), list);
		yaml_node_item_t *it;

		if (!seq || (seq->type == YAML_SCALAR_NODE && !yscalar(seq)))
			continue;
		if (seq->type != YAML_SEQUENCE_NODE)
			return pct_error_set(err, PCT_E_PARSE,
					     "kubeconfig '%s': line %zu: '%s' is not a list",
					     s->files[i].path, yline(seq), list);
		for (it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(d, *it);
			const char *n = yscalar(ymap_get(d, e, "name"));
			yaml_node_t *v;

			if (!n || strcmp(n, name))
				continue;
			v = ymap_get(d, e, what);
			if (v && v->type != YAML_MAPPING_NODE && yscalar(v))
				return pct_error_set(
					err, PCT_E_PARSE,
					"kubeconfig '%s': line %zu: %s '%s' is not a mapping",
					s->files[i].path, yline(v), what, name);
			*file = &s->files[i];
			*node = v && v->type == YAML_MAPPING_NODE ? v : NULL;
			return 0;
		}
	}
	if (s->n == 1)
		return pct_error_set(err, PCT_E_NOENT, "kubeconfig '%s': %s '%s' not found",
				     s->files[0].path, what, name);
	return pct_error_set(err, PCT_E_NOENT, "kubeconfig: %s '%s' not found in %zu files", what,
			     name, s->n);
}

static char *
kc_path(struct kcfile *f, const char *p)
{
	if (p[0] == '/')
		return xstrdup(p);
	return xasprintf("%s/%s", f->dir, p);
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decode base64 (standard or URL alphabet, padding optional, whitespace ignored). */
static char *
b64decode(const char *in, size_t *outlen)
{
	size_t n = strlen(in), o = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0, pad = 0;

	for (const char *p = in; *p; p++) {
		int v;

		if (pct_isspace((unsigned char)*p))
			continue;
		if (*p == '=') {
			pad++;
			continue;
		}
		if (pad)
			goto bad;
		v = b64val((unsigned char)*p);
		if (v < 0)
			goto bad;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits >= 6 || pad > 2)
		goto bad;
	out[o] = '\0';
	*outlen = o;
	return out;
bad:
	free(out);
	return NULL;
}

/* A field of a cluster/user map: a string, or an error naming the line (not the value). */
static int
kc_field(struct kcfile *f, yaml_node_t *map, const char *key, const char **out,
	 struct pct_error **err)
{
	yaml_node_t *n = ymap_get(&f->doc, map, key);

	*out = NULL;
	if (!n)
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return pct_error_set(err, PCT_E_PARSE,
				     "kubeconfig '%s': line %zu: '%s' is not a string", f->path,
				     yline(n), key);
	*out = yscalar(n);
	return 0;
}

static int
kc_data(struct kcfile *f, yaml_node_t *map, const char *key, const char *owner, char **out,
	struct pct_error **err)
{
	const char *v;
	size_t len;
	int ret;

	ret = kc_field(f, map, key, &v, err);
	if (ret < 0 || !v)
		return ret;
	*out = b64decode(v, &len);
	if (!*out)
		return pct_error_set(err, PCT_E_PARSE,
				     "kubeconfig '%s': line %zu: '%s' of %s is not valid base64",
				     f->path, yline(ymap_get(&f->doc, map, key)), key, owner);
	if (len == 0 || memchr(*out, '\0', len)) {
		free(*out);
		*out = NULL;
		return pct_error_set(err, PCT_E_PARSE,
				     "kubeconfig '%s': line %zu: '%s' of %s is not PEM data",
				     f->path, yline(ymap_get(&f->doc, map, key)), key, owner);
	}
	return 0;
}

static int
kc_bool(struct kcfile *f, yaml_node_t *map, const char *key, bool *out, struct pct_error **err)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	yaml_node_t *n = ymap_get(&f->doc, map, key);
	const char *v = yscalar(n);

	if (!v)
		return 0;
	for (int i = 0; yes[i]; i++)
		if (!pct_strcasecmp(v, yes[i])) {
			*out = true;
			return 0;
		}
	for (int i = 0; no[i]; i++)
		if (!pct_strcasecmp(v, no[i])) {
			*out = false;
			return 0;
		}
	return pct_error_set(err, PCT_E_PARSE,
			     "kubeconfig '%s': line %zu: '%s' must be true or false, not '%s'",
			     f->path, yline(n), key, v);
}

static int
kc_cluster(struct kcset *s, const char *name, struct kube_config *cfg, struct pct_error **err)
{
	_cleanup_free_ char *owner = xasprintf("cluster '%s'", name);
	struct kcfile *f;
	yaml_node_t *c;
	const char *v;
	int ret;

	ret = kc_find(s, "clusters", "cluster", name, &f, &c, err);
	if (ret < 0)
		return ret;
	ret = kc_field(f, c, "server", &v, err);
	if (ret < 0)
		return ret;
	if (!v)
		return pct_error_set(err, PCT_E_PARSE, "kubeconfig '%s': %s has no server", f->path,
				     owner);
	if (!str_has_prefix(v, "https://") && !str_has_prefix(v, "http://"))
		return pct_error_set(err, PCT_E_PARSE,
				     "kubeconfig '%s': line %zu: the server of %s is not an "
				     "https:// or http:// URL",
				     f->path, yline(ymap_get(&f->doc, c, "server")), owner);
	{
		const char *host = strstr(v, "://") + 3;
		const char *end = host + strcspn(host, "/?#");
		const char *at = memchr(host, '@', (size_t)(end - host));

		if (at)
			return pct_error_set(
				err, PCT_E_PARSE,
				"kubeconfig '%s': line %zu: the server URL of %s must not "
				"contain credentials",
				f->path, yline(ymap_get(&f->doc, c, "server")), owner);
	}
	cfg->server = xstrdup(v);
	/* "https://host:6443/" and "https://host:6443" are the same server */
	while (str_has_suffix(cfg->server, "/") && strlen(cfg->server) > strlen("https://"))
		cfg->server[strlen(cfg->server) - 1] = '\0';
	ret = kc_field(f, c, "certificate-authority", &v, err);
	if (ret < 0)
		return ret;
	if (v)
		cfg->ca_file = kc_path(f, v);
	ret = kc_data(f, c, "certificate-authority-data", owner, &cfg->ca_data, err);
	if (ret < 0)
		return ret;
	return kc_bool(f, c, "insecure-skip-tls-verify", &cfg->insecure, err);
}

static int
kc_user(struct kcset *s, const char *name, struct kube_config *cfg, struct pct_error **err)
{
	_cleanup_free_ char *owner = xasprintf("user '%s'", name);
	struct kcfile *f;
	yaml_node_t *u;
	const char *v;
	int ret;

	ret = kc_find(s, "users", "user", name, &f, &u, err);
	if (ret < 0)
		return ret;
	if (ymap_get(&f->doc, u, "exec"))
		return pct_error_set(
			err, PCT_E_INVALID,
			"kubeconfig '%s': line %zu: %s uses an exec credential plugin, "
			"which is not supported: use a token or a client certificate",
			f->path, ykey_line(&f->doc, u, "exec"), owner);
	if (ymap_get(&f->doc, u, "auth-provider"))
		return pct_error_set(
			err, PCT_E_INVALID,
			"kubeconfig '%s': line %zu: %s uses an auth-provider, which is not "
			"supported: use a token or a client certificate",
			f->path, ykey_line(&f->doc, u, "auth-provider"), owner);
	if (ymap_get(&f->doc, u, "username") || ymap_get(&f->doc, u, "password"))
		return pct_error_set(
			err, PCT_E_INVALID,
			"kubeconfig '%s': %s uses basic authentication, which Kubernetes "
			"no longer supports: use a token or a client certificate",
			f->path, owner);
	ret = kc_field(f, u, "token", &v, err);
	if (ret < 0)
		return ret;
	if (v)
		cfg->token = xstrdup(v);
	ret = kc_field(f, u, "tokenFile", &v, err);
	if (ret < 0)
		return ret;
	if (v)
		cfg->token_file = kc_path(f, v);
	ret = kc_field(f, u, "client-certificate", &v, err);
	if (ret < 0)
		return ret;
	if (v)
		cfg->cert_file = kc_path(f, v);
	ret = kc_field(f, u, "client-key", &v, err);
	if (ret < 0)
		return ret;
	if (v)
		cfg->key_file = kc_path(f, v);
	ret = kc_data(f, u, "client-certificate-data", owner, &cfg->cert_data, err);
	if (ret < 0)
		return ret;
	ret = kc_data(f, u, "client-key-data", owner, &cfg->key_data, err);
	if (ret < 0)
		return ret;
	if ((cfg->cert_file || cfg->cert_data) != (cfg->key_file || cfg->key_data))
		return pct_error_set(
			err, PCT_E_INVALID, "kubeconfig '%s': %s has a client %s but no client %s",
			f->path, owner, cfg->cert_file || cfg->cert_data ? "certificate" : "key",
			cfg->cert_file || cfg->cert_data ? "key" : "certificate");
	return 0;
}

static int
kc_resolve(struct kcset *s, const char *context, struct kube_config *cfg, struct pct_error **err)
{
	struct kcfile *f;
	yaml_node_t *ctx;
	const char *cluster, *user, *ns;
	int ret;

	if (!context || !*context) {
		context = kc_top_scalar(s, "current-context");
		if (!context) {
			if (s->n == 1)
				return pct_error_set(err, PCT_E_INVALID,
						     "kubeconfig '%s': no current-context, and no "
						     "context was given",
						     s->files[0].path);
			return pct_error_set(err, PCT_E_INVALID,
					     "kubeconfig: no current-context in %zu files, and no "
					     "context was given",
					     s->n);
		}
	}
	ret = kc_find(s, "contexts", "context", context, &f, &ctx, err);
	if (ret < 0)
		return ret;
	ret = kc_field(f, ctx, "cluster", &cluster, err);
	if (ret == 0)
		ret = kc_field(f, ctx, "user", &user, err);
	if (ret == 0)
		ret = kc_field(f, ctx, "namespace", &ns, err);
	if (ret < 0)
		return ret;
	if (!cluster)
		return pct_error_set(err, PCT_E_INVALID,
				     "kubeconfig '%s': context '%s' has no cluster", f->path,
				     context);
	cfg->namespace = xstrdup(ns ? ns : "default");
	ret = kc_cluster(s, cluster, cfg, err);
	if (ret < 0)
		return ret;
	if (user)
		return kc_user(s, user, cfg, err);
	return 0;
}

/* ---- in-cluster ---- */

static char *
read_trimmed(const char *path, int *errnum)
{
	char *text;
	size_t len;

	if (pct_read_file(path, 1 << 20, &text, &len) < 0) {
		*errnum = errno;
		return NULL;
	}
	while (len > 0 && pct_isspace((unsigned char)text[len - 1]))
		text[--len] = '\0';
	return text;
}

static int
kube_config_in_cluster(const char *tried, struct kube_config **out, struct pct_error **err)
{
	_cleanup_(kube_config_freep) struct kube_config *cfg = NULL;
	const char *dir = pct_getenv_default("CORRAL_SERVICEACCOUNT_DIR", SA_DIR);
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	_cleanup_free_ char *ca = NULL;
	_cleanup_free_ char *nsfile = NULL;
	char *tok;
	int errnum = 0;

	if (!host || !*host || !port || !*port)
		return pct_error_set(
			err, PCT_E_NOENT,
			"no kubeconfig (%s) and not running in a cluster "
			"(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)",
			tried);
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->server = strchr(host, ':') ? xasprintf("https://[%s]:%s", host, port)
					: xasprintf("https://%s:%s", host, port);
	cfg->token_file = xasprintf("%s/token", dir);
	tok = read_trimmed(cfg->token_file, &errnum);
	if (!tok)
		return pct_error_errno(err, errnum,
				       "in-cluster: cannot read the service account token '%s'",
				       cfg->token_file);
	kube_free_secret(tok);
	ca = xasprintf("%s/ca.crt", dir);
	if (access(ca, R_OK) == 0)
		cfg->ca_file = steal_ptr(ca);
	nsfile = xasprintf("%s/namespace", dir);
	cfg->namespace = read_trimmed(nsfile, &errnum);
	if (!cfg->namespace || !*cfg->namespace) {
		free(cfg->namespace);
		cfg->namespace = xstrdup("default");
	}
	cfg->source = xstrdup("in-cluster");
	*out = steal_ptr(cfg);
	return 0;
}

/* ---- entry points ---- */

/* The configuration of a set of loaded files. */
static int
kcset_config(struct kcset *set, const char *context, struct kube_config **out,
	     struct pct_error **err)
{
	_cleanup_(kube_config_freep) struct kube_config *cfg = xcalloc(1, sizeof(*cfg));
	struct strbuf sources = STRBUF_INIT;
	int ret;

	ret = kc_resolve(set, context, cfg, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < set->n; i++) {
		if (i)
			strbuf_addch(&sources, ':');
		strbuf_addstr(&sources, set->files[i].path);
	}
	cfg->source = strbuf_detach(&sources, NULL);
	*out = steal_ptr(cfg);
	return 0;
}

int
kube_config_parse(const char *name, const char *text, size_t len, const char *context,
		  struct kube_config **out, struct pct_error **err)
{
	struct kcset set = {NULL, 0};
	int ret;

	if (len > KUBECONFIG_MAX)
		return pct_error_set(err, EFBIG, "kubeconfig '%s': larger than %d MiB", name,
				     KUBECONFIG_MAX >> 20);
	ret = kc_load_text(kcset_new(&set, name), text, len, err);
	if (ret == 0)
		ret = kcset_config(&set, context, out, err);
	kcset_release(&set);
	return ret;
}

int
kube_config_load(const char *path, const char *context, struct kube_config **out,
		 struct pct_error **err)
{
	struct kcset set = {NULL, 0};
	_cleanup_free_ char *tried = NULL;
	int ret = 0;

	if (path && *path) {
		ret = kcset_add(&set, path, err);
	} else {
		const char *env = getenv("KUBECONFIG");
		const char *home = getenv("HOME");

		if (env && *env) {
			_cleanup_free_ char *list = xstrdup(env);
			char *save = NULL;

			tried = xasprintf("$KUBECONFIG '%s'", env);
			for (char *p = strtok_r(list, ":", &save); p && ret == 0;
			     p = strtok_r(NULL, ":", &save))
				if (access(p, F_OK) == 0)
					ret = kcset_add(&set, p, err);
		} else if (home && *home) {
			_cleanup_free_ char *def = xasprintf("%s/.kube/config", home);

			tried = xasprintf("'%s'", def);
			if (access(def, F_OK) == 0)
				ret = kcset_add(&set, def, err);
		} else {
			tried = xstrdup("$KUBECONFIG and $HOME are not set");
		}
		if (ret == 0 && set.n == 0) {
			kcset_release(&set);
			return kube_config_in_cluster(tried, out, err);
		}
	}
	if (ret == 0)
		ret = kcset_config(&set, context, out, err);
	kcset_release(&set);
	return ret;
}
