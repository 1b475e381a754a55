/*
 * parse_pct_config (§2), rule for rule. The Perl regexes are matched by hand
 * (same results, including their backtracking quirks); each rule's comment
 * gives the regex it implements. Parsing never fails: every problem becomes
 * a warning with its line, and the line is kept or dropped exactly as
 * Proxmox keeps or drops it.
 */
#include "config.h"

#include <string.h>

#include "pctconf.h"

struct line {
	const char *s;
	size_t len;
	unsigned no;
};

static bool
all_space(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!pct_isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* strip \s from both ends */
static void
trim(const char **s, size_t *len)
{
	while (*len && pct_isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && pct_isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* ^\[pve:pending\]\s*$ (case-insensitive) */
static bool
match_pending_header(const char *s, size_t len)
{
	static const char hdr[] = "[pve:pending]";
	size_t i, n = sizeof(hdr) - 1;

	if (len < n)
		return false;
	for (i = 0; i < n; i++)
		if (pct_tolower((unsigned char)s[i]) != hdr[i])
			return false;
	return all_space(s + n, len - n);
}

/* ^\[([a-z][a-z0-9_\-]+)\]\s*$ (case-insensitive); the name goes to name, nlen */
static bool
match_section_header(const char *s, size_t len, const char **name, size_t *nlen)
{
	size_t i = 1;

	if (len < 4 || s[0] != '[' || !pct_isalpha((unsigned char)s[1]))
		return false;
	i = 2;
	while (i < len && (pct_isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
		i++;
	if (i < 3 || i >= len || s[i] != ']')
		return false;
	if (!all_space(s + i + 1, len - i - 1))
		return false;
	*name = s + 1;
	*nlen = i - 1;
	return true;
}

/*
 * ^(lxc\.[a-z0-9_\-\.]+)(:|\s*=)\s*(.*?)\s*$
 * The key class holds neither ':' nor '=' nor blanks, so the greedy key
 * never needs to give anything back.
 */
static bool
match_lxc(const char *s, size_t len, size_t *klen, const char **val, size_t *vlen)
{
	size_t i = 4;

	if (len < 5 || memcmp(s, "lxc.", 4) != 0)
		return false;
	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || pct_isdigit((unsigned char)s[i]) ||
			   s[i] == '_' || s[i] == '-' || s[i] == '.'))
		i++;
	if (i == 4)
		return false;
	*klen = i;
	if (i < len && s[i] == ':') {
		i++;
	} else {
		while (i < len && pct_isspace((unsigned char)s[i]))
			i++;
		if (i >= len || s[i] != '=')
			return false;
		i++;
	}
	*val = s + i;
	*vlen = len - i;
	trim(val, vlen);
	return true;
}

/* ^<word>:\s*(.*\S)\s*$ -- the stripped rest must not be empty */
static bool
match_word_colon(const char *s, size_t len, const char *word, const char **val, size_t *vlen)
{
	size_t n = strlen(word);

	if (len <= n || memcmp(s, word, n) != 0 || s[n] != ':')
		return false;
	*val = s + n + 1;
	*vlen = len - n - 1;
	trim(val, vlen);
	return *vlen > 0;
}

/* snapstate:\s*(prepare|delete)\s*$ -- unanchored: any occurrence will do */
static const char *
match_snapstate(const char *s, size_t len)
{
	static const char tag[] = "snapstate:";
	size_t n = sizeof(tag) - 1, i;

	for (i = 0; i + n <= len; i++) {
		const char *v;
		size_t vlen;

		if (memcmp(s + i, tag, n) != 0)
			continue;
		v = s + i + n;
		vlen = len - i - n;
		trim(&v, &vlen);
		if (vlen == 7 && !memcmp(v, "prepare", 7))
			return "prepare";
		if (vlen == 6 && !memcmp(v, "delete", 6))
			return "delete";
	}
	return NULL;
}

/*
 * ^([a-z][a-z_]*\d*):\s*(.+?)\s*$
 * When the rest after the colon is only blanks, the regex backtracks so that
 * (.+?) takes the last blank: "swap: " stores " ".
 */
static bool
match_key(const char *s, size_t len, size_t *klen, const char **val, size_t *vlen)
{
	size_t i = 1;

	if (!len || s[0] < 'a' || s[0] > 'z')
		return false;
	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	while (i < len && pct_isdigit((unsigned char)s[i]))
		i++;
	if (i >= len || s[i] != ':')
		return false;
	*klen = i;
	i++;
	if (i >= len)
		return false;
	if (all_space(s + i, len - i)) {
		*val = s + len - 1;
		*vlen = 1;
		return true;
	}
	*val = s + i;
	*vlen = len - i;
	trim(val, vlen);
	return true;
}

/* ---- lxc.* keys (§2.3) ---- */

static const char *const lxc_valid[] = {
	"lxc.apparmor.allow_incomplete",
	"lxc.apparmor.allow_nesting",
	"lxc.apparmor.profile",
	"lxc.apparmor.raw",
	"lxc.arch",
	"lxc.autodev",
	"lxc.cap.drop",
	"lxc.cap.keep",
	"lxc.console.logfile",
	"lxc.console.path",
	"lxc.devtty.dir",
	"lxc.environment",
	"lxc.environment.hooks",
	"lxc.environment.runtime",
	"lxc.group",
	"lxc.hook.autodev",
	"lxc.hook.clone",
	"lxc.hook.destroy",
	"lxc.hook.mount",
	"lxc.hook.post-stop",
	"lxc.hook.pre-mount",
	"lxc.hook.pre-start",
	"lxc.hook.start",
	"lxc.hook.stop",
	"lxc.hook.version",
	"lxc.idmap",
	"lxc.include",
	"lxc.init.cmd",
	"lxc.init.cwd",
	"lxc.init.gid",
	"lxc.init.groups",
	"lxc.init.uid",
	"lxc.kmsg",
	"lxc.log.file",
	"lxc.log.level",
	"lxc.mount.auto",
	"lxc.mount.entry",
	"lxc.mount.fstab",
	"lxc.pty.max",
	"lxc.rootfs.mount",
	"lxc.seccomp.notify.cookie",
	"lxc.seccomp.notify.proxy",
	"lxc.seccomp.profile",
	"lxc.selinux.context",
	"lxc.signal.halt",
	"lxc.signal.reboot",
	"lxc.signal.stop",
	"lxc.start.auto",
	"lxc.start.delay",
	"lxc.start.order",
	"lxc.sysctl.fs.mqueue",
	"lxc.sysctl.kernel.msgmax",
	"lxc.sysctl.kernel.msgmnb",
	"lxc.sysctl.kernel.msgmni",
	"lxc.sysctl.kernel.sem",
	"lxc.sysctl.kernel.shm_rmid_forced",
	"lxc.sysctl.kernel.shmall",
	"lxc.sysctl.kernel.shmmax",
	"lxc.sysctl.kernel.shmmni",
	"lxc.tty.max",
	"lxc.uts.name",
};

static const struct {
	const char *key;
	const char *msg;
} lxc_rejected[] = {
	{ "lxc.rootfs.options",
	  "lxc.rootfs.options is not supported, please use mount point options in the \"rootfs\" key" },
	{ "lxc.rootfs.path", "lxc.rootfs.path is auto generated from rootfs" },
};

static const struct {
	const char *key;
	const char *new_name;
} lxc_deprecated[] = {
	{ "lxc.aa_allow_incomplete", "lxc.apparmor.allow_incomplete" },
	{ "lxc.aa_profile", "lxc.apparmor.profile" },
	{ "lxc.console", "lxc.console.path" },
	{ "lxc.devttydir", "lxc.tty.dir" },
	{ "lxc.haltsignal", "lxc.signal.halt" },
	{ "lxc.id_map", "lxc.idmap" },
	{ "lxc.init_cmd", "lxc.init.cmd" },
	{ "lxc.logfile", "lxc.log.file" },
	{ "lxc.loglevel", "lxc.log.level" },
	{ "lxc.mount", "lxc.mount.fstab" },
	{ "lxc.network.flags", "lxc.net.INDEX.flags" },
	{ "lxc.network.hwaddr", "lxc.net.INDEX.hwaddr" },
	{ "lxc.network.ipv4", "lxc.net.INDEX.ipv4.address" },
	{ "lxc.network.ipv4.gateway", "lxc.net.INDEX.ipv4.gateway" },
	{ "lxc.network.ipv6", "lxc.net.INDEX.ipv6.address" },
	{ "lxc.network.ipv6.gateway", "lxc.net.INDEX.ipv6.gateway" },
	{ "lxc.network.link", "lxc.net.INDEX.link" },
	{ "lxc.network.mtu", "lxc.net.INDEX.mtu" },
	{ "lxc.network.name", "lxc.net.INDEX.name" },
	{ "lxc.network.script.down", "lxc.net.INDEX.script.down" },
	{ "lxc.network.script.up", "lxc.net.INDEX.script.up" },
	{ "lxc.network.type", "lxc.net.INDEX.type" },
	{ "lxc.pts", "lxc.pty.max" },
	{ "lxc.rebootsignal", "lxc.signal.reboot" },
	{ "lxc.se_context", "lxc.selinux.context" },
	{ "lxc.seccomp", "lxc.seccomp.profile" },
	{ "lxc.stopsignal", "lxc.signal.stop" },
	{ "lxc.tty", "lxc.tty.max" },
	{ "lxc.utsname", "lxc.uts.name" },
};

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * is_valid_lxc_conf_key: VALID (maybe with a warning in *warn), REJECTED
 * (message in *warn) or INVALID.
 */
enum pctconf_lxc_validity
pctconf_lxc_key_validity(unsigned vmid, const char *key, char **warn)
{
	size_t i;

	*warn = NULL;
	if (str_has_prefix(key, "lxc.limit.")) {
		*warn = xasprintf("vm %u - %s: lxc.limit.* was renamed to lxc.prlimit.*", vmid, key);
		return PCTCONF_LXC_VALID;
	}
	for (i = 0; i < ARRAY_SIZE(lxc_deprecated); i++) {
		if (!strcmp(key, lxc_deprecated[i].key)) {
			*warn = xasprintf("vm %u - %s is deprecated and was renamed to %s", vmid, key,
					  lxc_deprecated[i].new_name);
			return PCTCONF_LXC_VALID;
		}
	}
	if (bsearch(&key, lxc_valid, ARRAY_SIZE(lxc_valid), sizeof(lxc_valid[0]), cmp_cstr))
		return PCTCONF_LXC_VALID;
	for (i = 0; i < ARRAY_SIZE(lxc_rejected); i++) {
		if (!strcmp(key, lxc_rejected[i].key)) {
			*warn = xasprintf("vm %u - %s: %s", vmid, key, lxc_rejected[i].msg);
			return PCTCONF_LXC_REJECTED;
		}
	}
	if (str_has_prefix(key, "lxc.cgroup.")) {
		*warn = xasprintf("vm %u - %s is deprecated, this will be a hard error in the future!",
				  vmid, key);
		return PCTCONF_LXC_VALID;
	}
	if (str_has_prefix(key, "lxc.cgroup2.") || str_has_prefix(key, "lxc.prlimit.") ||
	    str_has_prefix(key, "lxc.net."))
		return PCTCONF_LXC_VALID;
	return PCTCONF_LXC_INVALID;
}

/* ---- the parser ---- */

struct parser {
	struct pctconf *conf;
	struct pctconf_section *cur;
	struct strbuf descr;
	unsigned descr_line;
	bool in_pending;
};

static void
warn_line(struct parser *p, unsigned line, const char *key, const char *fmt, const char *a,
	  size_t alen)
{
	_cleanup_free_ char *q = pct_quote_bytes(a, alen);

	pctconf_diag_add(p->conf, PCTCONF_ERROR, line, key, fmt, p->conf->vmid, q);
}

/* $conf->{description} = $descr if $descr -- Perl truthiness: not "" and not "0" */
static void
flush_description(struct parser *p)
{
	if (p->descr.len && !(p->descr.len == 1 && p->descr.buf[0] == '0')) {
		pctconf_set_description(p->cur, p->descr.buf, p->descr.len);
		p->cur->desc_line = p->descr_line;
	}
	strbuf_reset(&p->descr);
	p->descr_line = 0;
}

static void
add_descr(struct parser *p, const char *s, size_t len, bool newline, unsigned line)
{
	size_t dlen;
	_cleanup_free_ char *d = pctconf_decode_text(s, len, &dlen);

	if (!p->descr_line)
		p->descr_line = line;
	strbuf_add(&p->descr, d, dlen);
	if (newline)
		strbuf_addch(&p->descr, '\n');
}

static void
parse_lxc(struct parser *p, const struct line *l, size_t klen, const char *val, size_t vlen)
{
	_cleanup_free_ char *key = xstrndup(l->s, klen);
	_cleanup_free_ char *warn = NULL;
	enum pctconf_lxc_validity v;

	if (!strcmp(key, "lxc.environment.runtime")) {
		struct pctconf_section *s = p->cur;

		if (s->env) {
			struct strbuf sb = STRBUF_INIT;

			strbuf_add(&sb, s->env, s->env_len);
			strbuf_addch(&sb, '\0');
			strbuf_add(&sb, val, vlen);
			pctconf_set_env(s, sb.buf, sb.len);
			strbuf_release(&sb);
		} else {
			pctconf_set_env(s, val, vlen);
			s->env_line = l->no;
		}
		return;
	}
	v = pctconf_lxc_key_validity(p->conf->vmid, key, &warn);
	if (warn)
		pctconf_diag_add(p->conf,
				 v == PCTCONF_LXC_VALID ? PCTCONF_WARNING : PCTCONF_ERROR, l->no,
				 key, "%s", warn);
	if (v == PCTCONF_LXC_VALID) {
		pctconf_lxc_add(p->cur, key, val, vlen);
		p->cur->lxc[p->cur->nlxc - 1].line = l->no;
	} else if (v == PCTCONF_LXC_INVALID) {
		warn_line(p, l->no, key, "vm %u - unable to parse config: %s", l->s, l->len);
	}
}

static void
parse_key(struct parser *p, const struct line *l, size_t klen, const char *rawval, size_t vlen)
{
	char keybuf[64], valbuf[512];
	_cleanup_free_ char *keyheap = NULL, *valheap = NULL, *norm = NULL;
	const char *key, *val;
	struct strbuf msg = STRBUF_INIT;
	int ret;

	/* short keys and values (nearly all) are copied to the stack */
	if (klen < sizeof(keybuf)) {
		memcpy(keybuf, l->s, klen);
		keybuf[klen] = '\0';
		key = keybuf;
	} else {
		key = keyheap = xstrndup(l->s, klen);
	}
	if (vlen < sizeof(valbuf)) {
		memcpy(valbuf, rawval, vlen);
		valbuf[vlen] = '\0';
		val = valbuf;
	} else {
		val = valheap = xstrndup(rawval, vlen);
	}

	ret = pctconf_check_type(key, val, vlen, &norm, &msg);
	if (ret < 0) {
		pctconf_diag_add(p->conf, PCTCONF_ERROR, l->no, key,
				 "vm %u - unable to parse value of '%s' - %s", p->conf->vmid, key,
				 strbuf_str(&msg));
		pctconf_diag_set_detail(p->conf, strbuf_str(&msg));
	}
	strbuf_release(&msg);
	if (norm) {
		val = norm;
		vlen = strlen(norm);
	}
	if (!strcmp(key, "description")) {
		/* only reachable with a blank value, which rule f does not take */
		pctconf_set_description(p->cur, val, vlen);
		p->cur->desc_line = l->no;
		return;
	}
	if (!strcmp(key, "env")) {
		pctconf_set_env(p->cur, val, vlen);
		p->cur->env_line = l->no;
		return;
	}
	pctconf_set_len(p->cur, key, val, vlen);
	((struct pctconf_val *)pctconf_get_val(p->cur, key))->line = l->no;
}

static void
parse_line(struct parser *p, const struct line *l)
{
	const char *name, *val, *state;
	size_t nlen, klen, vlen;

	/* a: ^\s*$ */
	if (all_space(l->s, l->len))
		return;
	/* Proxmox keeps NUL bytes silently; Corral says where they are */
	if (memchr(l->s, '\0', l->len))
		pctconf_diag_add(p->conf, PCTCONF_ERROR, l->no, NULL,
				 "vm %u - line contains a NUL byte", p->conf->vmid);
	/* b: [pve:pending] -- a second one discards the first one's content */
	if (match_pending_header(l->s, l->len)) {
		flush_description(p);
		pctconf_section_release(&p->conf->pending);
		p->conf->pending.name = xstrdup("pve:pending");
		p->conf->pending.line = l->no;
		p->cur = &p->conf->pending;
		p->in_pending = true;
		return;
	}
	/* c: [snapname] -- a duplicate discards the earlier section */
	if (match_section_header(l->s, l->len, &name, &nlen)) {
		_cleanup_free_ char *n = xstrndup(name, nlen);

		flush_description(p);
		p->cur = pctconf_snapshot_add(p->conf, n);
		p->cur->line = l->no;
		p->in_pending = false;
		return;
	}
	/* d: ^#(.*)$ */
	if (l->s[0] == '#') {
		add_descr(p, l->s + 1, l->len - 1, true, l->no);
		return;
	}
	/* e: lxc.* */
	if (match_lxc(l->s, l->len, &klen, &val, &vlen)) {
		parse_lxc(p, l, klen, val, vlen);
		return;
	}
	/* f: description: text (appended without a newline) */
	if (match_word_colon(l->s, l->len, "description", &val, &vlen)) {
		add_descr(p, val, vlen, false, l->no);
		return;
	}
	/* g: snapstate, unanchored */
	state = match_snapstate(l->s, l->len);
	if (state) {
		pctconf_set(p->cur, "snapstate", state);
		((struct pctconf_val *)pctconf_get_val(p->cur, "snapstate"))->line = l->no;
		return;
	}
	/* h: delete, only in [pve:pending] */
	if (match_word_colon(l->s, l->len, "delete", &val, &vlen)) {
		if (p->in_pending) {
			pctconf_set_len(p->cur, "delete", val, vlen);
			((struct pctconf_val *)pctconf_get_val(p->cur, "delete"))->line = l->no;
		} else {
			pctconf_diag_add(p->conf, PCTCONF_ERROR, l->no, "delete",
					 "vm %u - property 'delete' is only allowed in [pve:pending]",
					 p->conf->vmid);
		}
		return;
	}
	/* i: key: value */
	if (match_key(l->s, l->len, &klen, &val, &vlen)) {
		parse_key(p, l, klen, val, vlen);
		return;
	}
	/* j */
	warn_line(p, l->no, NULL, "vm %u - unable to parse config: %s", l->s, l->len);
}

bool
pctconf_name_vmid(const char *name, unsigned *vmid)
{
	const char *dot = strrchr(name, '.');
	unsigned long long v;
	size_t n;

	if (!dot || strcmp(dot, ".conf") != 0 || dot == name)
		return false;
	n = (size_t)(dot - name);
	{
		_cleanup_free_ char *digits = xstrndup(name, n);

		if (!pct_parse_uint(digits, 0, 0xFFFFFFFFu, &v))
			return false;
	}
	if (vmid)
		*vmid = (unsigned)v;
	return true;
}

/* The vmid of a path ending in <digits>.conf, or 0. */
static unsigned
vmid_from_path(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *p;
	unsigned long long v = 0;

	base = base ? base + 1 : path;
	if (!str_has_suffix(base, ".conf"))
		return 0;
	/* (\d+).conf$ : the digits right before ".conf" */
	p = base + strlen(base) - 5;
	while (p > base && pct_isdigit((unsigned char)p[-1]))
		p--;
	for (; pct_isdigit((unsigned char)*p) && v < 0xFFFFFFFFull; p++)
		v = v * 10 + (unsigned)(*p - '0');
	return v > 0xFFFFFFFFull ? 0 : (unsigned)v;
}

struct pctconf *
pctconf_parse(const char *path, unsigned vmid, const char *raw, size_t len)
{
	struct parser p = { 0 };
	const char *s = raw, *end = raw + len;
	unsigned no = 0;
	struct pctconf *conf;

	if (!vmid && path)
		vmid = vmid_from_path(path);
	conf = pctconf_new(path, vmid);
	conf->digest_raw = xstrndup(raw, len);
	conf->digest_rawlen = len;
	conf->digest_pending = true;
	p.conf = conf;
	p.cur = &conf->main;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		struct line l;

		l.s = s;
		l.len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		l.no = ++no;
		parse_line(&p, &l);
		if (!nl)
			break;
		s = nl + 1;
	}
	flush_description(&p);
	strbuf_release(&p.descr);
	/* a top-level snapstate is always discarded */
	pctconf_unset(&conf->main, "snapstate");
	return conf;
}
