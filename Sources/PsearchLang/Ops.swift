import Foundation
import PsearchCore

/// Operators on values other than two plain numbers (the nodes handle that case inline):
/// tensors element-wise with scalar broadcasting, strings and lists, and the error messages.
enum Ops {
    static func arithmetic(_ op: BinaryOp, _ a: Value, _ b: Value, _ ip: Interpreter) throws -> Value {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            return .number(scalar(op, x, y))
        case (.tensor(let t), .number(let y)):
            return .tensor(t.map { scalar(op, $0, y) })
        case (.number(let x), .tensor(let t)):
            return .tensor(t.map { scalar(op, x, $0) })
        case (.tensor(let s), .tensor(let t)):
            if op == .matmul { return try matmul(s, t, ip) }
            do {
                switch op {
                case .add: return .tensor(try Tensor.zip(s, t, op: "+", +))
                case .sub: return .tensor(try Tensor.zip(s, t, op: "-", -))
                case .mul: return .tensor(try Tensor.zip(s, t, op: "*", *))
                case .div: return .tensor(try Tensor.zip(s, t, op: "/", /))
                default: return .tensor(try Tensor.zip(s, t, op: op.rawValue) { scalar(op, $0, $1) })
                }
            } catch {
                throw RuntimeError(error.description)
            }
        case (.range, _), (_, .range):
            return try arithmetic(op, try ip.materialize(a), try ip.materialize(b), ip)
        case (.string(let x), .string(let y)) where op == .add:
            return .string(x + y)
        case (.list(let x), .list(let y)) where op == .add:
            return .list(x + y)
        // `[]` reads as an empty vector; joining a vector and a list makes a list, so lists
        // can be grown from `[]`.
        case (.tensor(let t), .list(let y)) where op == .add && t.rank == 1:
            return .list(t.data.map { .number($0) } + y)
        case (.list(let x), .tensor(let t)) where op == .add && t.rank == 1:
            return .list(x + t.data.map { .number($0) })
        default:
            if let r = try Traced.arithmetic(op, a, b, ip) { return r }
            if op == .add, case .string = a {
                throw RuntimeError("cannot add string and \(b.typeName)", notes: [Diagnostic.Note("convert with str(...) first: \"a\" + str(1)")])
            }
            throw RuntimeError("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)")
        }
    }

    @inline(__always)
    static func scalar(_ op: BinaryOp, _ x: Double, _ y: Double) -> Double {
        switch op {
        case .add: return x + y
        case .sub: return x - y
        case .mul: return x * y
        case .div: return x / y
        case .mod: return floorMod(x, y)
        case .pow: return power(x, y)
        case .matmul: return x * y
        default: return .nan
        }
    }

    /// `%` follows the divisor's sign, as Python and numpy do: `-7 % 3` is 2, and a zero
    /// remainder too: `-6 % 3` is 0, `6 % -3` is -0.
    @inline(__always)
    static func floorMod(_ x: Double, _ y: Double) -> Double {
        // Whole numbers below 2^53 (indices, counters): the integer remainder is exact, as fmod
        // is, and costs a division instead of fmod's loop (hundreds of instructions for 4e6 % 4).
        // (Truncating conversions checked by converting back: cheaper than Int64(exactly:).)
        if abs(x) < 0x1p53, abs(y) < 0x1p53, y != 0 {
            let i = Int64(x), j = Int64(y)
            if Double(i) == x, Double(j) == y { return integerMod(i, j, y) }
        }
        let r = fmod(x, y)
        if r == 0 { return copysign(0, y) }
        return (r < 0) != (y < 0) ? r + y : r
    }

    @inline(__always)
    private static func integerMod(_ i: Int64, _ j: Int64, _ y: Double) -> Double {
        let r = i % j
        if r == 0 { return copysign(0, y) }
        return Double((r < 0) != (j < 0) ? r + j : r)
    }

    @inline(__always)
    static func power(_ x: Double, _ y: Double) -> Double {
        if y == 2 { return x * x }
        return pow(x, y)
    }

    static func matmul(_ a: Tensor, _ b: Tensor, _ ip: Interpreter) throws -> Value {
        switch (a.rank, b.rank) {
        case (1, 1):
            do { return .number(try Tensor.dot(a, b)) } catch { throw RuntimeError(error.description) }
        case (2, 1), (1, 2), (2, 2):
            let (m, k) = a.rank == 2 ? (a.shape[0], a.shape[1]) : (1, a.shape[0])
            let (k2, n) = b.rank == 2 ? (b.shape[0], b.shape[1]) : (b.shape[0], 1)
            guard k == k2 else { throw RuntimeError(TensorError.shapeMismatch(op: "@", a.shape, b.shape).description) }
            let (count, overflow) = m.multipliedReportingOverflow(by: n)
            guard !overflow, count <= ip.limits.maxElements else {
                throw RuntimeError("'@' would make \(m) x \(n) elements, over the tensor size limit of \(ip.limits.maxElements)")
            }
            do { return .tensor(try Tensor.matmul(a, b)) } catch { throw RuntimeError(error.description) }
        default:
            throw RuntimeError("'@' needs vectors or matrices, got shapes \(Tensor.describe(shape: a.shape)) and \(Tensor.describe(shape: b.shape))")
        }
    }

    static func negate(_ a: Value, _ ip: Interpreter) throws -> Value {
        switch a {
        case .number(let x): return .number(-x)
        case .tensor(let t): return .tensor(t.map { -$0 })
        case .range: return try negate(try ip.materialize(a), ip)
        default:
            if let r = try Traced.negate(a) { return r }
            throw RuntimeError("cannot negate \(a.typeName)")
        }
    }

    /// `< <= > >=` on numbers and strings.
    static func compare(_ op: BinaryOp, _ a: Value, _ b: Value) throws -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return compareNumbers(op, x, y)
        case (.string(let x), .string(let y)):
            switch op {
            case .lt: return x < y
            case .le: return x <= y
            case .gt: return x > y
            default: return x >= y
            }
        default:
            throw RuntimeError("cannot compare \(a.typeName) and \(b.typeName) with '\(op.rawValue)'")
        }
    }

    @inline(__always)
    static func compareNumbers(_ op: BinaryOp, _ x: Double, _ y: Double) -> Bool {
        switch op {
        case .lt: return x < y
        case .le: return x <= y
        case .gt: return x > y
        case .ge: return x >= y
        case .eq: return x == y
        default: return x != y
        }
    }
}
