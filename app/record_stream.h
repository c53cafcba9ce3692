/* onetake record: program out live (record_stream.c). --stream URL (repeatable), --stream-optional and
 * --stream-wait: checked before anything is opened, handed to the program output (mux_output_start_streams) before
 * the roll, and what the summary says about each stream at the close (take.json has them from the program's
 * stats). */
#ifndef RECORD_STREAM_H
#define RECORD_STREAM_H

#include <glib.h>

#include "mux.h"

typedef struct RecordStream {
    /* Options (GOption, record_stream_entries). */
    char **urls;
    gboolean optional;
    int wait_ms;
    int queue_ms;
    GOptionEntry entries[5];

    /* Checked (record_stream_check). */
    int n;
    MuxStreamConfig cfg; /* take_id and genesis filled in by record_stream_config */
} RecordStream;

const GOptionEntry *record_stream_entries(RecordStream *s);
/* Every URL names something onetake can send; the program codec can be carried. 0 or -EINVAL (logged). */
int record_stream_check(RecordStream *s, MuxCodec codec);
/* The streams' config for the take (NULL: no --stream). take_id and genesis are borrowed for the take. */
const MuxStreamConfig *record_stream_config(RecordStream *s, const char *take_id, const char *genesis);
/* One line per stream (stderr-free: stdout, with the take's summary). */
void record_stream_print_summary(const MuxOutputStats *program);
void record_stream_free(RecordStream *s);

#endif
