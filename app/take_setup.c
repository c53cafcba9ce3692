/* onetake app: making a take, shared by record and replay (the folder, cameras, program, runner, close,
 * abort). */
#include "take_setup.h"

#include "ot_common.h"

/* Frames the program writer holds ahead of its mux thread. */
#define APP_MUX_QUEUE 4

int app_take_create(AppTake *t, const MuxTakeConfig *cfg)
{
    t->cfg = *cfg;
    t->take = mux_take_create(cfg);
    return t->take ? 0 : OT_ERROR_TAKE;
}

int app_take_start_cameras(AppTake *t, const CapFormat *fmt, int timeout_ms, AppCameraHook hook,
                           void *hook_opaque)
{
    int ret = 0;

    for (int i = 0; i < t->cfg.ncams; i++) {
        t->cams[i] = cap_camera_alloc(t->cfg.cams[i], t->cfg.sources[i], i, fmt);
        if (!t->cams[i])
            return OT_ERROR_SOURCE;
        if ((hook && (ret = hook(hook_opaque, i, t->cams[i])) < 0) ||
            (ret = cap_camera_start(t->cams[i], timeout_ms)) < 0)
            return ret;
    }
    return 0;
}

void app_take_proof_describe(const AppTake *t, AppProofTake *pt)
{
    const MuxTakeConfig *c = &t->cfg;

    *pt = (AppProofTake){
        .take = t->take,
        .cams = c->cams,
        .sources = c->sources,
        .ncams = c->ncams,
        .rate = c->rate,
        .width = c->width,
        .height = c->height,
        .codec = c->codec,
        .gop = c->gop,
        .has_cues = c->cues_path != NULL,
        .iso_codec = c->iso_codec,
        .command_line = c->command_line,
        .sub_langs = t->sub_langs,
        .sub_nlangs = t->sub_nlangs,
        .nstems = t->stems.n,
        .stem_roles = t->stems.roles,
    };
}

int app_take_open_program(AppTake *t, const char *title, const char *timecode, int audio_channels,
                          AppProof *proof)
{
    const MuxTakeConfig *c = &t->cfg;
    char *path = mux_take_path(t->take, MUX_TAKE_PROGRAM_FILE);
    MuxOutputConfig oc = {
        .path = path,
        .codec = c->codec,
        .width = c->width,
        .height = c->height,
        .rate = c->rate,
        .gop = c->gop,
        .take_id = mux_take_id(t->take),
        .role = "program",
        .title = title,
        .timecode = timecode,
        .preset = c->preset, /* x264's output depends on it (replay makes the same packets) */
        .threads = c->threads, /* so does it on this */
        .audio_channels = audio_channels,
        .sub_langs = t->sub_langs,
        .sub_nlangs = t->sub_nlangs,
        .audio_bits = c->audio_bits,
        .audio_title = t->stems.first_title,
    };
    for (int i = 0; audio_channels > 0 && i < t->stems.n; i++) {
        oc.stems[i].channels = t->stems.channels[i];
        oc.stems[i].title = t->stems.titles[i];
        oc.stems[i].role = t->stems.roles[i];
        oc.nstems = i + 1;
    }
    app_proof_output(proof, 0, &oc);
    MuxOutput *out = mux_output_alloc(&oc);
    g_free(path);
    if (!out)
        return OT_ERROR_CODEC;
    /* The live streams connect before the roll: one that cannot is refused here (unless optional). */
    if (t->streams && mux_output_start_streams(out, t->streams) < 0) {
        mux_output_free(&out);
        return OT_ERROR_CODEC;
    }
    t->writer = mux_writer_alloc(out, APP_MUX_QUEUE, c->gop);
    if (!t->writer) {
        mux_output_free(&out);
        return -ENOMEM;
    }
    mux_writer_set_proof(t->writer, oc.proof);
    return 0;
}

int app_take_start_runner(AppTake *t, const SwRunnerConfig *rc)
{
    SwSource sources[SW_MAX_CAMS];

    for (int i = 0; i < t->cfg.ncams; i++)
        sources[i] = cap_camera_source(t->cams[i]);
    t->runner = t->sw ? sw_runner_alloc(rc, t->sw, sources, t->cfg.ncams) : NULL;
    if (!t->runner)
        return -ENOMEM;
    /* sw_runner_add_sink copies the sink. */
    SwSink log_sink = mux_take_event_sink(t->take);
    SwSink writer_sink = mux_writer_sink(t->writer);
    sw_runner_add_sink(t->runner, &log_sink);
    sw_runner_add_sink(t->runner, &writer_sink);
    if (t->iso) {
        SwSink iso_sink = mux_iso_sink(t->iso);
        sw_runner_add_sink(t->runner, &iso_sink);
    }
    return 0;
}

void app_take_finish(AppTake *t, int run_ret, gint64 start_us, AppTakeEnd *end)
{
    int mux_ret = mux_writer_finish(t->writer);

    end->iso_error = t->iso ? mux_iso_finish(t->iso) : 0;
    end->wall_seconds = (double)(g_get_monotonic_time() - start_us) / G_USEC_PER_SEC;
    for (int i = 0; i < t->cfg.ncams; i++)
        cap_camera_stop(t->cams[i]);
    sw_runner_get_stats(t->runner, &end->stats);
    mux_writer_get_stats(t->writer, &end->program);
    end->error = run_ret < 0 ? run_ret : mux_ret;
}

void app_take_close(AppTake *t, AppTakeEnd *end, MuxTakeSummary *sum)
{
    sum->stats = &end->stats;
    sum->program = &end->program;
    sum->error = end->error;
    sum->wall_seconds = end->wall_seconds;
    int ret = mux_take_close(t->take, sum);
    if (!end->error)
        end->error = ret;
}

void app_take_abort(AppTake *t, AppProof *proof)
{
    for (int i = 0; i < t->cfg.ncams; i++)
        cap_camera_free(&t->cams[i]);
    mux_writer_free(&t->writer);
    mux_iso_abort(&t->iso);
    if (proof)
        proof_log_free(&proof->log); /* its files go with the folder */
    mux_take_abort(&t->take);
}

void app_take_free(AppTake *t)
{
    sw_runner_free(&t->runner);
    mux_writer_free(&t->writer);
    mux_iso_free(&t->iso);
    sw_switcher_free(&t->sw);
    for (int i = 0; i < t->cfg.ncams; i++)
        cap_camera_free(&t->cams[i]);
    mux_take_free(&t->take);
}
