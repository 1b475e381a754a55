#ifndef PCT_KUBECTL_H
#define PCT_KUBECTL_H

#include "pct.h"

struct pct_argv {
	char **v; /* NULL-terminated */
	size_t n;
};

void pct_argv_add(struct pct_argv *a, const char *s);
void pct_argv_release(struct pct_argv *a);
/* kubectl [--kubeconfig K] [--context C] --namespace NS exec [-i] [-t] ct-<ID>-0 -c ct -- [chroot /rootfs] */
int pct_kubectl_exec_argv(unsigned vmid, const struct pctconf *conf, bool stdin_, bool tty,
			  struct pct_argv *a, struct pct_error **err);
/* Proxmox's refusal when the CT does not run (msg is the exact text). */
int pct_require_running(unsigned vmid, const char *msg, struct pct_error **err);
/* Run argv with stdin/stdout redirected (-1 = inherit); 0 when it exits 0. */
int pct_run(struct pct_argv *a, int in_fd, int out_fd, struct pct_error **err);

#endif
