/* onetake app: the proof wired into a take (app_proof.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "app_proof.h"
#include "ot_common.h"

int app_proof_load_key(AppProof *p, const char *path, int disabled)
{
    const char *env = g_getenv("OT_NO_PROOF");
    char kid[17];
    int created = 0;

    memset(p, 0, sizeof(*p));
    p->disabled = disabled || (env && *env && strcmp(env, "0"));
    if (p->disabled) {
        ot_log(OT_LOG_WARNING, "record",
               "the proof is off (--no-proof or OT_NO_PROOF): this take will have no "
               "take log and `onetake verify` cannot vouch for it");
        return 0;
    }
    if (path) {
        p->station = proof_key_load(path);
        return p->station ? 0 : -EINVAL;
    }
    p->station = proof_key_load_default(&created);
    if (!p->station) {
        char *def = proof_key_default_path();
        ot_log(OT_LOG_ERROR, "record",
               "no station key: make one with `onetake keygen --out FILE` and give --key "
               "FILE (the default %s could not be used)",
               def);
        g_free(def);
        return -EINVAL;
    }
    {
        char *def = proof_key_default_path();
        if (created)
            ot_log(OT_LOG_INFO, "record",
                   "made a new station key %s in %s (public key %s.pub): keep it, and give "
                   "its .pub to QA to pin with `onetake verify --pubkey`",
                   proof_key_id_hex(p->station, kid), def, def);
        else
            ot_log(OT_LOG_INFO, "record",
                   "signing with the default station key %s (%s); --key FILE picks another",
                   proof_key_id_hex(p->station, kid), def);
        g_free(def);
    }
    return 0;
}

int app_proof_start(AppProof *p, const AppProofTake *t)
{
    ProofStreamInfo streams[1 + 2 * SW_MAX_CAMS + SW_AUDIO_MAX_TRACKS + SW_SUB_MAX_LANGS];
    char *isoaroles[SW_MAX_CAMS] = {0}, *subroles[SW_SUB_MAX_LANGS] = {0};
    char *isofiles[SW_MAX_CAMS] = {0}, *isoroles[SW_MAX_CAMS] = {0};
    char *cues = NULL;
    int n = 0;

    if (p->disabled)
        return 0;
    streams[n++] = (ProofStreamInfo){.role = "program",
                                     .file = MUX_TAKE_PROGRAM_FILE,
                                     .codec = mux_codec_name(t->codec),
                                     .tb_num = t->rate.den,
                                     .tb_den = t->rate.num};
    for (int i = 0; t->iso_codec && i < t->ncams && i < SW_MAX_CAMS; i++) {
        isofiles[i] = g_strdup_printf("%s/%s.mkv", MUX_TAKE_ISO_DIR, t->cams[i]);
        isoroles[i] = g_strdup_printf("iso %s", t->cams[i]);
        /* A copy ISO's packets are the camera's, on the take clock in ms (MUX_COPY_TB_DEN), not frame
         * indices. */
        int copy = !strcmp(t->iso_codec, mux_codec_name(MUX_CODEC_COPY));
        streams[n++] = (ProofStreamInfo){.role = isoroles[i],
                                         .file = isofiles[i],
                                         .codec = t->iso_codec,
                                         .tb_num = copy ? 1 : t->rate.den,
                                         .tb_den = copy ? MUX_COPY_TB_DEN : t->rate.num};
    }
    /* The program audio: a second track of program.mkv (its bytes are in the program's FILE records), after the
     * ISOs so that ISO i stays stream 1 + i. */
    p->audio_stream = -1;
    if (t->audio_channels > 0) {
        p->audio_stream = n;
        streams[n++] = (ProofStreamInfo){.role = "program audio",
                                         .file = MUX_TAKE_PROGRAM_FILE,
                                         .codec = "flac",
                                         .tb_num = 1,
                                         .tb_den = SW_AUDIO_RATE};
        for (int i = 0; i < t->nstems && i < SW_AUDIO_MAX_TRACKS - 1; i++)
            streams[n++] = (ProofStreamInfo){.role = t->stem_roles[i],
                                             .file = MUX_TAKE_PROGRAM_FILE,
                                             .codec = "flac",
                                             .tb_num = 1,
                                             .tb_den = SW_AUDIO_RATE};
        p->nstems = t->nstems;
    }
    /* The ISOs' own audio: a second track of each iso/NAME.mkv that has one, after everything else. */
    for (int i = 0; i < SW_MAX_CAMS; i++)
        p->iso_audio_stream[i] = -1;
    for (int i = 0; t->iso_codec && t->iso_audio && i < t->ncams && i < SW_MAX_CAMS; i++) {
        if (!t->iso_audio[i])
            continue;
        isoaroles[i] = g_strdup_printf("iso %s audio", t->cams[i]);
        p->iso_audio_stream[i] = n;
        int copy = !strcmp(t->iso_codec, mux_codec_name(MUX_CODEC_COPY)); /* the camera's packets, in ms */
        streams[n++] = (ProofStreamInfo){.role = isoaroles[i],
                                         .file = isofiles[i],
                                         .codec = t->iso_audio[i],
                                         .tb_num = 1,
                                         .tb_den = copy ? MUX_COPY_TB_DEN : SW_AUDIO_RATE};
    }
    /* Subtitles: a track of program.mkv per language, its PKT records in program frames (pts = first frame,
     * duration = frames shown). */
    p->sub_stream = -1;
    p->sub_nlangs = t->sub_nlangs;
    for (int i = 0; i < t->sub_nlangs && i < SW_SUB_MAX_LANGS; i++) {
        if (!i)
            p->sub_stream = n;
        subroles[i] = g_strdup_printf("subtitles %s", t->sub_langs[i]);
        streams[n++] = (ProofStreamInfo){.role = subroles[i],
                                         .file = MUX_TAKE_PROGRAM_FILE,
                                         .codec = "subrip",
                                         .tb_num = t->rate.den,
                                         .tb_den = t->rate.num};
    }
    if (t->has_cues)
        cues = mux_take_path(t->take, MUX_TAKE_CUES_FILE);
    ProofLogConfig cfg = {
        .dir = mux_take_dir(t->take),
        .take_id = mux_take_id(t->take),
        .station = p->station,
        .cams = t->cams,
        .sources = t->sources,
        .ncams = t->ncams,
        .rate_num = t->rate.num,
        .rate_den = t->rate.den,
        .width = t->width,
        .height = t->height,
        .codec = mux_codec_name(t->codec),
        .gop = t->gop,
        .cues_file = cues,
        .live = t->live,
        .pacing = t->pacing,
        .command_line = t->command_line,
        .streams = streams,
        .nstreams = n,
    };
    p->log = proof_log_alloc(&cfg);
    p->nstreams = n;
    g_free(cues);
    for (int i = 0; i < SW_MAX_CAMS; i++) {
        g_free(isofiles[i]);
        g_free(isoroles[i]);
        g_free(isoaroles[i]);
    }
    for (int i = 0; i < SW_SUB_MAX_LANGS; i++)
        g_free(subroles[i]);
    return p->log ? 0 : -EIO;
}

void app_proof_output(AppProof *p, int stream, MuxOutputConfig *oc)
{
    if (!p || p->disabled || !p->log)
        return;
    oc->proof = proof_log_stream(p->log, stream);
    oc->proof_log = stream == 0 ? p->log : NULL;
    if (stream == 0 && p->audio_stream > 0) {
        oc->audio_proof = proof_log_stream(p->log, p->audio_stream);
        for (int i = 0; i < p->nstems; i++)
            oc->stems[i].proof = proof_log_stream(p->log, p->audio_stream + 1 + i);
    }
    for (int i = 0; stream == 0 && p->sub_stream > 0 && i < p->sub_nlangs && i < SW_SUB_MAX_LANGS; i++)
        oc->sub_proofs[i] = proof_log_stream(p->log, p->sub_stream + i);
    oc->genesis = proof_log_genesis_hex(p->log);
}

void app_proof_iso_configure(void *opaque, int cam, MuxOutputConfig *oc)
{
    AppProof *p = opaque;
    if (p && 1 + cam < p->nstreams)
        app_proof_output(p, 1 + cam, oc);
    if (p && !p->disabled && p->log && cam >= 0 && cam < SW_MAX_CAMS && p->iso_audio_stream[cam] >= 0)
        oc->audio_proof = proof_log_stream(p->log, p->iso_audio_stream[cam]);
}

int app_proof_close(AppProof *p, const SwRunnerStats *st, int error)
{
    ProofCloseInfo ci = {
        .reason = error       ? "failed"
                  : st->ended ? sw_origin_name(st->end_origin)
                              : "unknown",
        .error = error,
        .frames = st->ticks,
        .cuts = st->cuts,
        .program_repeats = st->program_repeats,
    };
    int ret;

    if (!p || p->disabled || !p->log)
        return 0;
    ret = proof_log_close(p->log, &ci);
    if (ret < 0)
        ot_log(OT_LOG_ERROR, "record",
               "the take log could not be closed (%s): `onetake verify` will say how far "
               "the take is attested",
               ot_strerror(ret));
    return ret;
}

void app_proof_free(AppProof *p)
{
    if (!p)
        return;
    proof_log_free(&p->log);
    proof_key_free(&p->station);
}
