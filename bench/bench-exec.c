/*
 * Time a command as a whole process: run it N times (after a few unmeasured
 * warm-up runs), each with stdout and stderr on /dev/null (or appended to
 * FILE with -o), and print
 *
 *	median min max peak-rss-kb cpu
 *
 * times in milliseconds, for bench/run.sh; cpu is the mean user + system
 * time of a measured run. "%i" in an argument is replaced by the run number
 * (warm-ups included, so no two runs see the same value), so that
 * "pct set 100 --memory 20%i" changes something on every run. A run that
 * exits non-zero fails the benchmark.
 *
 * Runs start with fork and exec, as a shell starts a command; with -s, with
 * posix_spawn (a vfork: the parent's memory is not copied), as Python's
 * subprocess (so Ansible) and Go start one.
 *
 *	bench-exec [-s] [-n runs] [-w warmups] [-o FILE] -- command [args...]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

extern char **environ;

static const char *output = "/dev/null";
static int use_spawn;

/* Start args with posix_spawnp, stdout and stderr on output; the pid or -1. */
static pid_t
spawn(char **args)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ret;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	ret = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, output,
					       O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (ret == 0)
		ret = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	if (ret == 0)
		ret = posix_spawnp(&pid, args[0], &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret != 0) {
		errno = ret;
		return -1;
	}
	return pid;
}

static double
tv_ms(struct timeval tv)
{
	return (double)tv.tv_sec * 1e3 + (double)tv.tv_usec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
subst(const char *arg, int run)
{
	const char *p = strstr(arg, "%i");
	char *out;

	if (!p)
		return strdup(arg);
	if (asprintf(&out, "%.*s%d%s", (int)(p - arg), arg, run, p + 2) < 0)
		return NULL;
	return out;
}

/* One run; returns its wall time in ms, or -1. Adds its CPU time to *cpu. */
static double
run_once(char **argv, int argc, int run, long *maxrss, double *cpu)
{
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	struct rusage ru;
	double t0, t;
	int status, i;
	pid_t pid;

	if (!args)
		return -1;
	for (i = 0; i < argc; i++)
		if (!(args[i] = subst(argv[i], run)))
			return -1;
	t0 = now_ms();
	pid = use_spawn ? spawn(args) : fork();
	if (pid < 0) {
		fprintf(stderr, "bench-exec: cannot start %s: %s\n", args[0], strerror(errno));
		return -1;
	}
	if (pid == 0 && !use_spawn) {
		int out = open(output, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (out >= 0) {
			dup2(out, STDOUT_FILENO);
			dup2(out, STDERR_FILENO);
		}
		execvp(args[0], args);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return -1;
	t = now_ms() - t0;
	for (i = 0; i < argc; i++)
		free(args[i]);
	free(args);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-exec: %s exited with status %d on run %d\n", argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), run);
		return -1;
	}
	if (ru.ru_maxrss > *maxrss)
		*maxrss = ru.ru_maxrss;
	*cpu += tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
	return t;
}

int
main(int argc, char **argv)
{
	int runs = 100, warm = 3, opt, i;
	long maxrss = 0;
	double *ms, cpu = 0, warm_cpu = 0;

	while ((opt = getopt(argc, argv, "+sn:w:o:")) != -1) {
		switch (opt) {
		case 's':
			use_spawn = 1;
			break;
		case 'n':
			runs = atoi(optarg);
			break;
		case 'w':
			warm = atoi(optarg);
			break;
		case 'o':
			output = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench-exec [-s] [-n runs] [-w warmups] [-o FILE] -- command [args...]\n");
			return 2;
		}
	}
	if (optind >= argc || runs < 1) {
		fprintf(stderr, "usage: bench-exec [-s] [-n runs] [-w warmups] [-o FILE] -- command [args...]\n");
		return 2;
	}
	ms = calloc((size_t)runs, sizeof(*ms));
	if (!ms)
		return 1;
	for (i = 0; i < warm; i++)
		if (run_once(argv + optind, argc - optind, i, &maxrss, &warm_cpu) < 0)
			return 1;
	for (i = 0; i < runs; i++)
		if ((ms[i] = run_once(argv + optind, argc - optind, warm + i, &maxrss, &cpu)) < 0)
			return 1;
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	printf("%.3f %.3f %.3f %ld %.3f\n", ms[runs / 2], ms[0], ms[runs - 1], maxrss, cpu / runs);
	free(ms);
	return 0;
}
