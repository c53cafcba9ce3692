/* onetake: bounded FIFO of pointers (mutex + two condition variables). */
#include "sw_queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

struct SwQueue {
    pthread_mutex_t lock; /* leaf lock: everything below */
    pthread_cond_t not_full, not_empty;
    void **items;
    int capacity, head, count;
    int closed;
};

SwQueue *sw_queue_alloc(int capacity)
{
    if (capacity < 1)
        return NULL;
    SwQueue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->items = calloc((size_t)capacity, sizeof(*q->items));
    if (!q->items)
        goto fail_items;
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        goto fail_lock;
    if (pthread_cond_init(&q->not_full, NULL) != 0)
        goto fail_not_full;
    if (pthread_cond_init(&q->not_empty, NULL) != 0)
        goto fail_not_empty;
    q->capacity = capacity;
    return q;

fail_not_empty:
    pthread_cond_destroy(&q->not_full);
fail_not_full:
    pthread_mutex_destroy(&q->lock);
fail_lock:
    free(q->items);
fail_items:
    free(q);
    return NULL;
}

void sw_queue_free(SwQueue **q)
{
    if (!q || !*q)
        return;
    pthread_cond_destroy(&(*q)->not_empty);
    pthread_cond_destroy(&(*q)->not_full);
    pthread_mutex_destroy(&(*q)->lock);
    free((*q)->items);
    free(*q);
    *q = NULL;
}

/* Called with the lock held and room in the ring. */
static void put(SwQueue *q, void *item)
{
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
    pthread_cond_signal(&q->not_empty);
}

static void *take(SwQueue *q)
{
    void *item = q->items[q->head];
    q->items[q->head] = NULL;
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    pthread_cond_signal(&q->not_full);
    return item;
}

int sw_queue_push(SwQueue *q, void *item)
{
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    while (q->count == q->capacity && !q->closed)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->closed)
        ret = -EPIPE;
    else
        put(q, item);
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int sw_queue_try_push(SwQueue *q, void *item)
{
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    if (q->closed)
        ret = -EPIPE;
    else if (q->count == q->capacity)
        ret = -EAGAIN;
    else
        put(q, item);
    pthread_mutex_unlock(&q->lock);
    return ret;
}

void *sw_queue_pop(SwQueue *q)
{
    void *item = NULL;
    pthread_mutex_lock(&q->lock);
    while (q->count == 0 && !q->closed)
        pthread_cond_wait(&q->not_empty, &q->lock);
    if (q->count > 0)
        item = take(q);
    pthread_mutex_unlock(&q->lock);
    return item;
}

void *sw_queue_try_pop(SwQueue *q)
{
    void *item = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->count > 0)
        item = take(q);
    pthread_mutex_unlock(&q->lock);
    return item;
}

void sw_queue_close(SwQueue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_full);
    pthread_cond_broadcast(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

int sw_queue_size(SwQueue *q)
{
    pthread_mutex_lock(&q->lock);
    int n = q->count;
    pthread_mutex_unlock(&q->lock);
    return n;
}
