// The C compression libraries WardenFormats' Decompressor (DEFLATE zip members, compressed joblib
// files, gzip/bz2/xz streams) and WardenTesting's fixture writers call.
//
// zlib comes from its own header: zlib1g-dev is one of Swift's documented Debian dependencies, so
// every machine that builds Swift has it. libbz2 and liblzma are declared here instead of through
// bzlib.h and lzma.h, and module.modulemap links their runtime sonames (libbz2.so.1.0,
// liblzma.so.5, present on every Debian/Ubuntu system because apt and dpkg need them), so a fresh
// machine builds Warden without libbz2-dev or liblzma-dev. The declarations follow the stable ABI
// of bzip2 1.0 and xz-utils 5.x as their public headers document it; only what Warden calls is
// declared.
#ifndef WARDEN_CCOMPRESSION_SHIM_H
#define WARDEN_CCOMPRESSION_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

// MARK: libbz2 (bzip2 1.0 ABI)

#define BZ_OK 0
#define BZ_RUN_OK 1
#define BZ_FLUSH_OK 2
#define BZ_FINISH_OK 3
#define BZ_STREAM_END 4
#define BZ_SEQUENCE_ERROR (-1)
#define BZ_PARAM_ERROR (-2)
#define BZ_MEM_ERROR (-3)
#define BZ_DATA_ERROR (-4)
#define BZ_DATA_ERROR_MAGIC (-5)
#define BZ_IO_ERROR (-6)
#define BZ_UNEXPECTED_EOF (-7)
#define BZ_OUTBUFF_FULL (-8)
#define BZ_CONFIG_ERROR (-9)

typedef struct {
    char *next_in;
    unsigned int avail_in;
    unsigned int total_in_lo32;
    unsigned int total_in_hi32;
    char *next_out;
    unsigned int avail_out;
    unsigned int total_out_lo32;
    unsigned int total_out_hi32;
    void *state;
    void *(*bzalloc)(void *, int, int);
    void (*bzfree)(void *, void *);
    void *opaque;
} bz_stream;

int BZ2_bzDecompressInit(bz_stream *strm, int verbosity, int small);
int BZ2_bzDecompress(bz_stream *strm);
int BZ2_bzDecompressEnd(bz_stream *strm);
int BZ2_bzBuffToBuffCompress(char *dest, unsigned int *destLen, char *source, unsigned int sourceLen,
                             int blockSize100k, int verbosity, int workFactor);

// MARK: liblzma (xz-utils 5.x ABI)

typedef enum {
    LZMA_OK = 0,
    LZMA_STREAM_END = 1,
    LZMA_NO_CHECK = 2,
    LZMA_UNSUPPORTED_CHECK = 3,
    LZMA_GET_CHECK = 4,
    LZMA_MEM_ERROR = 5,
    LZMA_MEMLIMIT_ERROR = 6,
    LZMA_FORMAT_ERROR = 7,
    LZMA_OPTIONS_ERROR = 8,
    LZMA_DATA_ERROR = 9,
    LZMA_BUF_ERROR = 10,
    LZMA_PROG_ERROR = 11,
} lzma_ret;

typedef enum {
    LZMA_RUN = 0,
    LZMA_SYNC_FLUSH = 1,
    LZMA_FULL_FLUSH = 2,
    LZMA_FINISH = 3,
} lzma_action;

typedef enum {
    LZMA_CHECK_NONE = 0,
    LZMA_CHECK_CRC32 = 1,
    LZMA_CHECK_CRC64 = 4,
    LZMA_CHECK_SHA256 = 10,
} lzma_check;

typedef enum { LZMA_RESERVED_ENUM = 0 } lzma_reserved_enum;

typedef struct {
    const uint8_t *next_in;
    size_t avail_in;
    uint64_t total_in;
    uint8_t *next_out;
    size_t avail_out;
    uint64_t total_out;
    const void *allocator;
    void *internal;
    void *reserved_ptr1;
    void *reserved_ptr2;
    void *reserved_ptr3;
    void *reserved_ptr4;
    uint64_t reserved_int1;
    uint64_t reserved_int2;
    size_t reserved_int3;
    size_t reserved_int4;
    lzma_reserved_enum reserved_enum1;
    lzma_reserved_enum reserved_enum2;
} lzma_stream;

// LZMA1 encoder options are only filled by lzma_lzma_preset and read by lzma_alone_encoder, so they
// are kept opaque: 256 bytes, pointer-aligned, more than the library's struct (112 bytes in 5.4).
typedef struct {
    uint64_t opaque[32];
} lzma_options_lzma;

lzma_ret lzma_code(lzma_stream *strm, lzma_action action);
void lzma_end(lzma_stream *strm);
lzma_ret lzma_stream_decoder(lzma_stream *strm, uint64_t memlimit, uint32_t flags);
lzma_ret lzma_alone_decoder(lzma_stream *strm, uint64_t memlimit);
lzma_ret lzma_easy_encoder(lzma_stream *strm, uint32_t preset, lzma_check check);
lzma_ret lzma_alone_encoder(lzma_stream *strm, const lzma_options_lzma *options);
unsigned char lzma_lzma_preset(lzma_options_lzma *options, uint32_t preset);

#endif
