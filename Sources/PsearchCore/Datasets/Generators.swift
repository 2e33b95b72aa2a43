import Foundation

/// Seeded toy datasets for lessons: 2-D classification sets, a regression line and dog/cat images.
///
/// `noise` is always the standard deviation of Gaussian noise added to each coordinate (to the
/// target, for `linear`). Rows come out shuffled, so any prefix is a fair sample.
public enum Generators {
    /// The names `generate(_:)` accepts.
    public static let names = ["moons", "circles", "blobs", "xor", "spiral", "linear"]

    /// One of the named datasets; `classes` applies to blobs and spiral, `d` to linear.
    public static func generate(
        _ name: String, n: Int = 200, noise: Double = 0.1, classes: Int = 3, d: Int = 1, seed: UInt64
    ) throws(DataError) -> Dataset {
        switch name {
        case "moons": return try moons(n: n, noise: noise, seed: seed)
        case "circles": return try circles(n: n, noise: noise, seed: seed)
        case "blobs": return try blobs(n: n, classes: classes, noise: noise, seed: seed)
        case "xor": return try xor(n: n, noise: noise, seed: seed)
        case "spiral": return try spiral(n: n, classes: classes, noise: noise, seed: seed)
        case "linear": return try linear(n: n, d: d, noise: noise, seed: seed)
        default: throw .unknownDataset(name)
        }
    }

    private static func check(n: Int, noise: Double, classes: Int = 2) throws(DataError) {
        guard n >= 2 else { throw .badArgument("a dataset needs n >= 2 samples, got \(n)") }
        guard noise >= 0 && noise.isFinite else { throw .badArgument("noise must be >= 0, got \(noise)") }
        guard classes >= 2 && classes <= 100 else {
            throw .badArgument("classes must be between 2 and 100, got \(classes)")
        }
    }

    /// Shuffles the points and wraps them as a 2-D classification set.
    private static func finish(
        _ points: [(Double, Double, Int)], classes: Int, rng: inout Random
    ) throws(DataError) -> Dataset {
        let order = rng.permutation(points.count)
        var x = [Double](), y = [Double]()
        x.reserveCapacity(points.count * 2)
        for i in order {
            x.append(points[i].0)
            x.append(points[i].1)
            y.append(Double(points[i].2))
        }
        return try Dataset(
            X: Tensor(shape: [points.count, 2], data: x), y: y, kind: .classification,
            classNames: (0..<classes).map(String.init), featureNames: ["x1", "x2"])
    }

    /// Two interleaving half circles (scikit-learn's make_moons).
    public static func moons(n: Int = 200, noise: Double = 0.1, seed: UInt64) throws(DataError) -> Dataset {
        try check(n: n, noise: noise)
        var rng = Random(seed: seed)
        let nOuter = n / 2, nInner = n - nOuter
        var pts = [(Double, Double, Int)]()
        for i in 0..<nOuter {
            let t = Double.pi * Double(i) / Double(max(nOuter - 1, 1))
            pts.append((cos(t) + noise * rng.normal(), sin(t) + noise * rng.normal(), 0))
        }
        for i in 0..<nInner {
            let t = Double.pi * Double(i) / Double(max(nInner - 1, 1))
            pts.append((1 - cos(t) + noise * rng.normal(), 0.5 - sin(t) + noise * rng.normal(), 1))
        }
        return try finish(pts, classes: 2, rng: &rng)
    }

    /// A small circle (class 1, radius 0.5) inside a large one (class 0, radius 1).
    public static func circles(n: Int = 200, noise: Double = 0.1, seed: UInt64) throws(DataError) -> Dataset {
        try check(n: n, noise: noise)
        var rng = Random(seed: seed)
        let nOuter = n / 2, nInner = n - nOuter
        var pts = [(Double, Double, Int)]()
        for (count, radius, label) in [(nOuter, 1.0, 0), (nInner, 0.5, 1)] {
            for i in 0..<count {
                let t = 2 * Double.pi * Double(i) / Double(count)
                pts.append((radius * cos(t) + noise * rng.normal(), radius * sin(t) + noise * rng.normal(), label))
            }
        }
        return try finish(pts, classes: 2, rng: &rng)
    }

    /// `classes` Gaussian blobs, spread 0.3 + noise, centred around a ring of radius 1.5..2.5 at
    /// evenly spaced, jittered angles (random centres would often overlap).
    public static func blobs(n: Int = 200, classes: Int = 3, noise: Double = 0.1, seed: UInt64) throws(DataError) -> Dataset {
        try check(n: n, noise: noise, classes: classes)
        var rng = Random(seed: seed)
        let phase = rng.uniform(0, 2 * Double.pi)
        let centres = (0..<classes).map { c in
            let angle = phase + 2 * Double.pi * (Double(c) + rng.uniform(-0.2, 0.2)) / Double(classes)
            let radius = rng.uniform(1.5, 2.5)
            return (radius * cos(angle), radius * sin(angle))
        }
        let spread = 0.3 + noise
        var pts = [(Double, Double, Int)]()
        for i in 0..<n {
            let c = i % classes
            pts.append((centres[c].0 + spread * rng.normal(), centres[c].1 + spread * rng.normal(), c))
        }
        return try finish(pts, classes: classes, rng: &rng)
    }

    /// Uniform points in [-1, 1]²; class 1 where the signs of the coordinates differ.
    public static func xor(n: Int = 200, noise: Double = 0.1, seed: UInt64) throws(DataError) -> Dataset {
        try check(n: n, noise: noise)
        var rng = Random(seed: seed)
        var pts = [(Double, Double, Int)]()
        for _ in 0..<n {
            let a = rng.uniform(-1, 1), b = rng.uniform(-1, 1)
            pts.append((a + noise * rng.normal(), b + noise * rng.normal(), (a > 0) != (b > 0) ? 1 : 0))
        }
        return try finish(pts, classes: 2, rng: &rng)
    }

    /// `classes` interleaved spiral arms (the CS231n toy set), radius 0..1, 1.25 turns each.
    public static func spiral(n: Int = 200, classes: Int = 3, noise: Double = 0.1, seed: UInt64) throws(DataError) -> Dataset {
        try check(n: n, noise: noise, classes: classes)
        var rng = Random(seed: seed)
        var pts = [(Double, Double, Int)]()
        for c in 0..<classes {
            let count = n / classes + (c < n % classes ? 1 : 0)
            for i in 0..<count {
                let r = Double(i) / Double(max(count - 1, 1))
                let t = 2 * Double.pi * Double(c) / Double(classes) + 2.5 * Double.pi * r
                pts.append((r * sin(t) + noise * rng.normal(), r * cos(t) + noise * rng.normal(), c))
            }
        }
        return try finish(pts, classes: classes, rng: &rng)
    }

    /// Regression: x uniform in [-1, 1]^d, y = w·x + 1 + noise·N(0, 1) with w = (2, -1, 0.5, ...).
    public static func linear(n: Int = 200, d: Int = 1, noise: Double = 0.1, seed: UInt64) throws(DataError) -> Dataset {
        try check(n: n, noise: noise)
        guard d >= 1 else { throw .badArgument("linear needs d >= 1 features, got \(d)") }
        var rng = Random(seed: seed)
        let w = (0..<d).map { 2 * pow(-0.5, Double($0)) }
        var x = [Double](), y = [Double]()
        for _ in 0..<n {
            var t = 1.0
            for j in 0..<d {
                let v = rng.uniform(-1, 1)
                x.append(v)
                t += w[j] * v
            }
            y.append(t + noise * rng.normal())
        }
        return try Dataset(
            X: Tensor(shape: [n, d], data: x), y: y, kind: .regression,
            featureNames: d == 1 ? ["x"] : (1...d).map { "x\($0)" })
    }
}

// MARK: - Dog and cat images

extension Generators {
    /// Image height, width and channels of `images`.
    public static let imageShape = [7, 5, 3]

    // Masks, row by row: f = fur, e = eye, n = nose, o = ear, . = background.
    private static let catMask = [
        "o...o",
        "fffff",
        "fefef",
        "fffff",
        ".fnf.",
        ".fff.",
        "..f..",
    ]
    private static let dogMask = [
        ".fff.",
        "offfo",
        "oefeo",
        "offfo",
        ".fff.",
        ".fnf.",
        ".fff.",
    ]

    /// Two classes of 7x5 RGB pictures, "dog" (0) and "cat" (1), flattened to 105 features.
    ///
    /// Cats have pointed ears on top, a narrow chin and orange-to-grey fur; dogs have ears
    /// hanging at the sides, a wide snout and brown-to-tan fur. Every picture blends in a random
    /// share (up to 40%) of the other animal, shifts the colours and adds pixel noise, so a
    /// small model separates them well but not perfectly. Rows are in [0, 1], shape [7, 5, 3].
    public static func images(n: Int = 200, seed: UInt64) throws(DataError) -> Dataset {
        guard n >= 2 else { throw .badArgument("images needs n >= 2 samples, got \(n)") }
        var rng = Random(seed: seed)
        var x = [Double](), y = [Double]()
        x.reserveCapacity(n * 105)
        for i in 0..<n {
            let label = i % 2  // balanced, then shuffled below
            let own = drawAnimal(cat: label == 1, rng: &rng)
            let other = drawAnimal(cat: label == 0, rng: &rng)
            let blend = 0.4 * rng.uniform()
            for p in 0..<105 {
                let v = (1 - blend) * own[p] + blend * other[p] + 0.12 * rng.normal()
                x.append(min(1, max(0, v)))
            }
            y.append(Double(label))
        }
        let order = rng.permutation(n)
        let X = Tensor(shape: [n, 105], data: x).rows(order)
        var names = [String]()
        for r in 0..<7 { for c in 0..<5 { for ch in ["r", "g", "b"] { names.append("p\(r)_\(c)_\(ch)") } } }
        return try Dataset(
            X: X, y: order.map { y[$0] }, kind: .classification, classNames: ["dog", "cat"],
            featureNames: names, sampleShape: imageShape)
    }

    /// One clean picture (105 values) of a cat or a dog with random fur and background colours.
    private static func drawAnimal(cat: Bool, rng: inout Random) -> [Double] {
        let t = rng.uniform()
        let fur: (Double, Double, Double) = cat
            ? (0.95 - 0.35 * t, 0.55 + 0.05 * t, 0.2 + 0.4 * t)  // orange .. grey
            : (0.5 + 0.3 * t, 0.3 + 0.35 * t, 0.12 + 0.3 * t)  // brown .. tan
        let bg = (rng.uniform(0.1, 0.5), rng.uniform(0.3, 0.7), rng.uniform(0.1, 0.5))
        let ear = cat ? fur : (fur.0 * 0.6, fur.1 * 0.6, fur.2 * 0.6)
        let eye: (Double, Double, Double) = cat ? (0.3, 0.8, 0.2) : (0.1, 0.07, 0.05)
        let nose: (Double, Double, Double) = cat ? (0.95, 0.55, 0.6) : (0.05, 0.05, 0.05)
        let mask = cat ? catMask : dogMask
        var out = [Double]()
        out.reserveCapacity(105)
        for row in mask {
            for ch in row {
                let c: (Double, Double, Double)
                switch ch {
                case "f": c = fur
                case "e": c = eye
                case "n": c = nose
                case "o": c = ear
                default: c = bg
                }
                out.append(c.0)
                out.append(c.1)
                out.append(c.2)
            }
        }
        return out
    }
}
