/* ot-ltc-gen: SMPTE LTC audio made with libltc's encoder, for the LTC tests. A 48 kHz 16-bit WAV (stereo: LTC
 * on the left, silence on the right) whose LTC frame k starts at sample round(k x 48000 / fps) (libltc's encoder
 * keeps the fractional samples of 29.97), so that LTC frame k belongs to video frame k of a clip at the same rate.
 *
 *   ot-ltc-gen OUT.wav --fps 25|24|30|29.97 --start HH:MM:SS:FF --seconds S [--jump-at FRAME --jump-to TC]
 *              [--stop-at FRAME]
 *
 * --jump-at K: LTC frame K (counted from the start) and those after it carry TC and on (a skip in the playback);
 * --stop-at K: from LTC frame K on the signal is silence (the LTC is lost). Drop-frame at 29.97. */
#include <ltc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

static void put32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, v >> 24};
    fwrite(b, 1, 4, f);
}

static void put16(FILE *f, uint16_t v)
{
    unsigned char b[2] = {v & 255, v >> 8};
    fwrite(b, 1, 2, f);
}

static int parse_tc(const char *s, SMPTETimecode *t)
{
    unsigned h, m, sec, fr;
    char sep;
    if (sscanf(s, "%u:%u:%u%c%u", &h, &m, &sec, &sep, &fr) != 5 || (sep != ':' && sep != ';'))
        return -1;
    memset(t, 0, sizeof(*t));
    strcpy(t->timezone, "+0000");
    t->years = 0;
    t->months = 1;
    t->days = 1;
    t->hours = (unsigned char)h;
    t->mins = (unsigned char)m;
    t->secs = (unsigned char)sec;
    t->frame = (unsigned char)fr;
    return 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *start = "00:00:00:00", *jump_to = NULL;
    double fps = 25, seconds = 4;
    long jump_at = -1, stop_at = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--fps") && i + 1 < argc)
            fps = atof(argv[++i]);
        else if (!strcmp(argv[i], "--start") && i + 1 < argc)
            start = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--jump-at") && i + 1 < argc)
            jump_at = atol(argv[++i]);
        else if (!strcmp(argv[i], "--jump-to") && i + 1 < argc)
            jump_to = argv[++i];
        else if (!strcmp(argv[i], "--stop-at") && i + 1 < argc)
            stop_at = atol(argv[++i]);
        else if (!out && argv[i][0] != '-')
            out = argv[i];
        else {
            fprintf(stderr, "ot-ltc-gen: unexpected %s\n", argv[i]);
            return 2;
        }
    }
    int df = fabs(fps - 29.97) < 0.01;
    double rate = df ? 30000.0 / 1001.0 : fps;
    SMPTETimecode tc, jtc;
    if (!out || parse_tc(start, &tc) < 0 || (jump_to && parse_tc(jump_to, &jtc) < 0) || !(seconds > 0)) {
        fprintf(stderr, "usage: ot-ltc-gen OUT.wav --fps F --start HH:MM:SS:FF --seconds S [--jump-at K "
                        "--jump-to TC] [--stop-at K]\n");
        return 2;
    }
    enum LTC_TV_STANDARD std = fps == 25 ? LTC_TV_625_50 : fps == 24 ? LTC_TV_FILM_24 : LTC_TV_525_60;
    LTCEncoder *e = ltc_encoder_create(RATE, rate, std, LTC_USE_DATE);
    if (!e) {
        fprintf(stderr, "ot-ltc-gen: ltc_encoder_create failed\n");
        return 1;
    }
    ltc_encoder_set_volume(e, -6.0);
    LTCFrame f;
    ltc_encoder_set_timecode(e, &tc);
    ltc_encoder_get_frame(e, &f);
    f.dfbit = df;
    ltc_encoder_set_frame(e, &f);

    long nframes = (long)llround(seconds * rate);
    size_t cap = (size_t)(seconds * RATE) + 4 * RATE, n = 0;
    int16_t *pcm = calloc(cap, sizeof(int16_t));
    ltcsnd_sample_t *buf = malloc(ltc_encoder_get_buffersize(e));
    if (!pcm || !buf)
        return 1;
    for (long k = 0; k < nframes; k++) {
        if (k == jump_at && jump_to) {
            ltc_encoder_set_timecode(e, &jtc);
            ltc_encoder_get_frame(e, &f);
            f.dfbit = df;
            ltc_encoder_set_frame(e, &f);
        }
        ltc_encoder_encode_frame(e);
        int len = ltc_encoder_copy_buffer(e, buf);
        for (int i = 0; i < len && n < cap; i++, n++)
            pcm[n] = stop_at >= 0 && k >= stop_at ? 0 : (int16_t)((buf[i] - 128) * 256);
        ltc_encoder_inc_timecode(e);
        ltc_encoder_get_frame(e, &f);
        f.dfbit = df;
        ltc_encoder_set_frame(e, &f);
    }
    FILE *fo = fopen(out, "wb");
    if (!fo) {
        perror(out);
        return 1;
    }
    uint32_t data = (uint32_t)(n * 4);
    fwrite("RIFF", 1, 4, fo);
    put32(fo, 36 + data);
    fwrite("WAVEfmt ", 1, 8, fo);
    put32(fo, 16);
    put16(fo, 1);
    put16(fo, 2);
    put32(fo, RATE);
    put32(fo, RATE * 4);
    put16(fo, 4);
    put16(fo, 16);
    fwrite("data", 1, 4, fo);
    put32(fo, data);
    for (size_t i = 0; i < n; i++) {
        put16(fo, (uint16_t)pcm[i]);
        put16(fo, 0);
    }
    fclose(fo);
    free(pcm);
    free(buf);
    ltc_encoder_free(e);
    printf("%s: %ld LTC frames at %.3f fps from %s, %zu samples\n", out, nframes, rate, start, n);
    return 0;
}
