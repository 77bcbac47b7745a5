/*
 * raw_ring.c - the ceiling for shared-memory packet passing on this
 * machine: a single-producer single-consumer ring between two processes
 * pinned to two cores, with nothing else in the way.
 *
 *   raw_ring desc SECONDS          8-byte descriptors, batches of 256
 *   raw_ring copy SIZE SECONDS     the producer copies a SIZE-byte frame
 *                                  into the ring's buffer for each one
 *                                  (one memcpy per frame, like a switch)
 *
 * Prints "raw_ring MODE SIZE: X Mpps Y Gbps".  Used by the bench scripts as the
 * limit the netmap ports are compared with.
 */
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 1024u
#define BATCH 256u
#define BUFSZ 2048u

struct ring {
	_Alignas(64) volatile uint64_t head;	/* written by the producer */
	_Alignas(64) volatile uint64_t tail;	/* written by the consumer */
	_Alignas(64) volatile int stop;
	_Alignas(64) uint64_t consumed;
	uint64_t desc[SLOTS];
	char bufs[SLOTS][BUFSZ];
};

static void
pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
producer(struct ring *r, size_t size)
{
	static char frame[BUFSZ];
	uint64_t h = 0;

	memset(frame, 0x5a, sizeof(frame));
	while (!r->stop) {
		uint64_t t = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
		uint64_t n = SLOTS - (h - t);

		if (n < BATCH)
			continue;
		for (uint64_t i = 0; i < BATCH; i++) {
			uint64_t s = (h + i) % SLOTS;

			if (size)
				memcpy(r->bufs[s], frame, size);
			r->desc[s] = (s << 16) | size;
		}
		h += BATCH;
		__atomic_store_n(&r->head, h, __ATOMIC_RELEASE);
	}
}

static void
consumer(struct ring *r)
{
	uint64_t t = 0, sum = 0;

	while (!r->stop) {
		uint64_t h = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

		if (h == t)
			continue;
		for (; t != h; t++)
			sum += r->desc[t % SLOTS] & 0xffff;
		__atomic_store_n(&r->tail, t, __ATOMIC_RELEASE);
		r->consumed = t;
	}
	if (sum == 1)	/* keep the reads */
		puts("");
}

int
main(int argc, char **argv)
{
	struct ring *r;
	size_t size = 0;
	double secs, t0, t1;
	uint64_t c0, c1;
	pid_t p, c;

	if (argc == 3 && strcmp(argv[1], "desc") == 0) {
		secs = atof(argv[2]);
	} else if (argc == 4 && strcmp(argv[1], "copy") == 0) {
		size = (size_t)atoi(argv[2]);
		secs = atof(argv[3]);
		if (size < 1 || size > BUFSZ) {
			fprintf(stderr, "raw_ring: size must be 1..%u\n", BUFSZ);
			return 2;
		}
	} else {
		fprintf(stderr, "usage: raw_ring desc SECONDS | raw_ring copy SIZE SECONDS\n");
		return 2;
	}
	if (secs <= 0 || secs > 600) {
		fprintf(stderr, "raw_ring: SECONDS must be in (0, 600]\n");
		return 2;
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return 1;
	memset(r, 0, sizeof(*r));
	c = fork();
	if (c == 0) {
		pin(1);
		consumer(r);
		_exit(0);
	}
	p = fork();
	if (p == 0) {
		pin(0);
		producer(r, size);
		_exit(0);
	}
	usleep(200000);	/* let both get going */
	t0 = now();
	c0 = r->consumed;
	usleep((useconds_t)(secs * 1e6));
	c1 = r->consumed;
	t1 = now();
	r->stop = 1;
	waitpid(c, NULL, 0);
	waitpid(p, NULL, 0);
	{
		double mpps = (double)(c1 - c0) / (t1 - t0) / 1e6;

		printf("raw_ring %s %zu: %.2f Mpps %.2f Gbps\n", size ? "copy" : "desc",
		    size ? size : 8, mpps, mpps * (double)(size ? size : 8) * 8 / 1000);
	}
	return 0;
}
