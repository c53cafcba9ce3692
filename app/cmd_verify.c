/* onetake verify DIR [--pubkey FILE] [--json] [--master FILE]: is DIR one authentic, uncut take? Exit codes
 * are pinned in docs/contract.md: 0 UNCUT (or UNCUT_WITH_DECLARED_ANOMALIES), 1 INVALID, 2 usage or I/O error, 3
 * PARTIAL_AUTHENTIC. What each verdict means and what is checked: docs/proof.md. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "app.h"
#include "archive.h"
#include "mux.h"
#include "mux_verify.h"
#include "ot_common.h"
#include "proof.h"
#include "proof_json.h"

enum { VERIFY_EXIT_PARTIAL = 3 };

typedef struct VerifyOptions {
    char *pubkey;
    char *master;
    char **streams;
    gboolean json;
    gboolean quiet;
} VerifyOptions;

static int exit_code(ProofStatus s)
{
    switch (s) {
    case PROOF_UNCUT:
    case PROOF_UNCUT_WITH_DECLARED_ANOMALIES:
        return APP_EXIT_OK;
    case PROOF_PARTIAL_AUTHENTIC:
        return VERIFY_EXIT_PARTIAL;
    case PROOF_INVALID:
        return APP_EXIT_FAIL;
    case PROOF_IO_ERROR:
        break;
    }
    return APP_EXIT_USAGE;
}

static void on_progress(void *opaque, const char *file, int64_t done, int64_t total)
{
    const VerifyOptions *o = opaque;
    if (o->quiet)
        return;
    fprintf(stderr, "verify: %s %.0f%% (%.1f of %.1f MB)%s", file,
            total > 0 ? 100.0 * (double)done / (double)total : 100.0, (double)done / 1e6, (double)total / 1e6,
            isatty(STDERR_FILENO) ? "\r" : "\n");
}

static void print_list(const char *title, char **items)
{
    if (!items)
        return;
    printf("  %s:\n", title);
    for (char **s = items; *s; s++)
        printf("    - %s\n", *s);
}

static void print_text(const ProofVerdict *v)
{
    char tc[32];
    const char *name = proof_status_name(v->status);

    switch (v->status) {
    case PROOF_UNCUT:
    case PROOF_UNCUT_WITH_DECLARED_ANOMALIES:
        proof_verdict_timecode(v, v->end_frame, tc, sizeof(tc));
        printf("%s: take %s is one authentic, uncut take: %" G_GINT64_FORMAT " frames (%s) at %d/%d fps\n",
               name, v->take_id, v->end_frame, tc, v->rate_num, v->rate_den);
        break;
    case PROOF_PARTIAL_AUTHENTIC:
        proof_verdict_timecode(v, v->end_frame, tc, sizeof(tc));
        printf("%s: take %s is authentic and gapless from frame 0 up to frame %" G_GINT64_FORMAT
               " (%s, exclusive); "
               "the recorder did not close it, what follows is unattested\n",
               name, v->take_id ? v->take_id : "?", v->end_frame, tc);
        break;
    case PROOF_INVALID:
    case PROOF_IO_ERROR:
        printf("%s: %s\n", name, v->what ? v->what : "unknown failure");
        printf("  check: %s\n", v->check ? v->check : "?");
        if (v->file)
            printf("  file: %s\n", v->file);
        if (v->frame >= 0) {
            proof_verdict_timecode(v, v->frame, tc, sizeof(tc));
            printf("  frame: %" G_GINT64_FORMAT " (timecode %s)\n", v->frame, tc);
        }
        if (v->take_id)
            printf("  take: %s\n", v->take_id);
        break;
    }
    if (v->files > 0 && v->status != PROOF_INVALID && v->status != PROOF_IO_ERROR)
        printf("  finalized: %s (%d of %d files finished at the close: Cues, Duration, Segment size)\n",
               v->files_finalized == v->files ? "yes" : v->files_finalized ? "partly" : "no", v->files_finalized,
               v->files);
    if (v->station_keyid)
        printf("  station key: %s (%s)\n", v->station_keyid,
               v->station_pinned ? "pinned with --pubkey" : "NOT pinned");
    print_list("declared anomalies", v->anomalies);
    print_list("stream gaps (frames not in the recording)", v->gaps);
    print_list("notes", v->notes);
    print_list("checked", v->checked);
}

static void add_strv(JsonBuilder *b, const char *name, char **items)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (char **s = items; s && *s; s++)
        proof_json_add_string(b, NULL, *s);
    json_builder_end_array(b);
}

static void print_json(const ProofVerdict *v, const char *dir)
{
    JsonBuilder *b = json_builder_new();
    JsonGenerator *gen = json_generator_new();
    JsonNode *root;
    char tc[32];
    char *text;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "verdict");
    proof_json_add_string(b, NULL, proof_status_name(v->status));
    json_builder_set_member_name(b, "exit_code");
    json_builder_add_int_value(b, exit_code(v->status));
    json_builder_set_member_name(b, "dir");
    proof_json_add_string(b, NULL, dir);
    json_builder_set_member_name(b, "take_id");
    if (v->take_id)
        proof_json_add_string(b, NULL, v->take_id);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "fps");
    g_snprintf(tc, sizeof(tc), "%d/%d", v->rate_num, v->rate_den);
    proof_json_add_string(b, NULL, tc);
    json_builder_set_member_name(b, "end_frame");
    if (v->status == PROOF_INVALID || v->status == PROOF_IO_ERROR || v->end_frame < 0) {
        json_builder_add_null_value(b);
        json_builder_set_member_name(b, "end_timecode");
        json_builder_add_null_value(b);
    } else {
        json_builder_add_int_value(b, v->end_frame);
        json_builder_set_member_name(b, "end_timecode");
        proof_json_add_string(b, NULL, proof_verdict_timecode(v, v->end_frame, tc, sizeof(tc)));
    }
    json_builder_set_member_name(b, "failure");
    if (v->status == PROOF_INVALID || v->status == PROOF_IO_ERROR) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "check");
        proof_json_add_string(b, NULL, v->check);
        json_builder_set_member_name(b, "what");
        proof_json_add_string(b, NULL, v->what);
        json_builder_set_member_name(b, "file");
        if (v->file)
            proof_json_add_string(b, NULL, v->file);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "frame");
        if (v->frame >= 0)
            json_builder_add_int_value(b, v->frame);
        else
            json_builder_add_null_value(b);
        json_builder_set_member_name(b, "timecode");
        if (v->frame >= 0)
            proof_json_add_string(b, NULL, proof_verdict_timecode(v, v->frame, tc, sizeof(tc)));
        else
            json_builder_add_null_value(b);
        json_builder_end_object(b);
    } else {
        json_builder_add_null_value(b);
    }
    json_builder_set_member_name(b, "station_key");
    if (v->station_keyid)
        proof_json_add_string(b, NULL, v->station_keyid);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "station_key_pinned");
    json_builder_add_boolean_value(b, v->station_pinned);
    json_builder_set_member_name(b, "live");
    json_builder_add_boolean_value(b, v->live);
    json_builder_set_member_name(b, "speed");
    json_builder_add_double_value(b, v->speed);
    json_builder_set_member_name(b, "finalized");
    json_builder_add_boolean_value(b, v->files > 0 && v->files_finalized == v->files);
    json_builder_set_member_name(b, "files_finalized");
    json_builder_add_int_value(b, v->files_finalized);
    json_builder_set_member_name(b, "records");
    json_builder_add_int_value(b, v->records);
    json_builder_set_member_name(b, "checkpoints");
    json_builder_add_int_value(b, v->checkpoints);
    json_builder_set_member_name(b, "packets_checked");
    json_builder_add_int_value(b, v->packets_checked);
    json_builder_set_member_name(b, "bytes_checked");
    json_builder_add_int_value(b, v->bytes_checked);
    add_strv(b, "anomalies", v->anomalies);
    add_strv(b, "stream_gaps", v->gaps);
    add_strv(b, "notes", v->notes);
    add_strv(b, "checked", v->checked);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
    g_free(text);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
}

/* A bag is checked as a bag first (manifests, tag manifest, Payload-Oxum, its signature): a bag edited after
 * `archive` is INVALID naming what changed, even where the take log would not see it (an extra file, bag-info). */
static void verify_bag(const char *bag, const ProofKey *pinned, int progress, ProofVerdict *v)
{
    ArchiveCheck res;
    int ret = archive_check(bag, pinned, progress, &res);
    if (ret < 0)
        proof_verdict_fail(v, PROOF_IO_ERROR, "bag", "bagit.txt", -1, "cannot check the bag %s: %s", bag,
                           res.failure ? res.failure : ot_strerror(ret));
    else if (ret > 0)
        proof_verdict_fail(v, PROOF_INVALID, "bag-manifest", "manifest-sha256.txt", -1,
                           "the bag was changed after it was made: %s",
                           res.failure ? res.failure : "its manifests do not match");
    else
        proof_verdict_checked(v,
                              "bag: %" PRId64 " payload files (%" PRId64 " bytes) against manifest-sha256.txt, "
                              "the tag manifest, Payload-Oxum%s",
                              res.files, res.bytes,
                              res.signature > 0    ? ", its signature"
                              : res.signature == 0 ? " (signature present, not checked: no public key)"
                                                   : " (no signature)");
    archive_check_clear(&res);
}

/* A take folder, or a BagIt bag of one (its payload in data/). */
static char *take_dir(const char *dir)
{
    char *log = g_build_filename(dir, PROOF_LOG_FILE, NULL);
    char *data = g_build_filename(dir, "data", NULL);
    char *data_log = g_build_filename(dir, "data", PROOF_LOG_FILE, NULL);
    char *ret = !g_file_test(log, G_FILE_TEST_EXISTS) && g_file_test(data_log, G_FILE_TEST_EXISTS)
                    ? g_strdup(data)
                    : g_strdup(dir);
    g_free(log);
    g_free(data);
    g_free(data_log);
    return ret;
}

int cmd_verify(int argc, char **argv)
{
    VerifyOptions o = {0};
    GOptionEntry entries[] = {
        {"pubkey", 'p', 0, G_OPTION_ARG_FILENAME, &o.pubkey,
         "The station's public key (minisign .pub): the take must be made by it", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &o.json, "Print the verdict as one JSON object", NULL},
        {"master", 0, 0, G_OPTION_ARG_FILENAME, &o.master,
         "Check this file as the master at packet level (a remux, e.g. ffmpeg -c copy to MP4)", "FILE"},
        {"stream", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.streams,
         "Check a recording of the live stream (.ts or .flv, made anywhere): its video must be the take's program "
         "packets; the frames it lacks are listed; repeatable", "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "No progress on stderr", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("DIR - is DIR one authentic, uncut take?");
    GError *err = NULL;
    ProofKey *pinned = NULL;
    ProofTake *take = NULL;
    ProofVerdict v;
    char *dir = NULL;
    int ret;

    proof_verdict_init(&v);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "onetake verify: %s (see onetake verify --help)\n", err->message);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (argc != 2) {
        fprintf(stderr,
                "onetake verify: give one take folder: onetake verify DIR [--pubkey FILE] [--json]\n");
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "onetake verify: \"%s\" is not a folder: give a take folder\n", argv[1]);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (o.pubkey && !(pinned = proof_key_load_public(o.pubkey))) {
        ret = APP_EXIT_USAGE;
        goto out;
    }
    mux_init_logging();
    dir = take_dir(argv[1]);
    if (archive_is_bag(argv[1]))
        verify_bag(argv[1], pinned, !o.quiet, &v);
    if (v.status != PROOF_INVALID && v.status != PROOF_IO_ERROR)
        take = proof_take_open(dir, pinned, &v);
    for (int i = 0;
         take && i < proof_take_nstreams(take) && v.status != PROOF_INVALID && v.status != PROOF_IO_ERROR;
         i++) {
        const ProofStreamModel *m = proof_take_stream(take, i);
        /* --master replaces the program's file: the program video and the program audio track in it. */
        const ProofStreamModel *owner = m->owner >= 0 ? proof_take_stream(take, m->owner) : m;
        int is_program = owner && owner->role && !strcmp(owner->role, "program");
        mux_verify_stream(dir, take, i, is_program ? o.master : NULL, &v, on_progress, &o);
    }
    if (take && v.status != PROOF_INVALID && v.status != PROOF_IO_ERROR)
        mux_verify_derived(dir, take, &v);
    for (int i = 0; take && o.streams && o.streams[i] && v.status != PROOF_INVALID && v.status != PROOF_IO_ERROR;
         i++)
        mux_verify_recording(take, o.streams[i], &v);
    if (take)
        proof_take_finish(take, &v);
    if (!o.quiet && isatty(STDERR_FILENO))
        fputs("\033[K", stderr);
    if (o.json)
        print_json(&v, argv[1]);
    else
        print_text(&v);
    ret = exit_code(v.status);
out:
    proof_take_free(&take);
    proof_key_free(&pinned);
    proof_verdict_clear(&v);
    g_free(dir);
    g_free(o.pubkey);
    g_free(o.master);
    g_strfreev(o.streams);
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}
