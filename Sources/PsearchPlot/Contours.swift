/// Marching squares: the level set of a grid of samples as line segments or polylines.
enum Contours {
    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    /// Calls `segment` with each piece of the contour at `level`, in data coordinates.
    ///
    /// Samples sit on grid points: column i at x.lo + i·dx, row j at y.lo + j·dy. A cell with a
    /// non-finite corner is skipped. Saddles are split by the cell-centre average, which keeps
    /// contours of smooth functions from crossing.
    static func trace(values: [Double], rows: Int, cols: Int, x: ClosedRange<Double>, y: ClosedRange<Double>,
                      level: Double, segment: (Int, Point, Int, Point) -> Void) {
        let dx = (x.upperBound - x.lowerBound) / Double(cols - 1)
        let dy = (y.upperBound - y.lowerBound) / Double(rows - 1)
        values.withUnsafeBufferPointer { v in
            // Edge ids: horizontal edge from (i,j) to (i+1,j) is 2(j·cols+i); vertical edge from
            // (i,j) to (i,j+1) is 2(j·cols+i)+1. Neighbouring cells share them, so polylines join
            // by id with no floating-point comparison.
            @inline(__always) func point(_ edge: Int, _ i: Int, _ j: Int) -> (Int, Point) {
                let (a, b, ia, ja, ib, jb): (Double, Double, Int, Int, Int, Int)
                switch edge {
                case 0: (a, b, ia, ja, ib, jb) = (v[j * cols + i], v[j * cols + i + 1], i, j, i + 1, j)  // bottom
                case 1: (a, b, ia, ja, ib, jb) = (v[j * cols + i + 1], v[(j + 1) * cols + i + 1], i + 1, j, i + 1, j + 1)  // right
                case 2: (a, b, ia, ja, ib, jb) = (v[(j + 1) * cols + i], v[(j + 1) * cols + i + 1], i, j + 1, i + 1, j + 1)  // top
                default: (a, b, ia, ja, ib, jb) = (v[j * cols + i], v[(j + 1) * cols + i], i, j, i, j + 1)  // left
                }
                let t = b == a ? 0.5 : (level - a) / (b - a)
                let px = x.lowerBound + (Double(ia) + t * Double(ib - ia)) * dx
                let py = y.lowerBound + (Double(ja) + t * Double(jb - ja)) * dy
                let id = 2 * (ja * cols + ia) + (ja == jb ? 0 : 1)
                return (id, Point(x: px, y: py))
            }
            @inline(__always) func emit(_ e1: Int, _ e2: Int, _ i: Int, _ j: Int) {
                let (id1, p1) = point(e1, i, j)
                let (id2, p2) = point(e2, i, j)
                segment(id1, p1, id2, p2)
            }
            for j in 0..<(rows - 1) {
                for i in 0..<(cols - 1) {
                    let v00 = v[j * cols + i], v10 = v[j * cols + i + 1]
                    let v01 = v[(j + 1) * cols + i], v11 = v[(j + 1) * cols + i + 1]
                    var c = 0
                    if v00 >= level { c |= 1 }
                    if v10 >= level { c |= 2 }
                    if v11 >= level { c |= 4 }
                    if v01 >= level { c |= 8 }
                    if c == 0 || c == 15 { continue }
                    guard v00.isFinite, v10.isFinite, v01.isFinite, v11.isFinite else { continue }
                    // edges: 0 bottom, 1 right, 2 top, 3 left
                    switch c {
                    case 1, 14: emit(3, 0, i, j)
                    case 2, 13: emit(0, 1, i, j)
                    case 3, 12: emit(3, 1, i, j)
                    case 4, 11: emit(1, 2, i, j)
                    case 6, 9: emit(0, 2, i, j)
                    case 7, 8: emit(3, 2, i, j)
                    case 5:
                        if (v00 + v10 + v01 + v11) / 4 >= level { emit(0, 1, i, j); emit(3, 2, i, j) }
                        else { emit(3, 0, i, j); emit(1, 2, i, j) }
                    default:  // 10
                        if (v00 + v10 + v01 + v11) / 4 >= level { emit(3, 0, i, j); emit(1, 2, i, j) }
                        else { emit(0, 1, i, j); emit(3, 2, i, j) }
                    }
                }
            }
        }
    }

    /// The contour at `level` joined into polylines (closed rings repeat their first point).
    static func polylines(values: [Double], rows: Int, cols: Int, x: ClosedRange<Double>, y: ClosedRange<Double>,
                          level: Double) -> [[Point]] {
        var ids = [(Int, Int)]()
        var pts = [(Point, Point)]()
        trace(values: values, rows: rows, cols: cols, x: x, y: y, level: level) { a, pa, b, pb in
            ids.append((a, b))
            pts.append((pa, pb))
        }
        // Each edge id touches at most two segments; walk from ends (ids seen once) first, then rings.
        var byEdge = [Int: [Int]]()
        byEdge.reserveCapacity(ids.count * 2)
        for (k, (a, b)) in ids.enumerated() {
            byEdge[a, default: []].append(k)
            byEdge[b, default: []].append(k)
        }
        var used = [Bool](repeating: false, count: ids.count)
        var out = [[Point]]()
        func walk(from start: Int, entering edge: Int) -> [Point] {
            var line = [Point]()
            var k = start
            var at = edge
            line.append(ids[k].0 == at ? pts[k].0 : pts[k].1)
            while true {
                used[k] = true
                let next = ids[k].0 == at ? ids[k].1 : ids[k].0
                line.append(ids[k].0 == at ? pts[k].1 : pts[k].0)
                guard let cand = byEdge[next]?.first(where: { !used[$0] }) else { break }
                k = cand
                at = next
            }
            return line
        }
        // Index order, not dictionary order: hashing is seeded per process and SVGs must be byte-stable.
        for k in ids.indices where !used[k] {
            if byEdge[ids[k].0]!.count == 1 { out.append(walk(from: k, entering: ids[k].0)) }
            else if byEdge[ids[k].1]!.count == 1 { out.append(walk(from: k, entering: ids[k].1)) }
        }
        for k in ids.indices where !used[k] {
            out.append(walk(from: k, entering: ids[k].0))
        }
        return out
    }
}
