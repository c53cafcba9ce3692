/* Unit test: the bounded pointer queue (FIFO order, full/empty, close) and a producer/consumer pair moving
 * frame references between threads. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "sw_queue.h"
#include "ut.h"

static void *item(intptr_t v)
{
    return (void *)v;
}

static void test_basic(void)
{
    UT_CHECK(sw_queue_alloc(0) == NULL);
    UT_CHECK(sw_queue_alloc(-3) == NULL);
    SwQueue *q = sw_queue_alloc(4);
    UT_CHECK(q != NULL);
    UT_EQ_INT(sw_queue_size(q), 0);
    UT_CHECK(sw_queue_try_pop(q) == NULL);
    for (intptr_t i = 1; i <= 4; i++)
        UT_EQ_INT(sw_queue_try_push(q, item(i)), 0);
    UT_EQ_INT(sw_queue_size(q), 4);
    UT_EQ_INT(sw_queue_try_push(q, item(5)), -EAGAIN);
    UT_CHECK(sw_queue_pop(q) == item(1));
    UT_CHECK(sw_queue_try_pop(q) == item(2));
    UT_EQ_INT(sw_queue_push(q, item(5)), 0); /* wraps around the ring */
    UT_EQ_INT(sw_queue_try_push(q, item(6)), 0);
    UT_EQ_INT(sw_queue_try_push(q, item(7)), -EAGAIN);
    for (intptr_t i = 3; i <= 6; i++)
        UT_CHECK(sw_queue_pop(q) == item(i));
    UT_EQ_INT(sw_queue_size(q), 0);

    /* close: pushes fail, pops drain what is left, then NULL without blocking */
    UT_EQ_INT(sw_queue_push(q, item(8)), 0);
    UT_EQ_INT(sw_queue_push(q, item(9)), 0);
    sw_queue_close(q);
    UT_EQ_INT(sw_queue_push(q, item(10)), -EPIPE);
    UT_EQ_INT(sw_queue_try_push(q, item(10)), -EPIPE);
    UT_CHECK(sw_queue_pop(q) == item(8));
    UT_CHECK(sw_queue_try_pop(q) == item(9));
    UT_CHECK(sw_queue_pop(q) == NULL);
    UT_CHECK(sw_queue_try_pop(q) == NULL);
    sw_queue_close(q); /* twice is fine */
    sw_queue_free(&q);
    UT_CHECK(q == NULL);
    sw_queue_free(&q);
}

/* ---- close wakes blocked threads ---- */

typedef struct Waiter {
    SwQueue *q;
    int ret;
    void *popped;
} Waiter;

static void *blocked_pop(void *arg)
{
    Waiter *w = arg;
    w->popped = sw_queue_pop(w->q);
    return NULL;
}

static void *blocked_push(void *arg)
{
    Waiter *w = arg;
    w->ret = sw_queue_push(w->q, item(99));
    return NULL;
}

static void test_close_wakes(void)
{
    SwQueue *q = sw_queue_alloc(1);
    Waiter w = {q, 0, item(1)};
    pthread_t th;
    UT_CHECK(pthread_create(&th, NULL, blocked_pop, &w) == 0);
    usleep(20000); /* let it block; the result is the same if it has not yet */
    sw_queue_close(q);
    pthread_join(th, NULL);
    UT_CHECK(w.popped == NULL);
    sw_queue_free(&q);

    q = sw_queue_alloc(1);
    UT_EQ_INT(sw_queue_push(q, item(1)), 0);
    w = (Waiter){q, 0, NULL};
    UT_CHECK(pthread_create(&th, NULL, blocked_push, &w) == 0);
    usleep(20000);
    sw_queue_close(q);
    pthread_join(th, NULL);
    UT_EQ_INT(w.ret, -EPIPE);
    UT_CHECK(sw_queue_pop(q) == item(1));
    UT_CHECK(sw_queue_pop(q) == NULL);
    sw_queue_free(&q);

    /* a blocked push completes when a consumer makes room */
    q = sw_queue_alloc(1);
    UT_EQ_INT(sw_queue_push(q, item(1)), 0);
    w = (Waiter){q, -1, NULL};
    UT_CHECK(pthread_create(&th, NULL, blocked_push, &w) == 0);
    usleep(20000);
    UT_CHECK(sw_queue_pop(q) == item(1));
    pthread_join(th, NULL);
    UT_EQ_INT(w.ret, 0);
    UT_CHECK(sw_queue_pop(q) == item(99));
    sw_queue_free(&q);
}

/* ---- producer / consumer with frame references ---- */

#define NFRAMES 3000

static void *producer(void *arg)
{
    SwQueue *q = arg;
    for (int64_t i = 0; i < NFRAMES; i++) {
        OtFrame *f = ot_frame_alloc_buffer(8, 8, OT_PIX_I420);
        if (!f)
            break;
        f->seq = i;
        if (sw_queue_push(q, f) < 0) {
            ot_frame_unref(&f); /* not taken: still ours */
            break;
        }
    }
    sw_queue_close(q);
    return NULL;
}

static void test_producer_consumer(void)
{
    SwQueue *q = sw_queue_alloc(8);
    pthread_t th;
    UT_CHECK(pthread_create(&th, NULL, producer, q) == 0);
    int64_t expect = 0, out_of_order = 0;
    OtFrame *f;
    while ((f = sw_queue_pop(q)) != NULL) {
        if (f->seq != expect)
            out_of_order++;
        expect = f->seq + 1;
        ot_frame_unref(&f);
    }
    pthread_join(th, NULL);
    UT_EQ_INT(out_of_order, 0);
    UT_EQ_INT(expect, NFRAMES);
    sw_queue_free(&q);
}

int main(void)
{
    test_basic();
    test_close_wakes();
    test_producer_consumer();
    return ut_finish("test_queue");
}
