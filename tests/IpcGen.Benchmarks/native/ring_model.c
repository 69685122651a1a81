// A C model of the shared-memory ring's Spin round trip: why a record must be written in one burst.
// Two processes ping-pong records through two rings of 64-byte records, each record a tag word (the
// position, stored last with release order) and four data words, as SharedMemoryRing lays them out.
// "back to back" stores the data words one after the other and then the tag; "spread" does a little
// work between the stores, as a proxy writing arguments straight into the ring did: the reader is
// polling that very line, so every store that meets one of its looks hands the line back and forth.
// Build: gcc -O2 -o /tmp/ring_model tests/IpcGen.Benchmarks/native/ring_model.c ; Run: /tmp/ring_model
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>

static const long N = 200000;
static double *lat;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e9 + t.tv_nsec; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }

static void put(char *record, long i, int spread)
{
    for (int w = 1; w <= 4; w++) {
        ((volatile long *)record)[w] = i + w;
        for (volatile int k = 0; k < spread; k++) { }
    }
    atomic_store_explicit((_Atomic long *)record, i, memory_order_release);
}

static void take(char *record, long i)
{
    while (atomic_load_explicit((_Atomic long *)record, memory_order_acquire) != i) { }
    volatile long sum = 0;
    for (int w = 1; w <= 4; w++) sum += ((volatile long *)record)[w];
}

static void run(long capacity, int spread, const char *name)
{
    char *memory = mmap(0, 2 * capacity, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *requests = memory, *answers = memory + capacity;
    long mask = capacity - 1;
    if (fork() == 0) {
        for (long i = 1; i <= N; i++) {
            take(requests + ((i * 64) & mask), i);
            put(answers + ((i * 64) & mask), i, spread);
        }
        _exit(0);
    }
    for (long i = 1; i <= N; i++) {
        double start = now();
        put(requests + ((i * 64) & mask), i, spread);
        take(answers + ((i * 64) & mask), i);
        lat[i - 1] = now() - start;
    }
    wait(0);
    qsort(lat, N, sizeof(double), cmpd);
    printf("%-44s p50 %6.0f ns  p99 %6.0f ns\n", name, lat[N / 2], lat[(long)(N * 0.99)]);
    munmap(memory, 2 * capacity);
}

int main(void)
{
    lat = malloc(N * sizeof(double));
    run(64, 0, "one line per direction, back to back");
    run(64, 20, "one line per direction, spread");
    run(65536, 0, "64 KiB ring of records, back to back");
    run(65536, 20, "64 KiB ring of records, spread");
    return 0;
}
