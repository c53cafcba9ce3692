/* onetake keygen --out FILE: a long-term Ed25519 station key (secret key in FILE, mode 0600; public key in
 * FILE.pub), both in minisign's formats. Never overwrites a key. */
#include <stdio.h>

#include <glib.h>

#include "app.h"
#include "ot_common.h"
#include "proof.h"

int cmd_keygen(int argc, char **argv)
{
    char *out = NULL;
    GOptionEntry entries[] = {{"out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
                               "The secret key file to create (the public key goes to FILE.pub)", "FILE"},
                              {NULL, 0, 0, 0, NULL, NULL, NULL}};
    GOptionContext *ctx = g_option_context_new("- make a station key");
    GError *err = NULL;
    int ret;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "onetake keygen: %s (see onetake keygen --help)\n", err->message);
        ret = APP_EXIT_USAGE;
        goto out;
    }
    if (!out || argc > 1) {
        fprintf(
            stderr,
            "onetake keygen: give --out FILE (and nothing else), e.g. onetake keygen --out station.key\n");
        ret = APP_EXIT_USAGE;
        goto out;
    }
    ret = proof_keygen(out);
    if (ret < 0) {
        ret = APP_EXIT_FAIL;
        goto out;
    }
    {
        ProofKey *key = proof_key_load(out);
        char kid[17];
        if (!key) {
            ret = APP_EXIT_FAIL;
            goto out;
        }
        printf(
            "station key %s\n  secret key: %s (mode 0600, minisign format, unencrypted: keep it private)\n"
            "  public key: %s.pub (give it to QA: onetake verify --pubkey %s.pub; minisign -V -p %s.pub)\n",
            proof_key_id_hex(key, kid), out, out, out, out);
        proof_key_free(&key);
    }
    ret = APP_EXIT_OK;
out:
    g_free(out);
    g_clear_error(&err);
    g_option_context_free(ctx);
    return ret;
}
