/* ot-proof-forge: a forger with a station key, for the tamper tests (docs/proof.md). It rewrites a take's log
 * as somebody holding a station key could: a new session key certified by --cert-key (default: the station
 * key), optional edits of records and checkpoints, every checkpoint re-signed at the same tree sizes, a new
 * take.log.minisig. What it cannot do is what the verifier relies on: sign as another station's key, or forge
 * the old session's signatures.
 *
 *   ot-proof-forge DIR --key STATION.key [--cert-key OTHER.key] [--edit INDEX OLD NEW]...
 *                  [--note INDEX OLD NEW]...
 * --edit replaces OLD by NEW in record INDEX; --note in the body of checkpoint INDEX (0-based) before it is
 * re-signed (its media or clock line); each may be given up to 16 times. DIR is changed in place (take.log,
 * checkpoints.txt, take.log.minisig). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "proof.h"
#include "proof_int.h"

static GPtrArray *read_records(const char *path)
{
    char *data = NULL;
    gsize len = 0, pos = 0;
    GPtrArray *recs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    if (!g_file_get_contents(path, &data, &len, NULL))
        return recs;
    while (pos + 8 <= len) {
        uint32_t n = (uint8_t)data[pos] | (uint8_t)data[pos + 1] << 8 | (uint8_t)data[pos + 2] << 16 |
                     (uint32_t)(uint8_t)data[pos + 3] << 24;
        if (pos + 8 + n > len)
            break;
        g_ptr_array_add(recs, g_bytes_new(data + pos + 4, n));
        pos += 8 + n;
    }
    g_free(data);
    return recs;
}

static GBytes *replace(GBytes *rec, const char *old, const char *new)
{
    gsize n;
    const char *d = g_bytes_get_data(rec, &n);
    char *text = g_strndup(d, n);
    char *at = strstr(text, old);
    GString *s;
    if (!at) {
        fprintf(stderr, "ot-proof-forge: the record does not contain %s: %s\n", old, text);
        exit(2);
    }
    s = g_string_new_len(text, at - text);
    g_string_append(s, new);
    g_string_append(s, at + strlen(old));
    g_free(text);
    return g_string_free_to_bytes(s);
}

int main(int argc, char **argv)
{
    const char *dir, *key_path = NULL, *cert_path = NULL;
    ProofKey *station, *cert_key, *session;
    GPtrArray *recs;
    char *path, *ckpt_text = NULL, **parts;
    GString *out_log = g_string_new(NULL), *out_ckpt = g_string_new(NULL);
    PfMerkle tree;
    int next = 0;
    struct {
        long index;
        const char *old, *new;
    } edits[16], note_edits[16];
    int nedits = 0, nnote_edits = 0;

    if (argc < 4)
        return 2;
    dir = argv[1];
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--key") && i + 1 < argc)
            key_path = argv[++i];
        else if (!strcmp(argv[i], "--cert-key") && i + 1 < argc)
            cert_path = argv[++i];
        else if (!strcmp(argv[i], "--edit") && i + 3 < argc && nedits < 16) {
            edits[nedits].index = strtol(argv[++i], NULL, 10);
            edits[nedits].old = argv[++i];
            edits[nedits++].new = argv[++i];
        } else if (!strcmp(argv[i], "--note") && i + 3 < argc && nnote_edits < 16) {
            note_edits[nnote_edits].index = strtol(argv[++i], NULL, 10);
            note_edits[nnote_edits].old = argv[++i];
            note_edits[nnote_edits++].new = argv[++i];
        } else
            return 2;
    }
    station = proof_key_load(key_path);
    cert_key = cert_path ? proof_key_load(cert_path) : NULL;
    session = pf_key_generate();
    if (!station || (cert_path && !cert_key) || !session)
        return 2;
    path = g_build_filename(dir, PROOF_LOG_FILE, NULL);
    recs = read_records(path);

    /* GENESIS: this station, a new session key and its certificate. */
    {
        JsonParser *p = json_parser_new();
        gsize n;
        const char *d = g_bytes_get_data(g_ptr_array_index(recs, 0), &n);
        JsonObject *g;
        JsonGenerator *gen = json_generator_new();
        char *spk = g_base64_encode(proof_key_public(session), PROOF_PK_LEN);
        char *stpk = proof_key_public_base64(station);
        char kid[17];
        char *msg, *cert_b64, *text;
        uint8_t cert[PROOF_SIG_LEN];
        json_parser_load_from_data(p, d, (gssize)n, NULL);
        g = json_node_get_object(json_parser_get_root(p));
        msg = pf_cert_message(json_object_get_string_member(g, "take_id"), spk);
        proof_key_sign(cert_key ? cert_key : station, msg, strlen(msg), cert);
        cert_b64 = g_base64_encode(cert, sizeof(cert));
        json_object_set_string_member(g, "station_pk", stpk);
        json_object_set_string_member(g, "station_keyid", proof_key_id_hex(station, kid));
        json_object_set_string_member(g, "session_pk", spk);
        json_object_set_string_member(g, "session_cert", cert_b64);
        json_generator_set_root(gen, json_parser_get_root(p));
        text = json_generator_to_data(gen, &n);
        g_bytes_unref(g_ptr_array_index(recs, 0));
        g_ptr_array_index(recs, 0) = g_bytes_new_take(text, n);
        g_free(msg);
        g_free(cert_b64);
        g_free(spk);
        g_free(stpk);
        g_object_unref(gen);
        g_object_unref(p);
    }
    for (int e = 0; e < nedits; e++) {
        if (edits[e].index < 0 || edits[e].index >= (long)recs->len)
            return 2;
        GBytes *old = g_ptr_array_index(recs, edits[e].index);
        g_ptr_array_index(recs, edits[e].index) = replace(old, edits[e].old, edits[e].new);
        g_bytes_unref(old);
    }

    g_free(path);
    path = g_build_filename(dir, PROOF_CHECKPOINTS_FILE, NULL);
    g_file_get_contents(path, &ckpt_text, NULL, NULL);
    parts = g_strsplit(ckpt_text, "\n\n", -1);
    pf_merkle_init(&tree);
    for (guint r = 0; r < recs->len; r++) {
        gsize n;
        const uint8_t *d = g_bytes_get_data(g_ptr_array_index(recs, r), &n);
        uint8_t hdr[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        uint32_t crc = pf_crc32(pf_crc32(0, hdr, 4), d, n);
        uint8_t tail[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
        g_string_append_len(out_log, (const char *)hdr, 4);
        g_string_append_len(out_log, (const char *)d, (gssize)n);
        g_string_append_len(out_log, (const char *)tail, 4);
        pf_merkle_add(&tree, d, n);
        /* Re-sign every checkpoint that ends here: same size, media and clock lines, a new root. */
        while (parts[next] && parts[next + 1]) {
            char **lines = g_strsplit(parts[next], "\n", -1);
            if ((gint64)tree.size != g_ascii_strtoll(lines[1], NULL, 10)) {
                g_strfreev(lines);
                break;
            }
            uint8_t root[PROOF_HASH_LEN];
            pf_merkle_root(&tree, root);
            char *root_b64 = g_base64_encode(root, sizeof(root));
            GString *body = g_string_new(NULL);
            int final = 0;
            g_free(lines[2]);
            lines[2] = root_b64;
            for (int i = 0; lines[i]; i++) {
                g_string_append_printf(body, "%s\n", lines[i]);
                final |= !strcmp(lines[i], "final");
            }
            for (int e = 0; e < nnote_edits; e++)
                if (note_edits[e].index == next / 2) {
                    GBytes *b = g_bytes_new(body->str, body->len);
                    GBytes *edited = replace(b, note_edits[e].old, note_edits[e].new);
                    gsize en;
                    const char *ed = g_bytes_get_data(edited, &en);
                    g_string_assign(body, "");
                    g_string_append_len(body, ed, (gssize)en);
                    g_bytes_unref(edited);
                    g_bytes_unref(b);
                }
            char name[96], kid[17];
            snprintf(name, sizeof(name), "%s%s", PF_SESSION_NAME_PREFIX, lines[0] + strlen(PF_ORIGIN_PREFIX));
            char *s1 = pf_note_sign_line(session, name, body->str, body->len);
            char *s2 = NULL;
            if (final) {
                snprintf(name, sizeof(name), "%s%s", PF_STATION_NAME_PREFIX, proof_key_id_hex(station, kid));
                s2 = pf_note_sign_line(station, name, body->str, body->len);
            }
            g_string_append_printf(out_ckpt, "%s\n%s%s\n", body->str, s1, s2 ? s2 : "");
            g_free(s1);
            g_free(s2);
            g_string_free(body, TRUE);
            g_strfreev(lines);
            next += 2;
        }
    }
    g_free(path);
    path = g_build_filename(dir, PROOF_LOG_FILE, NULL);
    g_file_set_contents(path, out_log->str, (gssize)out_log->len, NULL);
    g_free(path);
    path = g_build_filename(dir, PROOF_CHECKPOINTS_FILE, NULL);
    g_file_set_contents(path, out_ckpt->str, (gssize)out_ckpt->len, NULL);
    g_free(path);
    path = g_build_filename(dir, PROOF_FINAL_SIG_FILE, NULL);
    unlink(path);
    {
        char *log = g_build_filename(dir, PROOF_LOG_FILE, NULL);
        proof_minisign_sign_file(station, log, path, "forged by ot-proof-forge");
        g_free(log);
    }
    g_free(path);
    pf_merkle_free(&tree);
    g_strfreev(parts);
    g_free(ckpt_text);
    g_string_free(out_log, TRUE);
    g_string_free(out_ckpt, TRUE);
    g_ptr_array_free(recs, TRUE);
    proof_key_free(&station);
    proof_key_free(&cert_key);
    proof_key_free(&session);
    return 0;
}
