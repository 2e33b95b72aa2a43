import Foundation
import PsearchCore

extension Builtins {
    /// Element-wise functions of numbers, applied to every element of a tensor.
    static let math: [Builtin] = [
        elementwise("abs", "absolute value", "abs(-3)", abs),
        elementwise("sqrt", "square root (nan below 0)", "sqrt(2)", { $0.squareRoot() }),
        elementwise("exp", "e to the power x", "exp(1)", Foundation.exp),
        elementwise("log", "natural logarithm (-inf at 0, nan below)", "log(10)", Foundation.log),
        elementwise("sin", "sine of an angle in radians", "sin(3.141592653589793 / 2)", Foundation.sin),
        elementwise("cos", "cosine of an angle in radians", "cos(0)", Foundation.cos),
        elementwise("tanh", "hyperbolic tangent", "tanh(0.5)", Foundation.tanh),
        elementwise("floor", "the largest whole number not above x (in grad and descend its derivative is 0, so descent through it does not move)",
                    "floor(-2.5)", { $0.rounded(.down) }),
        Builtin(BuiltinSpec("round",
                            "round to the nearest whole number (halves away from zero), or to some decimal digits; element-wise on tensors; in grad and descend its derivative is 0, so descent through it does not move",
                            example: "round(3.14159, 2)",
                            [Param("x", .any), Param("digits", .int, default: 0, range: 0...15)])) { c in
            let digits = try c.int("digits")
            let scale = Foundation.pow(10.0, Double(digits))
            let f: (Double) -> Double = digits == 0
                ? { $0.rounded(.toNearestOrAwayFromZero) }
                : { ($0 * scale).rounded(.toNearestOrAwayFromZero) / scale }
            return try apply(c, "x", f)
        },
    ]

    static func elementwise(_ name: String, _ summary: String, _ example: String, _ f: @escaping (Double) -> Double) -> Builtin {
        Builtin(BuiltinSpec(name, summary + "; element-wise on tensors", example: example, [Param("x", .any)]), unary: f) { c in
            try apply(c, "x", f)
        }
    }

    static func apply(_ c: Call, _ name: String, _ f: (Double) -> Double) throws(RuntimeError) -> Value {
        let v = try c.required(name)
        switch v {
        case .number(let x): return .number(f(x))
        case .tensor(let t): return .tensor(t.map(f))
        case .range, .list:
            guard let t = try c.interp.asTensor(v) else { throw c.bad(name, "number or tensor expected, got \(v.typeName)") }
            return .tensor(t.map(f))
        default: throw c.bad(name, "number or tensor expected, got \(v.typeName)")
        }
    }
}
