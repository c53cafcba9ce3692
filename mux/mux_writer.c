/* onetake mux: the mux thread around one MuxOutput.
 *
 * The program thread (SwSink.program_frame) takes an item from a preallocated pool, fills it with a new frame
 * reference and pushes it to the work queue; the mux thread pops, encodes, writes, drops the reference and
 * gives the item back to the pool. Both queues are SwQueues: no allocation per frame, and the pool's size
 * bounds how many frames the mux holds (upstream buffer pools are finite). When every item is in flight,
 * program_frame blocks on the pool: file sources are paced by the encoder.
 *
 * The program audio and the declared anomalies of a tick travel the same way: the runner's sinks copy them into
 * a stash (preallocated), and the next frame's item takes the stash (a memcpy, no allocation); the mux thread
 * writes them just before that frame (the audio to the output's audio track, the anomalies to the take log).
 *
 * Threads and locks: `out` is used by the mux thread only, until mux_writer_finish has joined it (stats are
 * read through mux_output_get_stats, which locks). `err` is atomic: written once by the mux thread, read by
 * the program thread. The queues have their own locks; nothing else is shared. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"
#include "mux_int.h"
#include "ot_common.h"
#include "proof.h"
#include "sw_queue.h"

#define MUX_WRITER_DEFAULT_QUEUE 4
/* Declarations one frame can carry: a loss, a return and three conform counts per camera, and an audio gap per
 * track. */
#define MUX_WRITER_MAX_ANOMALIES (SW_MAX_CAMS * 5 + 4 + SW_AUDIO_MAX_TRACKS)

/* The cue clock's mapping at a tick (mux_writer_note_ltc). */
typedef struct MuxLtcNote {
    int64_t tick, frame;
    int freewheel;
    char tc[16];
} MuxLtcNote;

typedef struct MuxItem {
    OtFrame *frame; /* a reference of our own */
    int64_t pts;
    int64_t made_ns; /* when the program thread handed it over (ot_mono_ns): the streams' latency */
    int force_key;
    /* For the proof (program writer with a proof stream only): the tick's camera, flags and events. */
    int cam;
    unsigned flags;
    int nevents;
    SwEvent events[SW_MAX_EVENTS];
    /* Ticks dropped just before this one (mux_writer_push in real time): declared by the mux thread. */
    int64_t gap_first, gap_count;
    /* The program audio and the anomalies that came since the previous frame (the program writer only). */
    SwSample *audio; /* audio_cap frames of every track (track t at audio_off[t]), allocated with the item */
    int naudio[SW_AUDIO_MAX_TRACKS];
    int64_t silence[SW_AUDIO_MAX_TRACKS]; /* then this many frames of silence (samples that did not fit) */
    int nanoms;
    SwAnomaly anoms[MUX_WRITER_MAX_ANOMALIES];
    MuxLtcNote ltc; /* ltc.tc[0] == 0: none */
} MuxItem;

struct MuxWriter {
    MuxOutput *out;
    int gop;
    MuxItem *items;
    int nitems;
    SwQueue *pool; /* free items */
    SwQueue *work; /* items for the mux thread, in program order */
    pthread_t thread;
    int thread_started;
    atomic_int err; /* the first error of the mux thread, 0 until then */
    int finished;   /* program thread / owner only */
    int finish_err;
    ProofStream *proof; /* set before the take; used by the mux thread, then by finish after the join */
    /* Events of the tick being decided, handed on with its frame (program thread only; after the runner has
     * returned, finish writes what is left: the END). */
    SwEvent stash[SW_MAX_EVENTS + 1];
    int nstash;
    /* Dropped ticks not declared yet (program thread; finish after the join), and who declares them. */
    int64_t gap_first, gap_count;
    void (*on_gap)(void *opaque, int64_t first, int64_t count);
    void *on_gap_opaque;
    /* Program audio and anomalies of the tick being made (program thread; finish after the join). */
    int ntracks;
    int audio_channels[SW_AUDIO_MAX_TRACKS];
    size_t audio_off[SW_AUDIO_MAX_TRACKS]; /* where track t starts in an item's audio and in the stash */
    int audio_cap; /* frames per track an item (and the stash) can hold: two ticks */
    SwSample *audio_stash;
    int naudio[SW_AUDIO_MAX_TRACKS];
    int64_t lost[SW_AUDIO_MAX_TRACKS]; /* frames after the stash that did not fit: silence in their place */
    int64_t audio_lost;                /* of all tracks, for the log */
    SwAnomaly anom_stash[MUX_WRITER_MAX_ANOMALIES];
    int nanoms;
    int64_t anoms_dropped;
    MuxLtcNote ltc_stash;
};

static int proof_events(ProofStream *ps, const SwEvent *ev, int n)
{
    int ret = 0;
    for (int i = 0; i < n && !ret; i++)
        if (ev[i].type == SW_EVENT_COMPLETE)
            ret = proof_stream_done(ps, ev[i].frame, ev[i].cam, ev[i].prev_cam, sw_trans_kind_name(ev[i].trans.kind),
                                    ev[i].trans.frames, ev[i].mixed, sw_origin_name(ev[i].origin),
                                    sw_input_name(ev[i].input), ev[i].peer);
        else if (ev[i].type != SW_EVENT_SUB) /* a subtitle line is attested by its packet (PKT record) */
            ret = proof_stream_event_peer(ps, ev[i].type == SW_EVENT_END ? "end" : "cut", ev[i].frame, ev[i].cam,
                                          ev[i].prev_cam, sw_origin_name(ev[i].origin), ev[i].cue_index, ev[i].peer);
    return ret;
}

/* The mux thread's part of the proof for one program frame: events, declared anomalies, and the RAW record
 * (SHA-256 of the visible pixels, here where the frame is already held: nothing on the program thread). */
static int proof_frame(MuxWriter *w, const MuxItem *item)
{
    const OtFrame *f = item->frame;
    const uint8_t *data[OT_FRAME_MAX_PLANES];
    int width[OT_FRAME_MAX_PLANES], height[OT_FRAME_MAX_PLANES];
    unsigned flags = (item->flags & SW_PF_CUT ? PROOF_RAW_CUT : 0) |
                     (item->flags & SW_PF_REPEAT ? PROOF_RAW_REPEAT : 0) |
                     (item->flags & SW_PF_LOST ? PROOF_RAW_LOST : 0) |
                     (item->flags & SW_PF_SLATE ? PROOF_RAW_SLATE : 0);
    int ret = proof_events(w->proof, item->events, item->nevents);

    if (!ret && (item->flags & SW_PF_SLATE))
        ret = proof_stream_anomaly(w->proof, "slate", item->pts, item->cam,
                                   "the camera on program is lost: its NO SIGNAL slate is shown");
    else if (!ret && (item->flags & SW_PF_LOST))
        ret = proof_stream_anomaly(w->proof, "lost", item->pts, item->cam,
                                   "the camera on program is lost: its last frame is held");
    else if (!ret && (item->flags & SW_PF_REPEAT))
        ret = proof_stream_anomaly(w->proof, "repeat", item->pts, item->cam,
                                   "no new frame from the camera on program: its last frame again");
    for (int p = 0; p < f->nb_planes && p < OT_FRAME_MAX_PLANES; p++) {
        data[p] = f->data[p];
        width[p] = ot_frame_plane_width(f, p);
        height[p] = ot_frame_plane_height(f, p);
    }
    if (!ret)
        ret = proof_stream_raw(w->proof, item->pts, item->cam, f->seq, flags, f->nb_planes, data, f->linesize,
                               width, height);
    return ret;
}

static int proof_anomalies(ProofStream *ps, const SwAnomaly *a, int n)
{
    int ret = 0;
    for (int i = 0; i < n && !ret; i++)
        ret = proof_stream_anomaly_count(ps, sw_anomaly_kind_name(a[i].kind), a[i].tick, a[i].ticks, a[i].cam,
                                         a[i].count, a[i].detail);
    return ret;
}

/* The subtitle lines that start (or end) at this frame, before it. */
static int write_subs(MuxWriter *w, const SwEvent *ev, int n)
{
    int ret = 0;
    for (int i = 0; i < n && !ret; i++)
        if (ev[i].type == SW_EVENT_SUB)
            ret = mux_output_write_sub(w->out, ev[i].lang, ev[i].frame, ev[i].text);
    return ret;
}

/* What came with a frame before the frame itself: declarations, then the audio of every track (it is the
 * previous tick's). */
static int write_extras(MuxWriter *w, const SwAnomaly *anoms, int nanoms, const SwSample *audio,
                        const int *naudio, const int64_t *silence)
{
    static const SwSample zeros[1024 * SW_AUDIO_MAX_CHANNELS];
    int ret = w->proof ? proof_anomalies(w->proof, anoms, nanoms) : 0;
    for (int t = 0; t < w->ntracks && !ret; t++) {
        if (naudio[t] > 0)
            ret = mux_output_write_audio(w->out, t, audio + w->audio_off[t], naudio[t]);
        for (int64_t left = silence[t]; left > 0 && !ret; left -= 1024)
            ret = mux_output_write_audio(w->out, t, zeros, left < 1024 ? (int)left : 1024);
    }
    return ret;
}

static void *writer_main(void *arg)
{
    MuxWriter *w = arg;
    MuxItem *item;

    pthread_setname_np(pthread_self(), "ot-mux");
    mux_thread_nice(mux_output_nice(w->out));
    while ((item = sw_queue_pop(w->work))) {
        /* After the first error keep draining, so that the program thread never blocks on a dead consumer and
         * every reference is released; the next program_frame reports the error and the runner ends the take.
         */
        if (!atomic_load(&w->err)) {
            /* On this thread: the hook may write what only this thread uses (the output's proof stream). */
            if (item->gap_count && w->on_gap)
                w->on_gap(w->on_gap_opaque, item->gap_first, item->gap_count);
            int ret = write_extras(w, item->anoms, item->nanoms, item->audio, item->naudio, item->silence);
            if (!ret)
                ret = write_subs(w, item->events, item->nevents);
            if (!ret && w->proof && item->ltc.tc[0])
                ret = proof_stream_ltc(w->proof, item->ltc.tick, item->ltc.frame, item->ltc.tc, item->ltc.freewheel);
            if (!ret && w->proof)
                ret = proof_frame(w, item);
            if (!ret) {
                mux_output_note_tick(w->out, item->pts, item->made_ns);
                ret = mux_output_write(w->out, item->frame, item->pts, item->force_key);
            }
            if (ret < 0) {
                int expected = 0;
                atomic_compare_exchange_strong(&w->err, &expected, ret);
            }
        }
        ot_frame_unref(&item->frame);
        item->nevents = 0;
        item->gap_count = 0;
        memset(item->naudio, 0, sizeof(item->naudio));
        memset(item->silence, 0, sizeof(item->silence));
        item->nanoms = 0;
        item->ltc.tc[0] = 0;
        sw_queue_push(w->pool, item); /* never blocks: the pool holds every item */
    }
    return NULL;
}

/* Hand an item taken from the pool to the mux thread with a reference of its own to frame; back to the pool
 * when the work queue refuses it. */
static int queue_item(MuxWriter *w, MuxItem *item, OtFrame *frame, int64_t pts, int force_key)
{
    int ret;

    item->frame = ot_frame_ref(frame);
    item->pts = pts;
    item->made_ns = ot_mono_ns();
    item->force_key = force_key;
    ret = sw_queue_push(w->work, item);
    if (ret < 0) {
        ot_frame_unref(&item->frame);
        sw_queue_push(w->pool, item);
        return ret;
    }
    return 0;
}

/* The stashed audio travels with the frame being queued: a memcpy into the item, no allocation. */
static void take_audio(MuxWriter *w, MuxItem *item)
{
    for (int t = 0; t < w->ntracks; t++) {
        if (w->naudio[t] > 0)
            memcpy(item->audio + w->audio_off[t], w->audio_stash + w->audio_off[t],
                   (size_t)w->naudio[t] * (size_t)w->audio_channels[t] * sizeof(SwSample));
        item->naudio[t] = w->naudio[t];
        item->silence[t] = w->lost[t];
        w->naudio[t] = 0;
        w->lost[t] = 0;
    }
}

static int writer_program_frame(void *opaque, const SwProgramFrame *pf)
{
    MuxWriter *w = opaque;
    MuxItem *item;
    int ret;

    ret = atomic_load(&w->err);
    if (ret)
        return ret;
    if (w->finished || !pf || !pf->frame)
        return w->finished ? -EPIPE : -EINVAL;
    item = sw_queue_pop(w->pool); /* blocks while every item is in flight */
    if (!item)
        return -EPIPE;
    item->cam = pf->cam;
    item->flags = pf->flags;
    /* The tick's events travel with its frame: no lock, no allocation here. */
    item->nevents = w->nstash < SW_MAX_EVENTS ? w->nstash : SW_MAX_EVENTS;
    for (int i = 0; i < item->nevents; i++)
        item->events[i] = w->stash[i];
    w->nstash = 0;
    take_audio(w, item);
    if (w->nanoms > 0)
        memcpy(item->anoms, w->anom_stash, (size_t)w->nanoms * sizeof(SwAnomaly));
    item->nanoms = w->nanoms;
    w->nanoms = 0;
    item->ltc = w->ltc_stash;
    w->ltc_stash.tc[0] = 0;
    /* Keyframes at every cut (a clean entry point per shot) and on a fixed grid of gop frames. */
    return queue_item(w, item, pf->frame, pf->tick, (pf->flags & SW_PF_CUT) || pf->tick % w->gop == 0);
}

MuxWriter *mux_writer_alloc(MuxOutput *out, int queue_len, int gop)
{
    MuxWriter *w;
    int ret;

    if (!out || queue_len < 0)
        return NULL;
    w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->out = out;
    w->gop = gop > 0 ? gop : mux_output_get_gop(out);
    w->nitems = queue_len > 0 ? queue_len : MUX_WRITER_DEFAULT_QUEUE;
    atomic_init(&w->err, 0);
    w->items = calloc((size_t)w->nitems, sizeof(*w->items));
    w->pool = sw_queue_alloc(w->nitems);
    w->work = sw_queue_alloc(w->nitems);
    if (!w->items || !w->pool || !w->work)
        goto fail;
    /* Program audio: every item and the stash hold two ticks' worth, allocated now, never per frame. */
    w->audio_cap = 2 * mux_output_audio_tick_frames(out);
    if (w->audio_cap > 0) {
        size_t total = 0;
        w->ntracks = mux_output_audio_tracks(out);
        for (int t = 0; t < w->ntracks; t++) {
            w->audio_channels[t] = mux_output_audio_channels(out, t);
            w->audio_off[t] = total;
            total += (size_t)w->audio_cap * (size_t)w->audio_channels[t];
        }
        size_t bytes = total * sizeof(SwSample);
        if (!(w->audio_stash = malloc(bytes)))
            goto fail;
        for (int i = 0; i < w->nitems; i++)
            if (!(w->items[i].audio = malloc(bytes)))
                goto fail;
    }
    for (int i = 0; i < w->nitems; i++)
        sw_queue_push(w->pool, &w->items[i]);
    ret = pthread_create(&w->thread, NULL, writer_main, w);
    if (ret) {
        ot_log(OT_LOG_ERROR, "mux", "cannot start the mux thread: %s", ot_strerror(-ret));
        goto fail;
    }
    w->thread_started = 1;
    return w;

fail:
    w->out = NULL; /* on failure out stays the caller's */
    mux_writer_free(&w);
    return NULL;
}

int mux_writer_audio(MuxWriter *w, int track, const SwSample *samples, int n, int channels)
{
    if (!w || !w->audio_cap || track >= w->ntracks)
        return 0; /* no such audio track */
    if (track < 0 || n < 0 || channels != w->audio_channels[track])
        return -EINVAL; /* the runner and the output disagree: a bug */
    if (w->lost[track] > 0 || w->naudio[track] + n > w->audio_cap) {
        /* Frames were dropped (real time) and their audio waits: what does not fit becomes silence, after what
         * did, so that everything later keeps its time. Counted, logged at the finish. */
        w->lost[track] += n;
        w->audio_lost += n;
        return 0;
    }
    memcpy(w->audio_stash + w->audio_off[track] + (size_t)w->naudio[track] * (size_t)channels, samples,
           (size_t)n * (size_t)channels * sizeof(SwSample));
    w->naudio[track] += n;
    return 0;
}

/* Program audio comes before the next tick's program_frame (sw_runner.h): copied into the stash until then. */
static int writer_program_audio(void *opaque, int track, int64_t first, const SwSample *samples, int n,
                                int channels, int missing)
{
    MuxWriter *w = opaque;
    (void)first; /* continuous by construction: the runner gives every tick's audio in order */
    (void)missing; /* declared by the runner as an audio-gap anomaly */
    if (w->audio_cap && track >= 0 && track < w->ntracks && w->naudio[track] + n > w->audio_cap)
        return -ENOSPC; /* the program writer never drops: more than two ticks between frames is a bug */
    return mux_writer_audio(w, track, samples, n, channels);
}

static int writer_anomaly(void *opaque, const SwAnomaly *a)
{
    MuxWriter *w = opaque;
    if (!w->proof || !a)
        return 0;
    if (w->nanoms == MUX_WRITER_MAX_ANOMALIES) {
        /* Cannot happen with SW_MAX_CAMS cameras (the runner reports at most five a camera a tick): counted. */
        w->anoms_dropped++;
        return 0;
    }
    w->anom_stash[w->nanoms++] = *a;
    return 0;
}

/* Events come before their tick's program_frame (sw_runner.h): stashed until then. */
static int writer_event(void *opaque, const SwEvent *ev)
{
    MuxWriter *w = opaque;

    if (!ev || (!w->proof && ev->type != SW_EVENT_SUB))
        return 0;
    if (w->nstash >= (int)(sizeof(w->stash) / sizeof(w->stash[0])))
        return -ENOSPC; /* more events than one tick can make: a bug */
    w->stash[w->nstash++] = *ev;
    return 0;
}

int mux_writer_note_ltc(MuxWriter *w, int64_t tick, int64_t frame, const char *tc, int freewheel)
{
    if (!w || !tc || strlen(tc) >= sizeof(w->ltc_stash.tc))
        return -EINVAL;
    w->ltc_stash = (MuxLtcNote){.tick = tick, .frame = frame, .freewheel = freewheel};
    memcpy(w->ltc_stash.tc, tc, strlen(tc) + 1);
    return 0;
}

void mux_writer_set_proof(MuxWriter *w, ProofStream *proof)
{
    if (w)
        w->proof = proof;
}

SwSink mux_writer_sink(MuxWriter *w)
{
    SwSink sink = {0};
    sink.opaque = w;
    sink.program_frame = writer_program_frame;
    sink.event = writer_event;
    sink.program_audio = writer_program_audio;
    sink.anomaly = writer_anomaly;
    return sink;
}

int mux_writer_finish(MuxWriter *w)
{
    int err;
    int ret;

    if (!w)
        return -EINVAL;
    if (w->finished)
        return w->finish_err;
    w->finished = 1;
    if (w->work)
        sw_queue_close(w->work); /* the mux thread drains what is queued, then ends */
    if (w->thread_started) {
        pthread_join(w->thread, NULL);
        w->thread_started = 0;
    }
    err = atomic_load(&w->err);
    /* The mux thread has ended: the events after the last frame (the END) are ours to log now. */
    if (w->proof && w->nstash > 0) {
        ret = proof_events(w->proof, w->stash, w->nstash);
        if (ret < 0 && !err)
            err = ret;
    }
    /* Lines of the END's tick never show: the close ends every line at the last frame. */
    w->nstash = 0;
    /* The last tick's audio and declarations came with the END: written before the output closes. */
    if (!err) {
        ret = write_extras(w, w->anom_stash, w->nanoms, w->audio_stash, w->naudio, w->lost);
        if (ret < 0)
            err = ret;
    }
    w->nanoms = 0;
    memset(w->naudio, 0, sizeof(w->naudio));
    memset(w->lost, 0, sizeof(w->lost));
    if (w->audio_lost)
        ot_log(OT_LOG_WARNING, "mux",
               "%lld audio frames came while the writer was dropping frames (real time): written as silence in "
               "their place",
               (long long)w->audio_lost);
    if (w->anoms_dropped)
        ot_log(OT_LOG_ERROR, "mux", "%lld declarations did not fit a frame and are missing from the take log "
               "(a bug)", (long long)w->anoms_dropped);
    /* Ticks dropped after the last frame written: declared here, before the output's last records. */
    if (w->gap_count && w->on_gap && !err)
        w->on_gap(w->on_gap_opaque, w->gap_first, w->gap_count);
    w->gap_count = 0;
    ret = w->out ? mux_output_close(w->out) : 0;
    w->finish_err = err ? err : ret;
    return w->finish_err;
}

void mux_writer_free(MuxWriter **pw)
{
    MuxWriter *w = pw ? *pw : NULL;

    if (!w)
        return;
    mux_writer_finish(w);
    /* The thread is joined: whatever is left in the work queue (nothing, normally) is ours to release. */
    if (w->work) {
        MuxItem *item;
        while ((item = sw_queue_try_pop(w->work)))
            ot_frame_unref(&item->frame);
    }
    sw_queue_free(&w->work);
    sw_queue_free(&w->pool);
    for (int i = 0; w->items && i < w->nitems; i++)
        free(w->items[i].audio);
    free(w->items);
    free(w->audio_stash);
    mux_output_free(&w->out);
    free(w);
    *pw = NULL;
}

void mux_writer_get_stats(MuxWriter *w, MuxOutputStats *stats)
{
    mux_output_get_stats(w ? w->out : NULL, stats);
}

int mux_writer_push(MuxWriter *w, OtFrame *frame, int64_t pts, int force_key, int block)
{
    MuxItem *item;
    int ret;

    if (!w || !frame)
        return -EINVAL;
    ret = atomic_load(&w->err);
    if (ret)
        return ret;
    if (w->finished)
        return -EPIPE;
    /* Real time: a writer that is behind never holds the program thread up; the caller drops and counts. */
    item = block ? sw_queue_pop(w->pool) : sw_queue_try_pop(w->pool);
    if (!item && !block) {
        /* A run of dropped ticks travels with the next frame queued, to be declared on the mux thread. */
        if (!w->gap_count)
            w->gap_first = pts;
        w->gap_count++;
        return -EAGAIN;
    }
    if (!item)
        return -EPIPE;
    item->gap_first = w->gap_first;
    item->gap_count = w->gap_count;
    w->gap_count = 0;
    take_audio(w, item); /* an ISO's own audio (mux_writer_audio) */
    return queue_item(w, item, frame, pts, force_key);
}

void mux_writer_set_gap_hook(MuxWriter *w, void (*on_gap)(void *opaque, int64_t first, int64_t count),
                             void *opaque)
{
    if (w) {
        w->on_gap = on_gap;
        w->on_gap_opaque = opaque;
    }
}
