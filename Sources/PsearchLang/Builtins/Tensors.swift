import PsearchCore

extension Builtins {
    /// Building, reshaping and reducing tensors.
    static let tensors: [Builtin] = [
        Builtin(BuiltinSpec("vec", "a vector from numbers and vectors, or any tensor viewed as a flat vector",
                            example: "len(vec(zeros(7, 5, 3)))", [Param("xs", .any, variadic: true)])) { c in
            var out: [Double] = []
            for i in 0..<c.count {
                let v = c.args.positional[i]
                guard let t = try c.interp.asTensor(v) else { throw c.bad(i, "number or tensor expected, got \(v.typeName)") }
                out.append(contentsOf: t.data)
                try c.interp.checkSize([out.count])
            }
            return .tensor(Tensor(out))
        },
        Builtin(BuiltinSpec("zeros", "a tensor of zeros of the given shape", example: "zeros(2, 3)", [Param("dims", .any, variadic: true)])) { c in
            .tensor(Tensor.zeros(try dims(c)))
        },
        Builtin(BuiltinSpec("ones", "a tensor of ones of the given shape", example: "ones(3)", [Param("dims", .any, variadic: true)])) { c in
            .tensor(Tensor(repeating: 1, shape: try dims(c)))
        },
        Builtin(BuiltinSpec("range", "the vector start, start+step, … up to but not including stop; range(n) counts 0 … n-1",
                            example: "range(0, 1, 0.25)",
                            [Param("start", .number), Param("stop", .number, default: .optional, shownBare: true), Param("step", .number, default: 1)])) { c in
            var lo = try c.number("start"), hi = 0.0
            if !c.given("stop") { (lo, hi) = (0, lo) } else { hi = try c.number("stop") }
            let step = try c.number("step")
            guard step != 0, step.isFinite else { throw c.bad("step", "must be a finite non-zero number, got \(formatNumber(step))") }
            guard lo.isFinite, hi.isFinite else { throw c.bad("start", "range bounds must be finite") }
            let n = max(0, ((hi - lo) / step).rounded(.up))
            // Int(exactly:): under --max-elements 9223372036854775807, `n <= Double(limit)` passes 2^63.
            guard let count = Int(exactly: n), count <= c.interp.limits.maxElements else {
                throw RuntimeError("range(\(formatNumber(lo)), \(formatNumber(hi))) has \(formatNumber(n)) elements, over the tensor size limit of \(c.interp.limits.maxElements)")
            }
            return .tensor(Tensor((0..<count).map { lo + Double($0) * step }))
        },
        Builtin(BuiltinSpec("linspace", "n evenly spaced numbers from start to stop, both included", example: "linspace(0, 1, 5)",
                            [Param("start", .number), Param("stop", .number), Param("n", .int, range: .elements(from: 0))])) { c in
            let lo = try c.number("start"), hi = try c.number("stop")
            let n = try c.int("n")
            if n == 1 { return .tensor(Tensor([lo])) }
            let step = (hi - lo) / Double(n - 1)
            return .tensor(Tensor((0..<n).map { $0 == n - 1 ? hi : lo + Double($0) * step }))
        },
        Builtin(BuiltinSpec("reshape", "the same elements under another shape with the same count", example: "reshape(range(6), 2, 3)",
                            [Param("x", .tensor), Param("dims", .any, variadic: true)])) { c in
            let t = try c.tensorArg(0)
            let shape = try dims(c, from: 1)
            guard Tensor.count(of: shape) == t.count else {
                throw RuntimeError("cannot reshape \(t.count) elements (shape \(Tensor.describe(shape: t.shape))) to \(Tensor.describe(shape: shape))", argument: 1)
            }
            return .tensor(Tensor(shape: shape, data: t.data))
        },
        reduction("sum", "the sum of all elements", "sum([1, 2, 3])") { t in t.sum() },
        reduction("mean", "the mean of all elements", "mean([1, 2, 3, 4])") { t in t.mean() },
        reduction("norm", "the Euclidean length of a vector (of all elements of a tensor)", "norm([3, 4])") { t in t.norm() },
        extreme("min", "the smallest element, or the smaller of several numbers", "min([3, 1, 2])", argmin: true),
        extreme("max", "the largest element, or the larger of several numbers", "max(2, 5)", argmin: false),
        Builtin(BuiltinSpec("argmin", "the index of the smallest element (the first on ties)", example: "argmin([3, 1, 2])", [Param("v", .vector)])) { c in
            let t = try c.tensor("v")
            guard let i = t.argmin() else { throw c.bad("v", "empty vector has no smallest element") }
            return .number(Double(i))
        },
        Builtin(BuiltinSpec("argmax", "the index of the largest element (the first on ties)", example: "argmax([3, 1, 2])", [Param("v", .vector)])) { c in
            let t = try c.tensor("v")
            guard let i = t.argmax() else { throw c.bad("v", "empty vector has no largest element") }
            return .number(Double(i))
        },
        Builtin(BuiltinSpec("sort", "the elements in increasing order (nan last); strings sort too", example: "sort([3, 1, 2])",
                            [Param("xs", .any)])) { c in
            let v = try c.required("xs")
            if case .list(let items) = v {
                if let nums = try c.interp.asTensor(v) { return .tensor(Tensor(sortNumbers(nums.data))) }
                var strings: [String] = []
                for i in items {
                    guard case .string(let s) = i else { throw c.bad("xs", "a list to sort must hold only numbers or only strings") }
                    strings.append(s)
                }
                return .list(strings.sorted().map { .string($0) })
            }
            let t = try c.vector("xs")
            return .tensor(Tensor(sortNumbers(t.data)))
        },
    ]

    static func sortNumbers(_ xs: [Double]) -> [Double] {
        xs.sorted { a, b in a < b || (!a.isNaN && b.isNaN) }
    }

    static func reduction(_ name: String, _ summary: String, _ example: String, _ f: @escaping (Tensor) -> Double) -> Builtin {
        Builtin(BuiltinSpec(name, summary, example: example, [Param("x", .tensor)])) { c in
            .number(f(try c.tensor("x")))
        }
    }

    static func extreme(_ name: String, _ summary: String, _ example: String, argmin: Bool) -> Builtin {
        Builtin(BuiltinSpec(name, summary, example: example, forms: [
            Form([Param("xs", .vector)]), Form([Param("a", .number), Param("b", .number, variadic: true)]),
        ])) { c in
            if c.count == 1 {
                let t = try c.tensor("xs")
                guard let i = argmin ? t.argmin() : t.argmax() else { throw c.bad(0, "empty vector has no \(argmin ? "smallest" : "largest") element") }
                // nan propagates here too, so min(v) agrees with min(a, b, ...) and numpy.
                if t.data.contains(where: \.isNaN) { return .number(.nan) }
                return .number(t.data[i])
            }
            var best: Double? = nil
            for i in 0..<c.count {
                guard case .number(let x) = c.args.positional[i] else {
                    throw c.bad(i, "number expected, got \(c.args.positional[i].typeName)")
                }
                // nan propagates, as in numpy's minimum/maximum.
                if let b = best { best = x.isNaN || b.isNaN ? .nan : (argmin ? Swift.min(b, x) : Swift.max(b, x)) } else { best = x }
            }
            return .number(best!)
        }
    }
}

extension Call {
    /// Positional argument `i` as a tensor (ranges and number lists convert).
    func tensorArg(_ i: Int) throws(RuntimeError) -> Tensor {
        guard let v = value(i) else { throw RuntimeError("missing argument #\(i + 1) to '\(spec.name)'") }
        guard let t = try interp.asTensor(v) else { throw bad(i, "tensor expected, got \(v.typeName)") }
        return t
    }
}
