/* bench_files_enet.c - the yardstick for bench_files: raw one-hop ENet on
 * loopback with the file service's chunk and window, nothing else (no
 * seal, no hash, no disk).
 *
 *   bench_files_enet [MB]        (default 256)
 *
 * A receiver thread and a sender thread, each with its own ENet host on
 * 127.0.0.1. The receiver credits the sender with a window of 256 KiB
 * (LM_XFER_WINDOW) in 64 KiB chunks (LM_FILE_CHUNK_MAX) and gives credit
 * back each time a chunk lands, as lm_xfer asks again for every 64 KiB
 * free (LM_XFER_CREDIT_STEP); the sender services ENet without sleeping
 * while it has credit. Prints one line: "enet MB/s N". Bounded: gives up
 * after 120 s. */
#define _POSIX_C_SOURCE 200809L
#include <enet/enet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "files/xfer.h"

#define CHUNK LM_FILE_CHUNK_MAX
#define WINDOW (LM_XFER_WINDOW / CHUNK)
#define LIMIT_US 120000000

static atomic_ushort port;
static uint64_t total;
static atomic_bool failed;

static void *receiver(void *arg)
{
    (void)arg;
    ENetAddress a = {.host = ENET_HOST_ANY, .port = 0};
    enet_address_set_host_ip(&a, "127.0.0.1");
    ENetHost *h = enet_host_create(&a, 1, 2, 0, 0);
    if (!h) {
        atomic_store(&failed, true);
        return NULL;
    }
    h->maximumPacketSize = 2 * CHUNK;
    atomic_store(&port, h->address.port);
    uint64_t got = 0;
    int64_t end = lm_mono_us() + LIMIT_US;
    ENetEvent ev;
    while (got < total && lm_mono_us() < end) {
        if (enet_host_service(h, &ev, 5) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_CONNECT) {
            uint32_t credit = WINDOW;
            enet_peer_send(ev.peer, 1, enet_packet_create(&credit, 4,
                                                          ENET_PACKET_FLAG_RELIABLE));
        } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            got += ev.packet->dataLength;
            enet_packet_destroy(ev.packet);
            uint32_t credit = 1; /* one chunk landed: ask for one more */
            enet_peer_send(ev.peer, 1, enet_packet_create(&credit, 4,
                                                          ENET_PACKET_FLAG_RELIABLE));
            enet_host_flush(h);
        }
    }
    if (got < total)
        atomic_store(&failed, true);
    enet_host_destroy(h);
    return NULL;
}

int main(int argc, char **argv)
{
    double mb = argc > 1 ? atof(argv[1]) : 256;
    if (!(mb > 0) || mb > 65536 || enet_initialize() != 0) {
        fprintf(stderr, "usage: bench_files_enet [MB]\n");
        return 2;
    }
    total = (uint64_t)(mb * 1048576.0);
    total -= total % CHUNK;
    pthread_t rt;
    pthread_create(&rt, NULL, receiver, NULL);
    int64_t end = lm_mono_us() + LIMIT_US;
    while (!atomic_load(&port) && !atomic_load(&failed) && lm_mono_us() < end)
        ;
    ENetHost *h = enet_host_create(NULL, 1, 2, 0, 0);
    ENetAddress a = {.port = atomic_load(&port)};
    enet_address_set_host_ip(&a, "127.0.0.1");
    ENetPeer *p = h ? enet_host_connect(h, &a, 2, 0) : NULL;
    uint8_t *chunk = calloc(1, CHUNK);
    if (!p || !chunk)
        return 1;
    uint64_t sent = 0;
    uint32_t credit = 0;
    int64_t t0 = 0;
    ENetEvent ev;
    while (sent < total && lm_mono_us() < end && !atomic_load(&failed)) {
        while (credit && sent < total) {
            enet_peer_send(p, 0, enet_packet_create(chunk, CHUNK,
                                                    ENET_PACKET_FLAG_RELIABLE));
            sent += CHUNK;
            credit--;
        }
        /* no sleep while there is credit; a short wait when there is none */
        if (enet_host_service(h, &ev, credit ? 0 : 1) > 0 &&
            ev.type == ENET_EVENT_TYPE_RECEIVE) {
            uint32_t c;
            memcpy(&c, ev.packet->data, 4);
            credit += c;
            if (!t0)
                t0 = lm_mono_us();
            enet_packet_destroy(ev.packet);
        }
    }
    while (lm_mono_us() < end && !atomic_load(&failed)) { /* the last ones */
        enet_host_service(h, &ev, 1);
        if (ev.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(ev.packet);
        if (p->reliableDataInTransit == 0 && enet_list_empty(&p->outgoingCommands))
            break;
    }
    pthread_join(rt, NULL);
    double secs = (double)(lm_mono_us() - t0) / 1e6;
    if (atomic_load(&failed)) {
        fprintf(stderr, "bench_files_enet: the transfer did not finish\n");
        return 1;
    }
    printf("enet MB/s %.1f (%.0f MB in %.2f s, %u KiB window of %u KiB chunks)\n",
           (double)total / 1e6 / secs, (double)total / 1e6, secs,
           (unsigned)(WINDOW * CHUNK / 1024), (unsigned)(CHUNK / 1024));
    free(chunk);
    enet_peer_disconnect_now(p, 0);
    enet_host_destroy(h);
    enet_deinitialize();
    return 0;
}
