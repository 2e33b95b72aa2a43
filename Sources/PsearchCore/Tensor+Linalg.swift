import CBLAS
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS, loaded on first use (see Sources/CBLAS/shim.h for why it is not linked).
/// nil when the library is missing: products then use the plain loops.
private struct OpenBLAS: @unchecked Sendable {
    let dgemm: psearch_dgemm_fn
    let dgemv: psearch_dgemv_fn

    static let shared: OpenBLAS? = {
        pinKernels()
        guard let h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL),
              let gemm = dlsym(h, "cblas_dgemm"), let gemv = dlsym(h, "cblas_dgemv")
        else { return nil }
        // One thread: the trials executor supplies the parallelism, and results must not
        // depend on the machine's core count.
        if let set = dlsym(h, "openblas_set_num_threads") {
            unsafeBitCast(set, to: psearch_set_threads_fn.self)(1)
        }
        return OpenBLAS(dgemm: unsafeBitCast(gemm, to: psearch_dgemm_fn.self),
                        dgemv: unsafeBitCast(gemv, to: psearch_dgemv_fn.self))
    }()

    /// OpenBLAS picks its kernels by the CPU it finds at load time, and kernels sum in different
    /// orders: the same product printed ...072 on one x86-64 machine and ...073 on another
    /// (0.3.21 falls back to its Sandybridge kernels on CPUs newer than it knows). Where the CPU
    /// has AVX2 and FMA, ask for the Haswell kernels, so a script prints the same bytes on every
    /// such machine. A user's own OPENBLAS_CORETYPE is left as it is.
    private static func pinKernels() {
        #if arch(x86_64)
        guard getenv("OPENBLAS_CORETYPE") == nil,
              let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return }
        let has = Set(flags.split(separator: " "))
        if has.contains("avx2") && has.contains("fma") { setenv("OPENBLAS_CORETYPE", "Haswell", 0) }
        #endif
    }
}

/// Matrix products for the core: one entry point that picks plain Swift loops or OpenBLAS by size.
///
/// Plain loops win for the small products of minibatch training (no call overhead, no
/// packing); OpenBLAS wins once the operands stop fitting in L1 (see `blasThreshold`).
/// OpenBLAS runs on one thread: the trials executor supplies the parallelism, and one thread
/// keeps results independent of the machine's core count.
public enum Linalg {
    /// Products with m·n·k at or above this go to OpenBLAS; below, plain loops are faster.
    /// OpenBLAS wins from tiny sizes on (release build, 2-core EPYC, µs per product, loops vs
    /// BLAS): 32x64@64x32 18 vs 10, 32x32@32x10 10 vs 2.2, 512³ 93,000 vs 11,700 (see the
    /// Benchmarks suite); loops only win below a few hundred multiply-adds (8x2@2x8: 0.09 vs
    /// 0.12; 8x8@8x8: 0.31 vs 0.13), where the call overhead dominates.
    public static let blasThreshold = 256

    /// Whether OpenBLAS could be loaded (products fall back to plain loops when not).
    public static var hasBLAS: Bool { OpenBLAS.shared != nil }

    /// C[m x n] = alpha · op(A) · op(B) + beta · C, row-major; op(X) is X or Xᵀ.
    ///
    /// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored. When beta is 0, C's old
    /// contents are ignored (may be uninitialised garbage, even nan).
    public static func gemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        if m * n * k >= blasThreshold, let blas = OpenBLAS.shared {
            if n == 1 {
                // A matrix-vector product: dgemv streams A once, dgemm would pack it first.
                let (rowsA, colsA) = transA ? (k, m) : (m, k)
                blas.dgemv(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, Int32(rowsA), Int32(colsA), alpha,
                           a, Int32(lda), b, Int32(transB ? 1 : ldb), beta, c, Int32(ldc))
                return
            }
            blas.dgemm(
                CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                  b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// The plain-loop product; loop orders keep the innermost loop on contiguous memory.
    public static func naiveGemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        for i in 0..<m {
            let ci = c + i * ldc
            if beta == 0 {
                for j in 0..<n { ci[j] = 0 }
            } else if beta != 1 {
                for j in 0..<n { ci[j] *= beta }
            }
        }
        if k == 0 { return }
        switch (transA, transB) {
        case (false, false):
            // C[i, :] += A[i, p] · B[p, :]
            for i in 0..<m {
                let ci = c + i * ldc
                let ai = a + i * lda
                for p in 0..<k {
                    let s = alpha * ai[p]
                    if s == 0 { continue }
                    let bp = b + p * ldb
                    for j in 0..<n { ci[j] += s * bp[j] }
                }
            }
        case (true, false):
            // A is stored k x m: C[i, :] += A[p, i] · B[p, :], walking p outermost keeps B's rows hot.
            for p in 0..<k {
                let ap = a + p * lda
                let bp = b + p * ldb
                for i in 0..<m {
                    let s = alpha * ap[i]
                    if s == 0 { continue }
                    let ci = c + i * ldc
                    for j in 0..<n { ci[j] += s * bp[j] }
                }
            }
        case (false, true):
            // B is stored n x k: C[i, j] = A[i, :] · B[j, :], two contiguous rows.
            for i in 0..<m {
                let ai = a + i * lda
                let ci = c + i * ldc
                for j in 0..<n {
                    let bj = b + j * ldb
                    var s = 0.0
                    for p in 0..<k { s += ai[p] * bj[p] }
                    ci[j] += alpha * s
                }
            }
        case (true, true):
            for i in 0..<m {
                let ci = c + i * ldc
                for j in 0..<n {
                    let bj = b + j * ldb
                    var s = 0.0
                    for p in 0..<k { s += a[p * lda + i] * bj[p] }
                    ci[j] += alpha * s
                }
            }
        }
    }

    /// The same product always through OpenBLAS (for measurement and very large operands).
    public static func blasGemm(
        transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        guard let blas = OpenBLAS.shared else {
            naiveGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                      b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        blas.dgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// The product `a @ b` of matrix@matrix, matrix@vector, vector@matrix or vector@vector (a scalar
    /// as a rank-0 tensor with one element).
    public static func matmul(_ a: Tensor, _ b: Tensor) throws(TensorError) -> Tensor {
        switch (a.rank, b.rank) {
        case (2, 2):
            guard a.shape[1] == b.shape[0] else { throw .shapeMismatch(op: "@", a.shape, b.shape) }
            return product(a, b, m: a.shape[0], k: a.shape[1], n: b.shape[1], shape: [a.shape[0], b.shape[1]])
        case (2, 1):
            guard a.shape[1] == b.shape[0] else { throw .shapeMismatch(op: "@", a.shape, b.shape) }
            return product(a, b, m: a.shape[0], k: a.shape[1], n: 1, shape: [a.shape[0]])
        case (1, 2):
            guard a.shape[0] == b.shape[0] else { throw .shapeMismatch(op: "@", a.shape, b.shape) }
            return product(a, b, m: 1, k: a.shape[0], n: b.shape[1], shape: [b.shape[1]])
        case (1, 1):
            return Tensor(shape: [], data: [try dot(a, b)])
        default:
            throw .shapeMismatch(op: "@", a.shape, b.shape)
        }
    }

    private static func product(_ a: Tensor, _ b: Tensor, m: Int, k: Int, n: Int, shape: [Int]) -> Tensor {
        let out = [Double](unsafeUninitializedCapacity: m * n) { buf, initialized in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    if let pa = pa.baseAddress, let pb = pb.baseAddress, let pc = buf.baseAddress {
                        Linalg.gemm(m: m, n: n, k: k, a: pa, lda: k, b: pb, ldb: n, c: pc, ldc: n)
                    } else {
                        // An empty operand (k == 0): the product is all zeros.
                        for i in 0..<(m * n) { buf[i] = 0 }
                    }
                }
            }
            initialized = m * n
        }
        return Tensor(shape: shape, data: out)
    }

    /// `c = alpha · a @ b + beta · c` in place, for matrices of matching shapes.
    public static func matmulAccumulate(
        _ a: Tensor, _ b: Tensor, into c: inout Tensor, alpha: Double = 1, beta: Double = 1,
        transposeA: Bool = false, transposeB: Bool = false
    ) throws(TensorError) {
        guard a.rank == 2, b.rank == 2, c.rank == 2 else { throw .shapeMismatch(op: "@", a.shape, b.shape) }
        let (m, k) = transposeA ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw .shapeMismatch(op: "@", a.shape, b.shape) }
        guard c.shape == [m, n] else { throw .shapeMismatch(op: "@=", [m, n], c.shape) }
        if m == 0 || n == 0 { return }
        let (lda, ldb) = (a.shape[1], b.shape[1])
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                c.data.withUnsafeMutableBufferPointer { pc in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress else {
                        for i in pc.indices { pc[i] *= beta }
                        return
                    }
                    Linalg.gemm(transA: transposeA, transB: transposeB, m: m, n: n, k: k, alpha: alpha,
                                a: pa, lda: lda, b: pb, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }
}
