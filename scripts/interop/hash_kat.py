# Prints the BLAKE2b/BLAKE3 known answers used by Tests/WardenCryptoTests/HashKnownAnswerTests.swift.
# Run with the interop venv: .build-interop/venv/bin/python scripts/interop/hash_kat.py
import hashlib, blake3, sys
for n in [0,1,63,64,65,127,128,129,255,256,1023,1024,1025,2048,2049,3072,4096,5000,8192,31744,65537,100000]:
    data = bytes((i*7+3) % 251 for i in range(n))
    print(n, hashlib.blake2b(data).hexdigest(), blake3.blake3(data).hexdigest())
