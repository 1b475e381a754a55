/*
 * The one interactive path to a running CT: `kubectl exec` into its pod with
 * the cluster settings of corral.conf (kubectl, kubeconfig, context,
 * namespace). For a privileged CT the command runs chrooted into the
 * persistent rootfs, like the session the CT itself runs in.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kubectl.h"
#include "settings.h"

void
pct_argv_add(struct pct_argv *a, const char *s)
{
	a->v = xrealloc(a->v, (a->n + 2) * sizeof(*a->v));
	a->v[a->n++] = xstrdup(s);
	a->v[a->n] = NULL;
}

void
pct_argv_release(struct pct_argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

int
pct_kubectl_exec_argv(unsigned vmid, const struct pctconf *conf, bool stdin_, bool tty,
		      struct pct_argv *a, struct pct_error **err)
{
	const struct corral_settings *s;
	const char *unpriv = pctconf_get(&conf->main, "unprivileged");
	char pod[32];
	int ret;

	ret = pct_settings(&s, err);
	if (ret < 0)
		return ret;
	snprintf(pod, sizeof(pod), "ct-%u-0", vmid);
	pct_argv_add(a, s->kubectl);
	if (s->kubeconfig[0]) {
		pct_argv_add(a, "--kubeconfig");
		pct_argv_add(a, s->kubeconfig);
	}
	if (s->context[0]) {
		pct_argv_add(a, "--context");
		pct_argv_add(a, s->context);
	}
	pct_argv_add(a, "--namespace");
	pct_argv_add(a, s->namespace);
	pct_argv_add(a, "exec");
	if (stdin_)
		pct_argv_add(a, "-i");
	if (tty)
		pct_argv_add(a, "-t");
	pct_argv_add(a, pod);
	pct_argv_add(a, "-c");
	pct_argv_add(a, "ct");
	pct_argv_add(a, "--");
	/* a privileged CT lives in its persistent rootfs */
	if (unpriv && !strcmp(unpriv, "0")) {
		pct_argv_add(a, "chroot");
		pct_argv_add(a, "/rootfs");
	}
	return 0;
}

int
pct_require_running(unsigned vmid, const char *msg, struct pct_error **err)
{
	if (!pct_is_running(vmid))
		return pct_error_set(err, PCT_E_INVALID, "%s", msg);
	return 0;
}

int
pct_run(struct pct_argv *a, int in_fd, int out_fd, struct pct_error **err)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return pct_error_errno(err, errno, "unable to fork");
	if (pid == 0) {
		if (in_fd >= 0 && dup2(in_fd, 0) < 0)
			_exit(127);
		if (out_fd >= 0 && dup2(out_fd, 1) < 0)
			_exit(127);
		execvp(a->v[0], a->v);
		fprintf(stderr, "unable to run '%s': %s\n", a->v[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pct_error_errno(err, errno, "waitpid");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return pct_error_set(err, PCT_E_INVALID, "command '%s' failed: exit code %d", a->v[0],
				     WEXITSTATUS(status));
	return pct_error_set(err, PCT_E_INVALID, "command '%s' failed: killed by signal %d",
			     a->v[0], WTERMSIG(status));
}
