#!/usr/bin/env python3
"""An independent implementation of rnnd's generator, for the values its tests pin.

SplitMix64 seeding and xoshiro256** (Blackman and Vigna, https://prng.di.unimi.it/), the derived streams of
`Xoshiro256(seed:stream:)`, and Box-Muller normals as `Xoshiro256.normal()` draws them. Prints:
  - the first three words of Xoshiro256(seed: 42)           (PRNGTests.xoshiroMatchesReferenceStream)
  - the first three normal draws of the initialisation stream
    Xoshiro256(seed: 1, stream: [0x1417]): the first embedding weights of a network initialised with seed 1
                                                           (StateAndDeterminismTests.initialisationIsPinnedPerSeed)
Usage: python3 scripts/reference_prng.py
"""
import math

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256:
    def __init__(self, seed, stream=None):
        if stream is not None:
            mixer = SplitMix64(seed)
            h = mixer.next()
            for word in stream:
                h = SplitMix64(h ^ word).next()
            seed = h
        mixer = SplitMix64(seed)
        self.s = [mixer.next() for _ in range(4)]

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self):
        u1 = 1 - self.unit()
        u2 = self.unit()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)


if __name__ == "__main__":
    rng = Xoshiro256(42)
    print("Xoshiro256(seed: 42):", ", ".join("0x%016X" % rng.next() for _ in range(3)))
    init = Xoshiro256(1, stream=[0x1417])
    print("initialisation stream of seed 1, first normals:", [init.normal() for _ in range(3)])
