/* onetake mux, internal: the subtitle tracks of program.mkv (mux_subs.c), one per language, driven by
 * mux_output.c on the program's mux thread. libav types: stays inside mux/. */
#ifndef MUX_SUBS_H
#define MUX_SUBS_H

#include <stdint.h>

#include <libavformat/avformat.h>

#include "proof.h"
#include "sw_timecode.h"

typedef struct MuxSubs MuxSubs;

/* Add one S_TEXT/UTF8 track (AV_CODEC_ID_SUBRIP) per language to fmt, before avformat_init_output: language
 * and title LANG, ROLE "subtitles LANG". proofs[i] (or proofs NULL): language i's stream in the take log (PKT
 * records in program frames, released by mux_subs_durable). 0 or a negative error. */
int mux_subs_open(AVFormatContext *fmt, const char *path, SwRate rate, const char *const *langs, int nlangs,
                  ProofStream *const *proofs, MuxSubs **out);
/* From frame on, language lang shows text (NULL: nothing). The line it ends is written now, as one block
 * with its duration (a line is written when it ends: its block's timestamp may be before its cluster's). */
int mux_subs_line(MuxSubs *s, int lang, int64_t frame, const char *text);
/* The take ends at frame end: every open line ends there and is written. */
int mux_subs_finish(MuxSubs *s, int64_t end);
/* The file is durable up to here (a commit): release the PKT records of the lines written so far. */
int mux_subs_durable(MuxSubs *s);
/* After the file is complete and synced: the last records released, the proof streams closed. */
int mux_subs_close(MuxSubs *s);
/* subtitles.LANG.srt and subtitles.LANG.vtt beside the file, each replaced atomically (ot_file_replace). */
int mux_subs_write_files(MuxSubs *s);
/* Lines written of language lang (-1: all; any thread). */
int64_t mux_subs_lines(const MuxSubs *s, int lang);
void mux_subs_free(MuxSubs **s);

#endif
