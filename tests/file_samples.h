/* file_samples.h - one plausible message of each file type (file_wire.h),
 * with every optional part present, for the codec's tests and the fuzz
 * target's seeds. */
#ifndef LM_FILE_SAMPLES_H
#define LM_FILE_SAMPLES_H

#include <stdint.h>
#include <string.h>

#include "files/file_wire.h"

static const uint8_t file_sample_data[100] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

static const uint8_t file_sample_types[] = {
    LM_MSG_FILE_OFFER,  LM_MSG_FILE_HAVE, LM_MSG_FILE_REQUEST,
    LM_MSG_FILE_CHUNK,  LM_MSG_FILE_DONE, LM_MSG_FILE_REFUSE,
    LM_MSG_FILE_CANCEL, LM_MSG_FILE_LIST,
};
#define FILE_SAMPLE_TYPES (sizeof file_sample_types)

static inline void file_sample(uint8_t type, lm_file_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    for (size_t i = 0; i < LM_FILE_ID_LEN; i++)
        m->id[i] = (uint8_t)(0xa0 + i);
    switch (type) {
    case LM_MSG_FILE_OFFER: {
        lm_file_offer *o = &m->offer;
        memcpy(o->id, m->id, LM_FILE_ID_LEN);
        o->size = 5ull * LM_FILE_CHUNK_MAX + 123;
        o->chunk = LM_FILE_CHUNK_MAX;
        for (size_t i = 0; i < LM_FILE_HASH_LEN; i++)
            o->root[i] = (uint8_t)(0x10 + i);
        o->from = 0x1122334455667788u;
        o->ts = 1764700000000;
        o->flags = LM_FILE_UPLOAD;
        o->nto = 3;
        o->to[0] = 7;
        o->to[1] = 0x100;
        o->to[2] = 0xfedcba9876543210u;
        strcpy(o->from_name, "alice");
        strcpy(o->name, "report (final) \xc3\xa9t\xc3\xa9.pdf");
        break;
    }
    case LM_MSG_FILE_HAVE:
        m->nranges = 2;
        m->ranges[0] = (lm_file_range){0, 10};
        m->ranges[1] = (lm_file_range){12, 3};
        break;
    case LM_MSG_FILE_REQUEST:
        m->nranges = 1;
        m->ranges[0] = (lm_file_range){10, 2};
        break;
    case LM_MSG_FILE_CHUNK:
        m->index = 3;
        m->nproof = 3;
        for (size_t k = 0; k < m->nproof; k++)
            for (size_t i = 0; i < LM_FILE_HASH_LEN; i++)
                m->proof[k][i] = (uint8_t)(k * 40 + i);
        m->data = file_sample_data;
        m->len = sizeof file_sample_data;
        break;
    case LM_MSG_FILE_REFUSE: m->code = LM_FILE_DISK_FULL; break;
    case LM_MSG_FILE_CANCEL: m->code = LM_FILE_SENDER_LEFT; break;
    case LM_MSG_FILE_LIST:
        memset(m->id, 0, sizeof m->id); /* LIST carries no id */
        break;
    default: break;
    }
}

#endif
