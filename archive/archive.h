/* onetake archive: a take as a BagIt bag (RFC 8493), signed by the station key, and the check of such a bag.
 * Layout and fields: docs/take-folder.md ("The bag"). GLib/GIO + OpenSSL (SHA-256) + the proof's minisign
 * signing; no libav, no GStreamer.
 *
 *   BAG/bagit.txt                        "BagIt-Version: 1.0", UTF-8 (written last: its presence means
 * complete) BAG/bag-info.txt                     take id, status complete|partial, Merkle root, station key
 * id, Payload-Oxum BAG/manifest-sha256.txt              SHA-256 of every payload file
 *   BAG/tagmanifest-sha256.txt           SHA-256 of bagit.txt, bag-info.txt, manifest-sha256.txt
 *   BAG/tagmanifest-sha256.txt.minisig   the station key's minisign signature of the tag manifest
 *   BAG/data/...                         the take folder as it was
 *
 * Errors: negative codes, logged once through ot_log (module "archive") with the file and a fix. */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <stdint.h>

#include "proof.h"

#define ARCHIVE_BAGIT_FILE "bagit.txt"
#define ARCHIVE_BAG_INFO_FILE "bag-info.txt"
#define ARCHIVE_MANIFEST_FILE "manifest-sha256.txt"
#define ARCHIVE_TAGMANIFEST_FILE "tagmanifest-sha256.txt"
#define ARCHIVE_SIGNATURE_FILE "tagmanifest-sha256.txt.minisig"
#define ARCHIVE_PAYLOAD_DIR "data"

/* 1 when dir is a bag (dir/bagit.txt is there), else 0. */
int archive_is_bag(const char *dir);
/* Where a take's files are: dir/data for a bag, dir itself otherwise. For every command that reads a take
 * (verify, replay) so that it accepts a bag as well as a take folder. g_free the result. */
char *archive_bag_payload_dir(const char *dir);

typedef struct ArchiveConfig {
    const char *dir;     /* the take folder */
    const char *dest;    /* NULL: make dir itself the bag (payload moved into dir/data, one rename per entry);
                          * else a new or empty folder: the take is copied there, and the copy re-read */
    int salvage;         /* package a take that did not close cleanly, as "partial" (never "complete") */
    const ProofKey *key; /* signs the tag manifest (needs the secret half); NULL: an unsigned bag */
    const char *organization; /* Source-Organization, or NULL */
    int progress;             /* 1: a progress line on stderr once a second while hashing or copying */
} ArchiveConfig;

/* Make the bag. 0, or negative (logged): -EEXIST already a bag, OT_ERROR_TAKE a crashed take without salvage,
 * -ENOENT not a take, -EIO a copy that does not read back the same, other -errno. On failure in place, every
 * entry moved is moved back (or, after a crash, a second run finishes the job: a folder with data/ and no
 * bagit.txt is an interrupted archive). */
int archive_make(const ArchiveConfig *cfg);

typedef struct ArchiveCheck {
    int valid;     /* 1 when every check passed */
    char *failure; /* the first failure (what, which file), NULL when valid */
    char *take_id; /* from bag-info.txt, or NULL */
    char *status;  /* "complete" / "partial", or NULL */
    char *key_id;  /* the key id bag-info.txt names, or NULL */
    int signature; /* 1 checked and good; 0 present but not checked (no public key); -1 absent */
    int64_t files; /* payload files checked */
    int64_t bytes; /* payload bytes checked */
} ArchiveCheck;

/* Check a bag: bagit.txt; every manifest entry present with its hash; no payload file outside the manifest;
 * Payload-Oxum; the tag manifest (and no tag file outside it); the signature, with pub (NULL: the default
 * station key's public half when its id is the one bag-info names, else not checked); the take id of bag-info
 * against data/take.json. Returns 0 valid, 1 invalid (res->failure says the first failure), negative when bag
 * is no bag or cannot be read. res is filled in every case (archive_check_clear it). */
int archive_check(const char *bag, const ProofKey *pub, int progress, ArchiveCheck *res);
void archive_check_clear(ArchiveCheck *res);

#endif
