// The system's zlib, libbz2 and liblzma (Debian: zlib1g-dev, libbz2-dev, liblzma-dev), used by
// WardenFormats' Decompressor for DEFLATE members, compressed joblib files and gzip streams.
#include <zlib.h>
#include <bzlib.h>
#include <lzma.h>
