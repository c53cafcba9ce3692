/* onetake: program audio on the take clock (sw_audio.h). */
#include "sw_audio.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct SwAudioRing {
    int capacity, channels, tolerance;
    SwSample *samples; /* capacity x channels */
    int64_t *tags;    /* per slot: the position it holds, INT64_MIN when none */

    pthread_mutex_t lock; /* leaf: everything below */
    pthread_cond_t cond;  /* written (reader waits), read (writer waits) */
    int64_t lo;           /* start of the window: positions before it are gone */
    int have_lo;
    int reading;      /* a read happened: lo follows the reader */
    int64_t next_pos; /* where the previous block ended */
    int have_next;
    int64_t hi; /* end of what was written */
    int ended, closed;
    SwAudioRingStats st;
};

SwAudioRing *sw_audio_ring_alloc(int capacity, int channels, int tolerance)
{
    if (capacity < 1 || channels < 1 || channels > 8 || tolerance < 0)
        return NULL;
    SwAudioRing *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->capacity = capacity;
    r->channels = channels;
    r->tolerance = tolerance;
    r->samples = calloc((size_t)capacity * (size_t)channels, sizeof(SwSample));
    r->tags = malloc((size_t)capacity * sizeof(int64_t));
    if (!r->samples || !r->tags || pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r->samples);
        free(r->tags);
        free(r);
        return NULL;
    }
    if (pthread_cond_init(&r->cond, NULL) != 0) {
        pthread_mutex_destroy(&r->lock);
        free(r->samples);
        free(r->tags);
        free(r);
        return NULL;
    }
    for (int i = 0; i < capacity; i++)
        r->tags[i] = INT64_MIN;
    r->hi = INT64_MIN;
    r->st.end_pos = INT64_MIN;
    return r;
}

void sw_audio_ring_free(SwAudioRing **pr)
{
    SwAudioRing *r = pr ? *pr : NULL;
    if (!r)
        return;
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->samples);
    free(r->tags);
    free(r);
    *pr = NULL;
}

static int64_t slot_of(const SwAudioRing *r, int64_t pos)
{
    int64_t s = pos % r->capacity;
    return s < 0 ? s + r->capacity : s;
}

/* Count the written, unread frames in [from, to) (they are about to be discarded). */
static int64_t count_valid(const SwAudioRing *r, int64_t from, int64_t to)
{
    int64_t n = 0;
    if (to - from > r->capacity)
        from = to - r->capacity;
    for (int64_t p = from; p < to; p++)
        n += r->tags[slot_of(r, p)] == p;
    return n;
}

int sw_audio_ring_write(SwAudioRing *r, int64_t pos, const SwSample *samples, int n, int block)
{
    if (!r || (!samples && n > 0) || n < 0)
        return -EINVAL;
    pthread_mutex_lock(&r->lock);
    if (r->closed) {
        pthread_mutex_unlock(&r->lock);
        return -EPIPE;
    }
    r->ended = 0; /* a source that came back */
    if (r->have_next && pos != r->next_pos) {
        int64_t d = pos - r->next_pos;
        if (d >= -r->tolerance && d <= r->tolerance)
            pos = r->next_pos;
        else
            r->st.resyncs++;
    }
    r->next_pos = pos + n;
    r->have_next = 1;
    if (!r->have_lo) {
        r->lo = pos;
        r->have_lo = 1;
    }
    /* Positions the reader has passed: too late. */
    if (r->reading && pos < r->lo) {
        int64_t skip = r->lo - pos < n ? r->lo - pos : n;
        r->st.late += skip;
        pos += skip;
        samples += skip * r->channels;
        n -= (int)skip;
    }
    while (n > 0) {
        int64_t room_end = r->lo + r->capacity;
        if (pos + n > room_end) {
            if (block && !r->closed && pos < room_end + r->capacity) {
                /* Lockstep: the reader frees room as the program advances. A block far beyond the window is
                 * not waited for (it would never fit): it slides the window like a live write. */
                pthread_cond_wait(&r->cond, &r->lock);
                if (r->closed) {
                    pthread_mutex_unlock(&r->lock);
                    return -EPIPE;
                }
                if (r->reading && pos < r->lo) {
                    int64_t skip = r->lo - pos < n ? r->lo - pos : n;
                    r->st.late += skip;
                    pos += skip;
                    samples += skip * r->channels;
                    n -= (int)skip;
                }
                continue;
            }
            /* Live (or a jump): discard the oldest. Before the first read that is the pre-roll, not a loss.
             */
            int64_t new_lo = pos + n - r->capacity;
            if (r->reading)
                r->st.overflow += count_valid(r, r->lo, new_lo);
            r->lo = new_lo;
        }
        /* Write the frames that fall in the window, wrapping around the end of the buffer. */
        int64_t p = pos;
        const SwSample *src = samples;
        int left = n;
        while (left > 0) {
            int64_t slot = slot_of(r, p);
            int run = (int)(r->capacity - slot < left ? r->capacity - slot : left);
            memcpy(r->samples + slot * r->channels, src, (size_t)run * (size_t)r->channels * sizeof(SwSample));
            for (int i = 0; i < run; i++)
                r->tags[slot + i] = p + i;
            p += run;
            src += (size_t)run * (size_t)r->channels;
            left -= run;
        }
        r->st.written += n;
        if (pos + n > r->hi)
            r->hi = pos + n;
        r->st.end_pos = r->hi;
        n = 0;
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    return 0;
}

void sw_audio_ring_discont(SwAudioRing *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->have_next = 0;
    pthread_mutex_unlock(&r->lock);
}

/* No more writes (and, closing, no more waits either): wake whoever waits. */
static void ring_finish(SwAudioRing *r, int close)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->ended = 1;
    if (close)
        r->closed = 1;
    else
        r->have_next = 0;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

void sw_audio_ring_end(SwAudioRing *r)
{
    ring_finish(r, 0);
}

void sw_audio_ring_close(SwAudioRing *r)
{
    ring_finish(r, 1);
}

static struct timespec deadline_after(int64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* pthread_cond_timedwait's default clock */
    int64_t t = (int64_t)ts.tv_nsec + ns % 1000000000LL;
    ts.tv_sec += (time_t)(ns / 1000000000LL + t / 1000000000LL);
    ts.tv_nsec = (long)(t % 1000000000LL);
    return ts;
}

int sw_audio_ring_read(SwAudioRing *r, int64_t pos, int n, SwSample *out, int64_t wait_ns, int *timed_out)
{
    int ret = 0;
    if (timed_out)
        *timed_out = 0;
    if (!r || !out || n < 0)
        return -EINVAL;
    pthread_mutex_lock(&r->lock);
    if (wait_ns > 0) {
        struct timespec until = deadline_after(wait_ns);
        while (!r->ended && (r->hi == INT64_MIN || r->hi < pos + n)) {
            if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT) {
                ret = -ETIMEDOUT;
                break;
            }
        }
    }
    if (!r->reading || pos > r->lo) {
        r->lo = pos; /* the first read starts the window; a jump forward discards what was skipped */
        r->have_lo = 1;
    }
    r->reading = 1;
    int missing = 0;
    for (int i = 0; i < n; i++) {
        int64_t p = pos + i;
        int64_t slot = slot_of(r, p);
        SwSample *dst = out + (size_t)i * (size_t)r->channels;
        if (r->tags[slot] == p) {
            memcpy(dst, r->samples + slot * r->channels, (size_t)r->channels * sizeof(SwSample));
            r->tags[slot] = INT64_MIN; /* read once */
        } else {
            memset(dst, 0, (size_t)r->channels * sizeof(SwSample));
            missing++;
        }
    }
    if (pos + n > r->lo)
        r->lo = pos + n;
    pthread_cond_broadcast(&r->cond); /* room for a waiting writer */
    pthread_mutex_unlock(&r->lock);
    if (timed_out)
        *timed_out = ret == -ETIMEDOUT;
    return missing;
}

int64_t sw_audio_ring_written_end(SwAudioRing *r)
{
    if (!r)
        return INT64_MIN;
    pthread_mutex_lock(&r->lock);
    int64_t hi = r->hi;
    pthread_mutex_unlock(&r->lock);
    return hi;
}

void sw_audio_ring_get_stats(SwAudioRing *r, SwAudioRingStats *stats)
{
    if (!r || !stats)
        return;
    pthread_mutex_lock(&r->lock);
    *stats = r->st;
    pthread_mutex_unlock(&r->lock);
}

int64_t sw_audio_pos_from_ns(int64_t t_ns)
{
    /* Split to keep t x 48000 in range for any monotonic time (centuries of uptime). */
    int64_t s = t_ns / 1000000000LL, rem = t_ns % 1000000000LL;
    if (rem < 0) {
        rem += 1000000000LL;
        s--;
    }
    return s * SW_AUDIO_RATE + (rem * SW_AUDIO_RATE + 500000000LL) / 1000000000LL;
}

int64_t sw_audio_tick_pos(int num, int den, int64_t tick)
{
    if (num <= 0 || den <= 0)
        return 0;
    return tick * SW_AUDIO_RATE * den / num;
}

void sw_audio_levels(const SwSample *samples, int n, int channels, float *peak, float *rms)
{
    for (int c = 0; c < channels; c++) {
        int64_t maxabs = 0; /* |INT32_MIN| does not fit an int */
        double sum = 0;
        for (int i = 0; i < n; i++) {
            int64_t v = samples[(size_t)i * (size_t)channels + (size_t)c];
            int64_t a = v < 0 ? -v : v;
            if (a > maxabs)
                maxabs = a;
            sum += (double)v * (double)v;
        }
        peak[c] = (float)((double)maxabs / SW_SAMPLE_FULL_SCALE);
        rms[c] = n > 0 ? (float)(sqrt(sum / n) / SW_SAMPLE_FULL_SCALE) : 0.0f;
    }
}
