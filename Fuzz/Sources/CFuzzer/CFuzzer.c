// Intentionally empty: the target only exports CFuzzer.h.
