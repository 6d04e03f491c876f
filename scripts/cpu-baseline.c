// A straightforward C Gray-Scott step for comparison with the Go engine in
// cpu/ (scripts/cpu-baseline.sh builds it with gcc -O3 -march=native
// -fopenmp). The interior only (the border stays fixed), the course's
// nine stencil terms in sim.Reference's order, written out; rows split by
// OpenMP, columns vectorized by gcc (which, in gcc 12, takes the omp simd
// below: without it the loop in OpenMP's outlined function stays scalar,
// as does a 3×3 loop over a weight table). gcc's default
// -ffp-contract=fast lets it use FMA, so it is not bit-exact: it is a speed
// yardstick, not an oracle.
//
// usage: cpu-baseline N [steps-per-run [runs]]
//   runs `runs` times `steps-per-run` steps (default 20 × 8) from the
//   course's initial state, as cpu.BenchmarkStep does, and prints the
//   cell-updates/s (interior cells) over all runs and of the best run.
// usage: cpu-baseline --memcpy [MiB]
//   times a large memcpy: the machine's copy bandwidth.
// OMP_NUM_THREADS sets the threads.
#define _POSIX_C_SOURCE 200809L
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void step(int n, const float *restrict u, const float *restrict v,
	float *restrict un, float *restrict vn)
{
	const float F = 0.014f, k = 0.054f, dt = 1, Du = 0.1f, Dv = 0.05f;
#pragma omp parallel for schedule(static)
	for (int r = 1; r < n - 1; r++) {
		const float *restrict a = u + (r - 1) * n, *restrict b = u + r * n, *restrict d = u + (r + 1) * n;
		const float *restrict e = v + (r - 1) * n, *restrict f = v + r * n, *restrict g = v + (r + 1) * n;
		float *restrict ou = un + r * n, *restrict ov = vn + r * n;
#pragma omp simd
		for (int c = 1; c < n - 1; c++) {
			float uc = b[c], vc = f[c], lu = 0, lv = 0;
			lu += .25f * (a[c - 1] - uc); lv += .25f * (e[c - 1] - vc);
			lu += .5f * (a[c] - uc);      lv += .5f * (e[c] - vc);
			lu += .25f * (a[c + 1] - uc); lv += .25f * (e[c + 1] - vc);
			lu += .5f * (b[c - 1] - uc);  lv += .5f * (f[c - 1] - vc);
			lu += 0.f * (uc - uc);        lv += 0.f * (vc - vc);
			lu += .5f * (b[c + 1] - uc);  lv += .5f * (f[c + 1] - vc);
			lu += .25f * (d[c - 1] - uc); lv += .25f * (g[c - 1] - vc);
			lu += .5f * (d[c] - uc);      lv += .5f * (g[c] - vc);
			lu += .25f * (d[c + 1] - uc); lv += .25f * (g[c + 1] - vc);
			float uv2 = uc * vc * vc;
			ou[c] = uc + (Du * lu - uv2 + F * (1 - uc)) * dt;
			ov[c] = vc + (Dv * lv + uv2 - (F + k) * vc) * dt;
		}
	}
}

static void initial(int n, float *u, float *v)
{
	for (long i = 0; i < (long)n * n; i++)
		u[i] = 1, v[i] = 0;
	int r0 = 7 * n / 16 - 4 > 0 ? 7 * n / 16 - 4 : 0, r1 = 8 * n / 16 - 4 > 0 ? 8 * n / 16 - 4 : 0;
	for (int r = r0; r < r1; r++)
		for (int c = 7 * n / 16; c < 8 * n / 16; c++)
			u[r * n + c] = 0, v[r * n + c] = 1;
}

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

// copy_bandwidth times a large memcpy split across the OpenMP threads and
// prints the best rate in bytes read plus written per second.
static void copy_bandwidth(size_t bytes)
{
	char *a = malloc(bytes), *b = malloc(bytes);
	memset(a, 1, bytes), memset(b, 2, bytes);
	double best = 1e30;
	for (int run = 0; run < 10; run++) {
		double t0 = seconds();
#pragma omp parallel
		{
			size_t n = omp_get_num_threads(), i = omp_get_thread_num();
			size_t lo = bytes / n * i, hi = i == n - 1 ? bytes : bytes / n * (i + 1);
			memcpy(b + lo, a + lo, hi - lo);
		}
		double t = seconds() - t0;
		if (t < best)
			best = t;
	}
	printf("memcpy %zu MiB threads=%d: %.1f GB/s (read+write, best of 10)\n",
		bytes >> 20, omp_get_max_threads(), 2 * bytes / best / 1e9);
	free(a), free(b);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--memcpy") == 0) {
		copy_bandwidth((size_t)(argc > 2 ? atoi(argv[2]) : 256) << 20);
		return 0;
	}
	int n = argc > 1 ? atoi(argv[1]) : 1024;
	int steps = argc > 2 ? atoi(argv[2]) : 8, runs = argc > 3 ? atoi(argv[3]) : 20;
	size_t bytes = (size_t)n * n * sizeof(float);
	float *f[4];
	for (int i = 0; i < 4; i++)
		f[i] = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	double best = 0, total = 0;
	for (int run = 0; run < runs; run++) {
		initial(n, f[0], f[1]);
		memcpy(f[2], f[0], bytes), memcpy(f[3], f[1], bytes); // the border
		double t0 = seconds();
		for (int s = 0; s < steps; s++) {
			int a = s % 2 * 2;
			step(n, f[a], f[a + 1], f[2 - a], f[3 - a]);
		}
		double t = seconds() - t0, rate = (double)(n - 2) * (n - 2) * steps / t;
		total += t;
		if (rate > best)
			best = rate;
	}
	printf("c-baseline size=%d threads=%d: %.0f cell-updates/s mean, %.0f best (%d runs of %d steps)\n",
		n, omp_get_max_threads(), (double)(n - 2) * (n - 2) * steps * runs / total, best, runs, steps);
	return 0;
}
