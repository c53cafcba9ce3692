/* onetake: a bounded FIFO of pointers between threads (mutex + condition variables). The queue never owns what it
 * holds: whoever pops an item owns it; whoever frees the queue drains it first. */
#ifndef SW_QUEUE_H
#define SW_QUEUE_H

typedef struct SwQueue SwQueue;

SwQueue *sw_queue_alloc(int capacity);
void sw_queue_free(SwQueue **q);

/* Blocks while full. Returns 0, or -EPIPE when the queue was closed (the item was not taken). */
int sw_queue_push(SwQueue *q, void *item);
/* Never blocks: 0, -EAGAIN when full, -EPIPE when closed. */
int sw_queue_try_push(SwQueue *q, void *item);
/* Blocks while empty. Returns the oldest item, or NULL once the queue is closed and empty. */
void *sw_queue_pop(SwQueue *q);
/* Never blocks: the oldest item or NULL. */
void *sw_queue_try_pop(SwQueue *q);
/* Wakes every waiter; later pushes fail, pops drain what is left. */
void sw_queue_close(SwQueue *q);
int sw_queue_size(SwQueue *q);

#endif
