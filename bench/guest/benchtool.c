// SPDX-License-Identifier: GPL-2.0
/*
 * Guest helper of `make bench` (bench/guest/bench.sh), built static on the host.
 *
 *   benchtool load KO NAME    write "bench: load NAME" to /dev/kmsg, finit_module(KO),
 *                             poll /sys/kernel/livepatch/NAME/transition until 0;
 *                             prints "load_us U poll_us P" (CLOCK_MONOTONIC,
 *                             from before finit_module)
 *   benchtool spawn NSLEEP NBUSY READY
 *                             fork NSLEEP tasks that sleep (pause) and NBUSY that
 *                             spin in user space, touch READY, then wait; killing
 *                             it kills them all (PR_SET_PDEATHSIG)
 *   benchtool tsc-khz         (on the host) the TSC rate in kHz, measured over
 *                             0.3 s against CLOCK_MONOTONIC_RAW: the guest's
 *                             kernel gets it as tsc_early_khz= (under TCG the
 *                             guest TSC is the host's, and the test kernel has
 *                             no PIT/HPET/ACPI timer to calibrate it against)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int tsc_khz(void)
{
	unsigned long long c0, c1;
	long long t0, t1;

	t0 = raw_ns();
	c0 = __builtin_ia32_rdtsc();
	usleep(300000);
	t1 = raw_ns();
	c1 = __builtin_ia32_rdtsc();
	printf("%llu\n", (c1 - c0) * 1000000ULL / (unsigned long long)(t1 - t0));
	return 0;
}

static int transition_done(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == '0';
}

static int load(const char *ko, const char *name)
{
	char path[256], mark[256];
	long long t0, t1, t2;
	int fd, kmsg;

	snprintf(path, sizeof(path), "/sys/kernel/livepatch/%s/transition", name);
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(ko);
		return 1;
	}
	kmsg = open("/dev/kmsg", O_WRONLY);
	snprintf(mark, sizeof(mark), "bench: load %s\n", name);
	t0 = now_us();
	if (kmsg >= 0 && write(kmsg, mark, strlen(mark)) < 0)
		perror("/dev/kmsg");
	if (syscall(SYS_finit_module, fd, "", 0)) {
		perror("finit_module");
		return 1;
	}
	t1 = now_us();
	while (!transition_done(path)) {
		if (now_us() - t0 > 300 * 1000000LL) {
			fprintf(stderr, "%s: transition not finished after 300 s\n", name);
			return 1;
		}
		usleep(1000);
	}
	t2 = now_us();
	printf("load_us %lld poll_us %lld\n", t1 - t0, t2 - t0);
	return 0;
}

static int spawn(int nsleep, int nbusy, const char *ready)
{
	int i, fd, go[2];
	char c;

	/* The spinners start together once all are forked (a parent competing
	 * with hundreds of spinners forks slowly): at EOF on this pipe. */
	if (pipe(go)) {
		perror("pipe");
		return 1;
	}
	for (i = 0; i < nsleep + nbusy; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(go[1]);
			if (i < nsleep)
				for (;;)
					pause();
			while (read(go[0], &c, 1) < 0 && errno == EINTR)
				;
			for (;;)
				__asm__ volatile("" ::: "memory");
		}
	}
	close(go[1]);
	fd = open(ready, O_WRONLY | O_CREAT, 0644);
	if (fd >= 0)
		close(fd);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3]);
	if (argc == 2 && !strcmp(argv[1], "tsc-khz"))
		return tsc_khz();
	if (argc == 5 && !strcmp(argv[1], "spawn"))
		return spawn(atoi(argv[2]), atoi(argv[3]), argv[4]);
	fprintf(stderr, "usage: benchtool load KO NAME | spawn NSLEEP NBUSY READY | tsc-khz\n");
	return 2;
}
