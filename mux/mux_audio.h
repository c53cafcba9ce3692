/* onetake mux, internal: the program audio track of program.mkv (mux_audio.c), driven by mux_output.c on the
 * program's mux thread. libav types: stays inside mux/. */
#ifndef MUX_AUDIO_H
#define MUX_AUDIO_H

#include <stdint.h>

#include <libavformat/avformat.h>

#include "mux.h"
#include "proof.h"
#include "sw_audio.h"

/* FLAC frames of 960 samples (20 ms): a whole number of Matroska milliseconds, so the pts read back from the
 * file is the recorded one exactly; small, so that a tick's audio is written about when its video is. */
#define MUX_AUDIO_FRAME 960

typedef struct MuxAudioTrack MuxAudioTrack;

/* Add a FLAC track (48 kHz, channels 1/2/6/8 with their standard layout, bits 24 or 16) to fmt, before
 * avformat_init_output: ROLE tag role, Matroska title (NULL: none), language und. proof: its stream in the take
 * log (PKT records, released by mux_audio_durable), or NULL. 0 or a negative error (logged with path). */
int mux_audio_open(AVFormatContext *fmt, const char *path, int channels, int bits, ProofStream *proof,
                   const char *role, const char *title, MuxAudioTrack **out);
/* A remuxed track (a copy ISO's camera audio): par's codec as it is, packets in 1/MUX_COPY_TB_DEN s given by
 * mux_audio_put_packet, interleaved and recorded like an encoded track's. 0 or negative (logged). */
int mux_audio_open_copy(AVFormatContext *fmt, const char *path, const AVCodecParameters *par, ProofStream *proof,
                        const char *role, const char *title, MuxAudioTrack **out);
/* Opus's CodecDelay in 1/MUX_COPY_TB_DEN s (0 for other codecs): what Matroska's demuxer takes off its blocks'
 * times, so how much later they are stored, and how early before 0 its first packet may be. */
int64_t mux_audio_copy_delay_ms(const AVCodecParameters *par);
/* One packet of a remuxed track (copied: the caller keeps pkt), pts/dts/duration in 1/MUX_COPY_TB_DEN s as it is
 * to read back (a time as low as -mux_audio_copy_delay_ms). */
int mux_audio_put_packet(MuxAudioTrack *a, const AVPacket *pkt);
/* n frames (interleaved SwSample), continuing the track: encoded into packets held for interleaving. */
int mux_audio_push(MuxAudioTrack *a, const SwSample *samples, int n);
/* Write the held packets that start at or before ts (in tb): called before each video packet (its dts), so
 * the file interleaves by time. */
int mux_audio_write_until(MuxAudioTrack *a, int64_t ts, AVRational tb);
/* Another packet (the video's) was just written to the file: the audio packet the muxer held back is in it
 * now, so its PKT record is made. */
int mux_audio_settle(MuxAudioTrack *a);
/* The file is durable up to here (a commit): release the PKT records of the packets written so far. */
int mux_audio_durable(MuxAudioTrack *a);
/* End of the take: encode what is pending (a last short frame), write every packet. */
int mux_audio_flush(MuxAudioTrack *a);
/* After the file is complete and synced: the last records released, the proof stream closed. */
int mux_audio_close(MuxAudioTrack *a);
void mux_audio_free(MuxAudioTrack **a);
int mux_audio_channels(const MuxAudioTrack *a);
/* The end of the last packet written (pts + duration), in ms (mux_mkv_end_ms). */
double mux_audio_end_ms(const MuxAudioTrack *a);
/* Frames pushed and packets written (thread-safe). */
void mux_audio_get_stats(MuxAudioTrack *a, int64_t *frames, int64_t *packets);
/* The track's loudness (measured is 0 before mux_audio_flush; thread-safe). */
void mux_audio_get_loudness(MuxAudioTrack *a, MuxLoudness *out);

#endif
