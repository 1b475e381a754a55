/*
 * corral.conf with libconfuse.
 */
#include "config.h"

#include <confuse.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "pctconf.h"
#include "settings.h"

const char *
corral_settings_path(void)
{
	return pct_getenv_default("CORRAL_CONFIG", "/etc/corral/corral.conf");
}

/* The first error libconfuse reports, with file and line. */
static __thread struct strbuf *errsink;

static void
on_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (!errsink || errsink->len)
		return;
	if (cfg && cfg->filename)
		strbuf_addf(errsink, "%s:%d: ", cfg->filename, cfg->line);
	strbuf_vaddf(errsink, fmt, ap);
}

static int
validate_output(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (strcmp(v, "kube") && strcmp(v, "manifests")) {
		cfg_error(cfg, "invalid value '%s' for option '%s' (expected kube or manifests)", v,
			  cfg_opt_name(opt));
		return -1;
	}
	return 0;
}

static int
validate_userns(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (strcmp(v, "auto") && strcmp(v, "yes") && strcmp(v, "no")) {
		cfg_error(cfg, "invalid value '%s' for option '%s' (expected auto, yes or no)", v,
			  cfg_opt_name(opt));
		return -1;
	}
	return 0;
}

static int
validate_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	long v = cfg_opt_getnint(opt, 0);

	if (v <= 0) {
		cfg_error(cfg, "invalid value %ld for option '%s' (must be positive)", v,
			  cfg_opt_name(opt));
		return -1;
	}
	return 0;
}

static int
validate_abs_path_list(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++) {
		const char *v = cfg_opt_getnstr(opt, i);

		if (v[0] != '/' || !strcmp(v, "/") || strstr(v, "/..") || strstr(v, "/./")) {
			cfg_error(cfg, "invalid path '%s' in option '%s' (an absolute path below /, without . or .. components)",
				  v, cfg_opt_name(opt));
			return -1;
		}
	}
	return 0;
}

static int
validate_mac_prefix(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);
	size_t i, n = strlen(v);

	/* ^[a-f0-9][02468ace](?::[a-f0-9]{2}){0,2}:?$ (case-insensitive) */
	if (n != 2 && n != 3 && n != 5 && n != 6 && n != 8 && n != 9)
		goto bad;
	for (i = 0; i < n; i++) {
		if (i % 3 == 2) {
			if (v[i] != ':')
				goto bad;
		} else if (!strchr("0123456789abcdefABCDEF", v[i])) {
			goto bad;
		}
	}
	if (!strchr("02468aceACE", v[1]))
		goto bad;
	return 0;
bad:
	cfg_error(cfg, "invalid value '%s' for option '%s' (a unicast MAC address prefix such as BC:24:11)",
		  v, cfg_opt_name(opt));
	return -1;
}

static char *
dupstr(cfg_t *cfg, const char *name)
{
	const char *v = cfg_getstr(cfg, name);

	return xstrdup(v ? v : "");
}

int
corral_settings_load(const char *path, struct corral_settings **out, struct pct_error **err)
{
	cfg_opt_t storage_opts[] = {
		CFG_STR("storage-class", "", CFGF_NONE),
		CFG_STR("snapshot-class", "", CFGF_NONE),
		CFG_END(),
	};
	cfg_opt_t template_opts[] = {
		CFG_STR("image", NULL, CFGF_NODEFAULT),
		CFG_END(),
	};
	cfg_opt_t opts[] = {
		CFG_STR("namespace", "corral", CFGF_NONE),
		CFG_STR("output", "manifests", CFGF_NONE),
		CFG_STR("manifest-dir", "/var/lib/corral/manifests", CFGF_NONE),
		CFG_STR("kubeconfig", "", CFGF_NONE),
		CFG_STR("context", "", CFGF_NONE),
		CFG_STR("kubectl", "kubectl", CFGF_NONE),
		CFG_INT("resync-interval", 300, CFGF_NONE),
		CFG_INT("debounce-ms", 50, CFGF_NONE),
		CFG_INT("request-timeout", 30, CFGF_NONE),
		CFG_BOOL("allow-privileged", cfg_false, CFGF_NONE),
		CFG_STR("user-namespaces", "auto", CFGF_NONE),
		CFG_STR_LIST("bind-mount-roots", "{}", CFGF_NONE),
		CFG_STR("prestart-image", PRESTART_IMAGE, CFGF_NONE),
		CFG_STR("default-storage", "local", CFGF_NONE),
		CFG_STR("mac-prefix", "BC:24:11", CFGF_NONE),
		CFG_INT("wait-timeout", 60, CFGF_NONE),
		CFG_INT("snapshot-timeout", 600, CFGF_NONE),
		CFG_INT("bind-timeout", 30, CFGF_NONE),
		CFG_SEC("storage", storage_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_SEC("template", template_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
		CFG_END(),
	};
	struct strbuf msg = STRBUF_INIT;
	struct corral_settings *s;
	struct stat st;
	cfg_t *cfg;
	unsigned i;
	int ret;

	if (!path)
		path = corral_settings_path();
	cfg = cfg_init(opts, CFGF_NONE);
	errsink = &msg;
	cfg_set_error_function(cfg, on_error);
	cfg_set_validate_func(cfg, "output", validate_output);
	cfg_set_validate_func(cfg, "user-namespaces", validate_userns);
	cfg_set_validate_func(cfg, "resync-interval", validate_positive);
	cfg_set_validate_func(cfg, "debounce-ms", validate_positive);
	cfg_set_validate_func(cfg, "request-timeout", validate_positive);
	cfg_set_validate_func(cfg, "wait-timeout", validate_positive);
	cfg_set_validate_func(cfg, "snapshot-timeout", validate_positive);
	cfg_set_validate_func(cfg, "bind-timeout", validate_positive);
	cfg_set_validate_func(cfg, "bind-mount-roots", validate_abs_path_list);
	cfg_set_validate_func(cfg, "mac-prefix", validate_mac_prefix);
	if (stat(path, &st) < 0 && errno == ENOENT) {
		path = NULL; /* built-in defaults */
	} else {
		ret = cfg_parse(cfg, path);
		if (ret != CFG_SUCCESS) {
			if (ret == CFG_FILE_ERROR)
				pct_error_errno(err, errno, "unable to read '%s'", path);
			else
				pct_error_set(err, PCT_E_INVALID, "%s",
					      msg.len ? msg.buf : "invalid settings file");
			errsink = NULL;
			strbuf_release(&msg);
			cfg_free(cfg);
			return -1;
		}
	}
	errsink = NULL;
	strbuf_release(&msg);
	s = xcalloc(1, sizeof(*s));
	s->path = path ? xstrdup(path) : NULL;
	s->namespace = dupstr(cfg, "namespace");
	s->output = dupstr(cfg, "output");
	s->manifest_dir = dupstr(cfg, "manifest-dir");
	s->kubeconfig = dupstr(cfg, "kubeconfig");
	s->context = dupstr(cfg, "context");
	s->kubectl = dupstr(cfg, "kubectl");
	s->resync_interval = cfg_getint(cfg, "resync-interval");
	s->debounce_ms = cfg_getint(cfg, "debounce-ms");
	s->request_timeout = cfg_getint(cfg, "request-timeout");
	s->allow_privileged = cfg_getbool(cfg, "allow-privileged");
	{
		const char *u = cfg_getstr(cfg, "user-namespaces");

		s->user_namespaces = !strcmp(u, "yes") ? 1 : !strcmp(u, "no") ? 0 : -1;
	}
	s->nbind_roots = cfg_size(cfg, "bind-mount-roots");
	s->bind_roots = xcalloc(s->nbind_roots + 1, sizeof(char *));
	for (i = 0; i < s->nbind_roots; i++)
		s->bind_roots[i] = xstrdup(cfg_getnstr(cfg, "bind-mount-roots", i));
	s->prestart_image = dupstr(cfg, "prestart-image");
	s->default_storage = dupstr(cfg, "default-storage");
	s->mac_prefix = dupstr(cfg, "mac-prefix");
	s->wait_timeout = cfg_getint(cfg, "wait-timeout");
	s->snapshot_timeout = cfg_getint(cfg, "snapshot-timeout");
	s->bind_timeout = cfg_getint(cfg, "bind-timeout");
	s->nstorages = cfg_size(cfg, "storage");
	s->storages = xcalloc(s->nstorages + 1, sizeof(*s->storages));
	for (i = 0; i < s->nstorages; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "storage", i);

		s->storages[i].id = xstrdup(cfg_title(sec));
		s->storages[i].storage_class = dupstr(sec, "storage-class");
		s->storages[i].snapshot_class = dupstr(sec, "snapshot-class");
	}
	if (!s->nstorages) {
		/* no storage table: the default storage on the cluster's default class */
		s->storages[0].id = xstrdup(s->default_storage);
		s->storages[0].storage_class = xstrdup("");
		s->storages[0].snapshot_class = xstrdup("");
		s->nstorages = 1;
	}
	s->ntemplates = cfg_size(cfg, "template");
	s->templates = xcalloc(s->ntemplates + 1, sizeof(*s->templates));
	for (i = 0; i < s->ntemplates; i++) {
		cfg_t *sec = cfg_getnsec(cfg, "template", i);

		s->templates[i].name = xstrdup(cfg_title(sec));
		s->templates[i].image = dupstr(sec, "image");
	}
	cfg_free(cfg);
	*out = s;
	return 0;
}

void
corral_settings_free(struct corral_settings *s)
{
	size_t i;

	if (!s)
		return;
	free(s->path);
	free(s->namespace);
	free(s->output);
	free(s->manifest_dir);
	free(s->kubeconfig);
	free(s->context);
	free(s->kubectl);
	for (i = 0; i < s->nbind_roots; i++)
		free(s->bind_roots[i]);
	free(s->bind_roots);
	free(s->prestart_image);
	free(s->default_storage);
	free(s->mac_prefix);
	for (i = 0; i < s->nstorages; i++) {
		free(s->storages[i].id);
		free(s->storages[i].storage_class);
		free(s->storages[i].snapshot_class);
	}
	free(s->storages);
	for (i = 0; i < s->ntemplates; i++) {
		free(s->templates[i].name);
		free(s->templates[i].image);
	}
	free(s->templates);
	free(s);
}

const struct corral_storage *
corral_settings_storage(const struct corral_settings *s, const char *id)
{
	size_t i;

	for (i = 0; i < s->nstorages; i++)
		if (!strcmp(s->storages[i].id, id))
			return &s->storages[i];
	return NULL;
}

const char *
corral_settings_template(const struct corral_settings *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntemplates; i++)
		if (!strcmp(s->templates[i].name, name))
			return s->templates[i].image;
	return NULL;
}

bool
corral_settings_bind_allowed(const struct corral_settings *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->nbind_roots; i++) {
		const char *root = s->bind_roots[i];
		size_t n = strlen(root);

		while (n > 1 && root[n - 1] == '/')
			n--;
		if (!strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0'))
			return true;
	}
	return false;
}
