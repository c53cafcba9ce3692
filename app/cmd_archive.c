/* onetake archive DIR [--out DEST] [--salvage]: the take as a BagIt bag, signed by the station key.
 * onetake archive --check BAG [--pubkey FILE]: check a bag (fixity, completeness, signature).
 * The work is in archive/ (archive.h); this file parses the command line and reports. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "app.h"
#include "app_proof.h"
#include "archive.h"
#include "ot_common.h"
#include "proof.h"

static int run_check(const char *bag, const char *pubkey_path, int quiet)
{
    ProofKey *pub = NULL;
    ArchiveCheck res;
    int ret;

    if (pubkey_path && !(pub = proof_key_load_public(pubkey_path)))
        return APP_EXIT_USAGE;
    ret = archive_check(bag, pub, !quiet, &res);
    if (ret < 0) {
        fprintf(stderr, "onetake archive: %s: %s\n", bag, res.failure ? res.failure : "cannot be checked");
        ret = APP_EXIT_USAGE;
    } else if (ret == 0) {
        printf("bag OK: %s: take %s, %s, %" G_GINT64_FORMAT " files, %.1f MB; signature: %s%s\n", bag,
               res.take_id ? res.take_id : "?", res.status ? res.status : "?", res.files,
               (double)res.bytes / 1e6,
               res.signature > 0    ? "good, key "
               : res.signature == 0 ? "present, NOT checked (give --pubkey)"
                                    : "none",
               res.signature > 0 && res.key_id ? res.key_id : "");
        ret = APP_EXIT_OK;
    } else {
        printf("bag INVALID: %s: %s\n", bag, res.failure);
        ret = APP_EXIT_FAIL;
    }
    archive_check_clear(&res);
    proof_key_free(&pub);
    return ret;
}

int cmd_archive(int argc, char **argv)
{
    char *out = NULL, *key = NULL, *pubkey = NULL, *check = NULL, *org = NULL;
    gboolean salvage = FALSE, quiet = FALSE, verbose = FALSE;
    GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "Copy the take into this new or empty folder as a bag (and re-read the copy); default: DIR becomes "
         "the bag",
         "DEST"},
        {"salvage", 0, 0, G_OPTION_ARG_NONE, &salvage,
         "Package a take that did not close cleanly (the recorder died), as partial", NULL},
        {"key", 0, 0, G_OPTION_ARG_FILENAME, &key,
         "Station key that signs the bag (onetake keygen); default: the user's, made on first use", "FILE"},
        {"organization", 0, 0, G_OPTION_ARG_STRING, &org, "Source-Organization in bag-info.txt", "TEXT"},
        {"check", 0, 0, G_OPTION_ARG_FILENAME, &check, "Check a bag instead of making one", "BAG"},
        {"pubkey", 0, 0, G_OPTION_ARG_FILENAME, &pubkey, "With --check: the station's public key to pin",
         "FILE"},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress lines", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "More log", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("DIR - make a take a BagIt bag (or --check BAG)");
    GError *err = NULL;
    AppProof proof = {0};
    int ret;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "onetake archive: %s (see onetake archive --help)\n", err->message);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (verbose)
        ot_log_set_level(OT_LOG_VERBOSE);
    if (check) {
        if (argc > 1 || out || salvage || key) {
            fprintf(stderr,
                    "onetake archive: --check BAG takes no other folder, --out, --salvage or --key\n");
            ret = APP_EXIT_USAGE;
            goto out;
        }
        ret = run_check(check, pubkey, quiet);
        goto out;
    }
    if (argc != 2) {
        fprintf(stderr,
                "onetake archive: give one take folder: onetake archive DIR [--out DEST] [--salvage]\n");
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (pubkey) {
        fprintf(stderr, "onetake archive: --pubkey goes with --check; a bag is signed with --key\n");
        ret = APP_EXIT_USAGE;
        goto out;
    }
    /* The take before the key: a wrong folder makes no default station key. */
    if (!g_file_test(argv[1], G_FILE_TEST_IS_DIR)) {
        fprintf(stderr, "onetake archive: %s is not a folder: give a take folder made by onetake record\n",
                argv[1]);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (app_proof_load_key(&proof, key, 0) < 0) {
        ret = APP_EXIT_USAGE;
        goto out;
    }
    ArchiveConfig cfg = {
        .dir = argv[1],
        .dest = out,
        .salvage = salvage,
        .key = proof.station,
        .organization = org,
        .progress = !quiet,
    };
    ret = archive_make(&cfg);
    if (ret == 0)
        ret = APP_EXIT_OK;
    else if (ret == OT_ERROR_TAKE || ret == -EEXIST || ret == -EIO)
        ret = APP_EXIT_FAIL; /* refused (crashed take, already a bag) or a copy that does not read back */
    else
        ret = APP_EXIT_USAGE;
out:
    app_proof_free(&proof);
    g_free(out);
    g_free(key);
    g_free(pubkey);
    g_free(check);
    g_free(org);
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}
