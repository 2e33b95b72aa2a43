import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): seeds other generators and the benchmark peers' data.
///
/// Seed 1234567 gives 6457827717110365317, 3203168211198807973, … (the published test vector).
public struct SplitMix64: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The project's one random generator: xoshiro256** (Blackman and Vigna 2018), seeded by
/// SplitMix64. The same seed gives the same numbers on every machine; `stream(_:)` derives
/// independent generators per trial or worker so results never depend on thread count.
public struct Random: Sendable {
    /// The seed every run starts from unless a script calls `seed(n)`.
    public static let defaultSeed: UInt64 = 42

    private var s: (UInt64, UInt64, UInt64, UInt64)
    public let seed: UInt64
    private var spareNormal: Double?

    public init(seed: UInt64 = Random.defaultSeed) {
        self.seed = seed
        var sm = SplitMix64(seed: seed)
        s = (sm.next(), sm.next(), sm.next(), sm.next())
        spareNormal = nil
    }

    /// An independent generator for stream `index` (a trial, a worker, a restart), derived from
    /// this generator's seed only, not from how many numbers it has drawn.
    public func stream(_ index: Int) -> Random {
        var sm = SplitMix64(seed: seed ^ 0x5851_F42D_4C95_7F2D)
        var mixed = sm.next()
        mixed ^= UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15
        var sm2 = SplitMix64(seed: mixed)
        return Random(seed: sm2.next())
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public mutating func next() -> UInt64 {
        let result = Random.rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = Random.rotl(s.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [lo, hi).
    public mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * uniform() }

    /// Uniform integer in 0..<n (Lemire's nearly divisionless method, unbiased). n > 0.
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Standard normal (Marsaglia's polar method; the second value of each pair is kept).
    public mutating func normal() -> Double {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        while true {
            let u = 2 * uniform() - 1
            let v = 2 * uniform() - 1
            let q = u * u + v * v
            if q > 0 && q < 1 {
                let f = (-2 * log(q) / q).squareRoot()
                spareNormal = v * f
                return u * f
            }
        }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                p.swapAt(i, int(below: i + 1))
            }
        }
        return p
    }
}
